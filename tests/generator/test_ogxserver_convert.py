"""LLSD -> OGXServer: every field with a counterpart moves, every other one is reported with its
reason, and every LLSD sample converts into an OGXServer that admission and the hook accept."""

from __future__ import annotations

import re

import pytest
import yaml

from generator import SpecError, generate, parse_spec
from generator.ogxserver.convert import convert_documents, convert_llsd
from generator.ogxserver.translate import translate
from generator.pipeline import generate_spec
from tests.generator.crs import VLLM, llsd, secret
from tests.generator.ogx import CATALOG, LLSD_SAMPLES, ROOT
from tests.manifests.crd import ogx_admission_errors


def llsd_samples() -> dict[str, dict]:
    found = {}
    for path in sorted(LLSD_SAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "LlamaStackDistribution":
                found[path.stem] = doc
    return found


SAMPLES = llsd_samples()


def dropped(conversion) -> dict[str, str]:
    return {note.path: note.reason for note in conversion.dropped}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_llsd_sample_converts_into_an_ogxserver_that_is_accepted(name):
    conversion = convert_llsd(SAMPLES[name], CATALOG)
    assert conversion.problems == []
    assert ogx_admission_errors(conversion.ogxserver) == []
    spec = translate(conversion.ogxserver, CATALOG)
    original = SAMPLES[name]
    assert (spec.name, spec.namespace) == (original["metadata"]["name"], original["metadata"]["namespace"])


def test_samples_cover_providers_typed_and_custom():
    assert len(SAMPLES) == 13


def test_providers_keep_their_ids_typed_where_upstream_types_them_else_custom():
    cr = llsd(
        {
            "providers": {
                "inference": [
                    {"id": "vllm-primary", **VLLM},
                    {"id": "local", "provider": "ollama", "endpoint": "http://ollama:11434/v1"},
                ],
                "toolRuntime": {"provider": "brave-search", "apiKey": secret("brave", "key")},
            },
            "resources": {"models": ["llama-3", {"name": "m2", "provider": "local"}]},
        }
    )
    spec = convert_llsd(cr, CATALOG).ogxserver["spec"]
    assert spec["providers"] == {
        "inference": {
            "remote": {
                "vllm": [
                    {
                        "id": "vllm-primary",
                        "endpoint": "http://vllm:8000/v1",
                        "apiToken": {"name": "vllm-creds", "key": "token"},
                    }
                ],
                "custom": [
                    {"id": "local", "type": "remote::ollama", "settings": {"base_url": "http://ollama:11434/v1"}}
                ],
            }
        },
        "toolRuntime": {"remote": {"braveSearch": [{"id": "brave-search", "apiKey": {"name": "brave", "key": "key"}}]}},
    }
    assert spec["resources"] == {"models": [{"name": "llama-3"}, {"name": "m2", "provider": "local"}]}


def test_a_provider_with_settings_upstream_does_not_type_becomes_custom_with_secret_refs():
    cr = llsd({"providers": {"inference": {**VLLM, "config": {"network": {"timeout": 120}}}}})
    (custom,) = convert_llsd(cr, CATALOG).ogxserver["spec"]["providers"]["inference"]["remote"]["custom"]
    key_field = CATALOG.provider_types("inference")["remote::vllm"]["key_field"]
    assert custom == {
        "id": "vllm",
        "type": "remote::vllm",
        "settings": {"network": {"timeout": 120}, "base_url": "http://vllm:8000/v1"},
        "secretRefs": {key_field: {"name": "vllm-creds", "key": "token"}},
    }


def test_what_has_no_counterpart_is_reported_with_the_reason():
    cr = llsd(
        {
            "containerSpec": {"name": "server"},
            "providers": {
                "inference": {**VLLM},
                "safety": {"provider": "llama-guard"},
            },
            "resources": {
                "models": [{"name": "e", "providerModelId": "x", "metadata": {"embeddingDimension": 768}}],
                "tools": ["websearch"],
                "shields": ["guard"],
            },
            "disabled": ["telemetry"],
        }
    )
    conversion = convert_llsd(cr, CATALOG)
    reasons = dropped(conversion)
    assert reasons["spec.server.containerSpec.name"] == "the OGX container is always named `ogx`"
    assert reasons["spec.server.resources.tools[0]"].startswith("OGXServer registers no tool groups")
    assert reasons["spec.server.resources.shields[0]"] == "OGX 1.5 has no safety API, so there are no shields"
    assert reasons["spec.server.resources.models[0].providerModelId"].startswith("OGXServer models have no")
    assert "embedding dimension" in reasons["spec.server.resources.models[0].metadata.embeddingDimension"]
    assert reasons["spec.server.disabled[0]"].startswith("the telemetry API was already gone in llama-stack 0.7.3")
    assert conversion.ogxserver["spec"]["resources"]["models"] == [{"name": "e", "modelType": "embedding"}]
    assert "disabledAPIs" not in conversion.ogxserver["spec"]


def test_workload_network_storage_and_config_sources_move_to_their_ogxserver_fields():
    cr = llsd(
        {
            "providers": {"inference": VLLM},
            "port": 9000,
            "workers": 2,
            "containerSpec": {"env": [{"name": "A", "value": "1"}], "resources": {"requests": {"cpu": "1"}}},
            "podOverrides": {"serviceAccountName": "runner"},
            "storage": {"size": "20Gi"},
            "podDisruptionBudget": {"maxUnavailable": 1},
            "serverTLS": {"enabled": True, "secretName": "demo-tls"},
            "tlsConfig": {"caBundle": {"configMapName": "ca", "configMapKeys": ["a.crt", "b.crt"]}},
            "configStorage": {"type": "postgres", "connectionString": secret("pg", "url")},
            "disabled": ["files"],
        },
        replicas=1,
        network={"exposeRoute": True, "allowedFrom": {"namespaces": ["apps"], "labels": ["team=ai", "client"]}},
    )
    spec = convert_llsd(cr, CATALOG).ogxserver["spec"]
    assert spec["workload"] == {
        "replicas": 1,
        "workers": 2,
        "resources": {"requests": {"cpu": "1"}},
        "overrides": {"env": [{"name": "A", "value": "1"}], "serviceAccountName": "runner"},
        "storage": {"size": "20Gi"},
        "podDisruptionBudget": {"maxUnavailable": 1},
    }
    assert spec["network"] == {
        "port": 9000,
        "externalAccess": {"enabled": True},
        "tls": {"secretName": "demo-tls"},
        "policy": {
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}},
                        {"namespaceSelector": {"matchLabels": {"team": "ai"}}},
                        {"namespaceSelector": {"matchExpressions": [{"key": "client", "operator": "Exists"}]}},
                    ]
                }
            ]
        },
    }
    assert spec["tls"] == {
        "trust": {"caCertificates": [{"name": "ca", "key": "a.crt"}, {"name": "ca", "key": "b.crt"}]}
    }
    assert spec["storage"] == {"sql": {"type": "postgres", "connectionString": {"name": "pg", "key": "url"}}}
    assert spec["disabledAPIs"] == ["files"]
    assert next(iter(spec)) == "distribution"


