"""External providers: CR rules, override warnings, and the in-pod merge run as the pod runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from generator import SpecError, generate, parse_spec
from generator.layout import EXTERNAL_BASE_CONFIG_PATH, EXTERNAL_METADATA_DIR, FINAL_CONFIG_PATH
from hooks.children.external_init import install_command, merge_command, merge_program
from hooks.children.external_merge import MergeError, merge_external
from tests.generator.crs import VLLM, llsd


def external(**sections):
    return llsd({"providers": {"inference": VLLM}, "externalProviders": sections})


def spec_doc(api: str, provider_type: str = "remote::custom", package: str = "custom_provider") -> dict:
    return {"kind": "ProviderPackage", "spec": {"api": api, "providerType": provider_type, "packageName": package}}


def test_external_providers_switch_the_server_to_the_merged_config():
    result = generate(external(inference=[{"providerId": "custom-inf", "image": "reg/custom:1"}]))
    assert result.command == ["llama", "stack", "run", FINAL_CONFIG_PATH, "--port", "8321"]
    assert result.warnings == []


def test_override_of_a_generated_provider_is_a_warning():
    result = generate(external(inference=[{"providerId": "vllm", "image": "reg/vllm:2"}]))
    assert result.warnings == [
        "spec.server.externalProviders.inference[0]: external provider 'vllm' overrides base provider in API "
        "'inference' (base type remote::vllm; external type from its image)"
    ]


def test_duplicate_ids_cross_api_clash_and_post_training_are_errors():
    with pytest.raises(SpecError) as caught:
        parse_spec(
            external(
                inference=[{"providerId": "dup", "image": "reg/a:1"}, {"providerId": "vllm", "image": "reg/c"}],
                safety=[{"providerId": "dup", "image": "reg/b:1"}, {"providerId": "vllm", "image": "reg/d"}],
                postTraining=[{"providerId": "pt", "image": "reg/pt"}],
            )
        )
    errors = {e["path"]: e["message"] for e in caught.value.errors}
    assert errors["spec.server.externalProviders.safety[0].providerId"] == (
        "provider id 'dup' is declared by several external providers: reg/a:1 "
        "(spec.server.externalProviders.inference[0]) and reg/b:1; give each a unique providerId"
    )
    assert errors["spec.server.externalProviders.postTraining[0]"].startswith(
        "the postTraining API does not exist in llama-stack 0.7.3"
    )
    assert "spec.server.externalProviders.safety[1].providerId" in errors  # dup of inference[1]


def test_merge_adds_overrides_in_place_and_keeps_every_other_key():
    base = {
        "version": 2,
        "apis": ["inference"],
        "storage": {"x": 1},
        "providers": {"inference": [{"provider_id": "vllm", "provider_type": "remote::vllm"}]},
    }
    plan = [
        {"provider_id": "vllm", "api": "inference", "image": "i1", "config": {"k": 1}},
        {"provider_id": "mine", "api": "safety", "image": "i2", "config": {}},
    ]
    specs = {"vllm": spec_doc("inference", "remote::vllm-plus", "vllm_plus"), "mine": spec_doc("safety")}
    merged, warnings = merge_external(base, plan, specs)
    assert merged["providers"]["inference"] == [
        {"provider_id": "vllm", "provider_type": "remote::vllm-plus", "module": "vllm_plus", "config": {"k": 1}}
    ]
    assert merged["providers"]["safety"] == [
        {"provider_id": "mine", "provider_type": "remote::custom", "module": "custom_provider"}
    ]
    assert merged["apis"] == ["inference", "safety"]
    assert merged["storage"] == {"x": 1}
    assert warnings == [
        "External provider 'vllm' overrides base provider in API 'inference'\n"
        "  Base type: remote::vllm\n  External type: remote::vllm-plus"
    ]


def test_merge_rejects_an_api_mismatch_naming_provider_and_image():
    plan = [{"provider_id": "p", "api": "inference", "image": "reg/p:1", "config": {}}]
    with pytest.raises(MergeError, match=r"Provider 'p' \(image: reg/p:1\)\ndeclares api=safety"):
        merge_external({}, plan, {"p": spec_doc("safety")})


def test_merge_command_runs_as_the_init_container_runs_it(tmp_path):
    spec = parse_spec(external(agents=[{"providerId": "my-agents", "image": "reg/agents:1"}]))
    command = merge_command(spec.external_providers)
    metadata = tmp_path / "metadata"
    (metadata / "my-agents").mkdir(parents=True)
    (metadata / "my-agents" / "lls-provider-spec.yaml").write_text(yaml.safe_dump(spec_doc("agents")))
    base = tmp_path / "config.yaml"
    base.write_text(generate(external()).config_yaml)
    final = tmp_path / "final" / "config.yaml"
    assert command[3:] == [command[3], EXTERNAL_METADATA_DIR, EXTERNAL_BASE_CONFIG_PATH, FINAL_CONFIG_PATH]
    args = [sys.executable, *command[1:4], str(metadata), str(base), str(final)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    merged = yaml.safe_load(final.read_text())
    assert merged["providers"]["responses"][-1] == {
        "provider_id": "my-agents",
        "provider_type": "remote::custom",
        "module": "custom_provider",
    }
    assert merged["storage"] == yaml.safe_load(base.read_text())["storage"]


def test_install_command_checks_the_image_contract(tmp_path):
    spec = parse_spec(external(inference=[{"providerId": "x", "image": "reg/x:1"}]))
    shell, flag, script = install_command(spec.external_providers[0])
    assert (shell, flag) == ("/bin/sh", "-c")
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert (
        "ERROR: Missing /lls-provider/lls-provider-spec.yaml or /lls-provider/packages in image reg/x:1" in done.stderr
    )


def test_merge_matches_base_ids_written_conditionally_as_generation_does():
    """`${env.X:+id}` is `id` for overlay and for the status warning, so the merge must agree:
    otherwise the pod would get two providers with one id while status says one replaced the other."""
    base = {"providers": {"inference": [{"provider_id": "${env.VLLM_URL:+vllm}", "provider_type": "remote::vllm"}]}}
    plan = [{"provider_id": "vllm", "api": "inference", "image": "i", "config": {}}]
    merged, warnings = merge_external(base, plan, {"vllm": spec_doc("inference", "remote::vllm-plus", "vllm_plus")})
    assert merged["providers"]["inference"] == [
        {"provider_id": "vllm", "provider_type": "remote::vllm-plus", "module": "vllm_plus"}
    ]
    assert len(warnings) == 1
    generated = generate(external(inference=[{"providerId": "vllm", "image": "i"}]))
    assert "overrides base provider" in generated.warnings[0]


def test_the_merge_program_stands_alone_and_ignores_docs():
    """It runs in the distribution image (no generator, no hooks); a comment or docstring edit
    must not change the init container, or every pod with external providers would roll."""
    program = merge_program()
    assert "import generator" not in program
    assert "from generator" not in program
    assert "from hooks" not in program
    assert "def plain_id(" in program
    assert "Provider ids as llama-stack configs write them" not in program, "a docstring"
    assert "The provider spec names APIs" not in program, "a comment"