def test_user_config_becomes_override_config_and_a_foreign_namespace_is_reported():
    cr = llsd({"userConfig": {"configMapName": "mine", "configMapNamespace": "shared"}})
    conversion = convert_llsd(cr, CATALOG)
    assert conversion.ogxserver["spec"]["overrideConfig"] == {"name": "mine", "key": "config.yaml"}
    assert "own namespace only" in dropped(conversion)["spec.server.userConfig.configMapNamespace"]
    same = llsd({"userConfig": {"configMapName": "mine", "configMapNamespace": "ai"}})
    assert convert_llsd(same, CATALOG).dropped == []


def test_an_invalid_llsd_is_refused_with_its_own_errors():
    with pytest.raises(SpecError):
        convert_llsd(llsd({"distribution": {"name": "nope"}}), CATALOG)


def test_a_gitops_file_converts_every_llsd_and_labels_the_objects_they_read():
    documents = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "vllm-creds", "namespace": "ai"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "unrelated", "namespace": "ai"}},
        llsd({"providers": {"inference": VLLM}}, name="one"),
        llsd({"userConfig": {"configMapName": "mine"}}, name="two"),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine", "namespace": "ai"}},
    ]
    result = convert_documents(documents, CATALOG)
    kinds = [(d["kind"], d["metadata"]["name"]) for d in result.documents]
    assert kinds == [
        ("Secret", "vllm-creds"),
        ("Secret", "unrelated"),
        ("OGXServer", "one"),
        ("OGXServer", "two"),
        ("ConfigMap", "mine"),
    ]
    labels = [d["metadata"].get("labels") for d in result.documents]
    assert labels == [{"ogx.io/watch": "true"}, None, None, None, {"ogx.io/watch": "true"}]
    assert len(result.conversions) == 2


def test_the_worked_example_in_the_migration_guide_is_what_convert_prints():
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "migration.md").read_text(), flags=re.S)
    docs = [doc for block in blocks for doc in yaml.safe_load_all(block) if isinstance(doc, dict)]
    before = next(d for d in docs if d.get("kind") == "LlamaStackDistribution" and d["metadata"]["name"] == "minimal")
    after = next(d for d in docs if d.get("kind") == "OGXServer")
    assert convert_llsd(before, CATALOG).ogxserver == after


def _cr_providers(config: dict, named: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, dict]]:
    """(api, provider_id) -> (provider_type, config) for the providers the CR named."""
    return {
        (api, block["provider_id"]): (block["provider_type"], block.get("config") or {})
        for api, blocks in config["providers"].items()
        for block in blocks
        if (api, block.get("provider_id")) in named
    }


def _cr_item(cr: dict, path: str) -> dict:
    """The provider object the LLSD wrote at `spec.server.providers.<api>[i]` (or without [i])."""
    api, _, index = path.removeprefix("spec.server.providers.").partition("[")
    value = cr["spec"]["server"]["providers"][api]
    return value[int(index.rstrip("]"))] if index else value


GENERATED = sorted(
    name
    for name, cr in SAMPLES.items()
    if "userConfig" not in cr["spec"]["server"] and "image" not in cr["spec"]["server"].get("distribution", {})
)


@pytest.mark.parametrize("name", GENERATED)
def test_where_both_lines_serve_the_same_providers_the_two_configs_agree(name):
    """The LLSD rendered on llama-stack 0.7.3 and its conversion rendered on OGX 1.5.0: every
    provider the CR named that OGX has too is there with the same type and the same settings
    (secrets as env references on both sides), and every model the CR registered goes to the same
    provider with the same type."""
    llsd_cr = SAMPLES[name]
    conversion = convert_llsd(llsd_cr, CATALOG)
    llsd_config = yaml.safe_load(generate(llsd_cr).config_yaml)
    ogx_config = yaml.safe_load(generate_spec(translate(conversion.ogxserver)).config_yaml)
    dropped_paths = {note.path for note in conversion.dropped}
    kept = {(e.api, e.provider_id) for e in parse_spec(llsd_cr).providers if e.path not in dropped_paths}
    llsd_providers, ogx_providers = _cr_providers(llsd_config, kept), _cr_providers(ogx_config, kept)
    assert set(ogx_providers) == kept
    for provider_id, (provider_type, config) in llsd_providers.items():
        ogx_type, ogx_provider_config = ogx_providers[provider_id]
        assert ogx_type == provider_type
        item = next(e for e in parse_spec(llsd_cr).providers if (e.api, e.provider_id) == provider_id)
        written = _cr_item(llsd_cr, item.path)
        for key, value in config.items():  # what the CR set; the bases' own defaults differ by line
            if isinstance(value, str) and value.startswith("${env.LLSD_"):
                assert str(ogx_provider_config.get(key, "")).startswith("${env.LLSD_"), (provider_id, key)
            elif key in (written.get("config") or {}) or value == written.get("endpoint"):
                assert ogx_provider_config.get(key) == value, (provider_id, key)
    named_models = {
        m if isinstance(m, str) else m["name"] for m in llsd_cr["spec"]["server"].get("resources", {}).get("models", [])
    }

    def models(config: dict) -> dict[str, tuple[str, str]]:
        return {
            m["model_id"]: (m["provider_id"], m["model_type"])
            for m in config.get("registered_resources", {}).get("models", [])
            if m["model_id"] in named_models
        }

    assert models(ogx_config) == models(llsd_config)


def test_what_the_ogx_base_config_needs_is_a_problem_to_fix_before_applying():
    """OGX 1.5.0's nvidia base reads INFERENCE_MODEL without a default; llama-stack 0.7.3's did not."""
    cr = llsd({"distribution": {"name": "nvidia"}, "providers": {"inference": VLLM}})
    (problem,) = convert_llsd(cr, CATALOG).problems
    assert problem.path == "spec.workload.overrides.env"
    assert "INFERENCE_MODEL" in problem.reason
    cr["spec"]["server"]["containerSpec"] = {"env": [{"name": "INFERENCE_MODEL", "value": "m"}]}
    assert convert_llsd(cr, CATALOG).problems == []
