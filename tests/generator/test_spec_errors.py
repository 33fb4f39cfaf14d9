"""Bad input: every problem reported at once, each with its field path and what to do."""

from __future__ import annotations

import pytest

from generator import SpecError, check_user_config, generate, parse_spec
from tests.generator.crs import VLLM, llsd, secret


def errors_of(cr: dict) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        generate(cr)
    return {e["path"]: e["message"] for e in caught.value.errors}


def test_list_form_needs_ids_and_ids_are_unique_across_apis():
    errors = errors_of(
        llsd(
            {
                "providers": {
                    "inference": [VLLM, {"id": "shared", "provider": "ollama"}],
                    "safety": [{"id": "shared", "provider": "llama-guard"}],
                }
            }
        )
    )
    assert errors["spec.server.providers.inference[0].id"] == "required in list form; give each entry a unique id"
    assert errors["spec.server.providers.safety[0].id"] == (
        "provider id 'shared' is already used by spec.server.providers.inference[1]; ids must be unique across all APIs"
    )


def test_unknown_provider_lists_the_valid_names_for_that_api():
    message = errors_of(llsd({"providers": {"safety": {"provider": "vllm"}}}))["spec.server.providers.safety.provider"]
    assert message.startswith("unknown provider 'vllm' for safety; valid names: ")
    assert "llama-guard" in message
    assert "prompt-guard" in message


@pytest.mark.parametrize(
    ("provider", "path", "expected"),
    [
        ({"provider": "bedrock"}, "region", "required for bedrock; set the AWS region, e.g. us-east-1"),
        ({"provider": "azure", "endpoint": "https://x"}, "deploymentName", "required for azure"),
        ({"provider": "ollama", "apiKey": secret("s", "k")}, "apiKey", "takes no API key; remove apiKey"),
        ({"provider": "vllm", "deploymentName": "d"}, "deploymentName", "only azure takes deploymentName"),
        ({"provider": "vllm", "config": {"url": "http://x"}}, "config.url", "has no config key 'url'"),
        ({"provider": "vllm", "secretRefs": {"token": secret("s", "k")}}, "secretRefs.token", "no config key"),
        ({"provider": "gemini", "endpoint": "http://x"}, "endpoint", "takes no endpoint"),
    ],
)
def test_provider_field_rules(provider, path, expected):
    errors = errors_of(llsd({"providers": {"inference": provider}}))
    assert expected in errors[f"spec.server.providers.inference.{path}"]


def test_removed_apis_name_the_version():
    errors = errors_of(llsd({"providers": {"memory": {"provider": "faiss"}, "telemetry": {"provider": "otel"}}}))
    assert errors["spec.server.providers.memory"].startswith("the memory API does not exist in llama-stack 0.7.3")
    assert "spec.server.providers.telemetry" in errors


def test_configured_and_disabled_is_an_error_and_unknown_disabled_names_list_the_valid_ones():
    errors = errors_of(llsd({"providers": {"inference": VLLM}, "disabled": ["inference"]}))
    assert errors["spec.server.disabled[0]"] == (
        "'inference' is both configured under spec.server.providers and disabled; remove one"
    )
    # Shape errors are reported first (all of them together); rules that read several fields follow.
    errors = errors_of(llsd({"disabled": ["vectorio"]}))
    assert errors["spec.server.disabled[0]"].startswith("must be one of: agents, batches")


def test_models_shields_and_tools_must_be_served():
    errors = errors_of(
        llsd(
            {
                "distribution": {"name": "nvidia"},
                "providers": {"inference": VLLM},
                "resources": {
                    "models": [{"name": "m", "provider": "nope"}],
                    "shields": [{"name": "guard", "provider": "nope"}],
                    "tools": ["websearch", "builtin::code_interpreter"],
                },
            }
        )
    )
    assert errors["spec.server.resources.models[0].provider"].startswith(
        "unknown inference provider 'nope'; known ids:"
    )
    assert errors["spec.server.resources.shields[0].provider"].startswith("unknown safety provider")
    assert errors["spec.server.resources.tools[0]"] == (
        "tool group 'builtin::websearch' needs a tool_runtime provider (bing-search, brave-search, tavily-search); "
        "add one under spec.server.providers.toolRuntime (available here: builtin::file_search)"
    )
    assert errors["spec.server.resources.tools[1]"] == (
        "unknown tool group 'builtin::code_interpreter' in llama-stack 0.7.3; available here: builtin::file_search"
    )


def test_bare_model_without_inference_provider():
    errors = errors_of(llsd({"resources": {"models": ["m"]}}))
    assert errors["spec.server.resources.models[0]"] == (
        "no inference provider to serve it; add spec.server.providers.inference or set `provider`"
    )


def test_exclusions_storage_tls_port_and_distribution():
    server = {
        "distribution": {"name": "nope"},
        "userConfig": {"configMapName": "mine"},
        "providers": {"inference": VLLM},
        "configStorage": {"type": "postgres"},
        "serverTLS": {"enabled": True},
    }
    # A shape error (the port) is reported before the rules that read several fields.
    assert errors_of(llsd({**server, "port": 80}))["spec.server.port"] == "must be between 1024 and 65535"
    errors = errors_of(llsd(server))
    assert errors["spec.server.distribution.name"].startswith("unknown distribution 'nope'; valid names: nvidia, oci")
    assert "cannot be combined with spec.server.userConfig" in errors["spec.server.providers"]
    assert errors["spec.server.configStorage.connectionString"].startswith("required for postgres")
    assert errors["spec.server.serverTLS.secretName"].startswith("required when serverTLS is enabled")


def test_image_distribution_has_no_base_for_providers():
    errors = errors_of(llsd({"distribution": {"image": "quay.io/me/stack:1"}, "providers": {"inference": VLLM}}))
    assert "has no known base config" in errors["spec.server.providers"]


def test_structural_errors_name_the_field_and_list_valid_fields():
    errors = errors_of(llsd({"providers": {"inference": {"provider": "vllm", "endpiont": "http://x"}}, "replicas": 2}))
    assert errors["spec.server.providers.inference.endpiont"].startswith("unknown field; valid fields here: apiKey")
    assert errors["spec.server.replicas"].startswith("unknown field")


def test_distribution_needs_exactly_one_of_name_and_image():
    errors = errors_of(llsd({"distribution": {"name": "starter", "image": "x"}}))
    assert errors["spec.server.distribution"] == ("give exactly one of `name` (a registry distribution) or `image`")


def test_env_var_collisions_are_reported():
    errors = errors_of(
        llsd(
            {
                "providers": {
                    "inference": [
                        {"id": "a-b", "provider": "openai", "apiKey": secret("s", "k")},
                        {"id": "a_b", "provider": "groq", "apiKey": secret("s", "k2")},
                    ]
                }
            }
        )
    )
    assert errors["spec.server.providers.inference[1].apiKey"] == (
        "its env var LLSD_INFERENCE_A_B_API_KEY is also produced by spec.server.providers.inference[0].apiKey; "
        "give the providers distinct ids"
    )


def test_base_env_vars_without_default_must_be_supplied():
    errors = errors_of(llsd({"distribution": {"name": "postgres-demo"}}))
    assert errors["spec.server.containerSpec.env"] == (
        "the config needs env var INFERENCE_MODEL (the base config of 'postgres-demo' reads it without a default); "
        "add it to spec.server.containerSpec.env"
    )


def test_a_base_provider_needing_an_api_without_provider_is_an_error_with_the_fix():
    """llama-stack 0.7.3 refuses to start postgres-demo as shipped: file-search and responses need
    `files`, which it has no provider for (seen in tests/e2e/test_distributions.py)."""
    env = {"containerSpec": {"env": [{"name": "INFERENCE_MODEL", "value": "m"}]}}
    errors = errors_of(llsd({"distribution": {"name": "postgres-demo"}, **env}))
    assert errors["spec.server.providers.files"] == (
        "the base config of 'postgres-demo' has no files provider, which its responses provider 'builtin' "
        "(inline::builtin) and tool_runtime provider 'file-search' (inline::file-search) need (the server would "
        "not start); add spec.server.providers.files (e.g. {provider: localfs}), or disable agents, toolRuntime"
    )
    fixed = llsd({"distribution": {"name": "postgres-demo"}, "providers": {"files": {"provider": "localfs"}}, **env})
    assert generate(fixed).config_yaml
    # A provider the user adds that needs a missing API is named by its own path.
    user = errors_of(
        llsd(
            {
                "distribution": {"name": "nvidia"},
                "providers": {"toolRuntime": {"provider": "file-search"}},
                "disabled": ["files"],
            }
        )
    )
    assert "spec.server.providers.toolRuntime" in " ".join(user), user


def test_all_problems_are_reported_together():
    with pytest.raises(SpecError) as caught:
        generate(llsd({"providers": {"inference": [VLLM, VLLM], "safety": {"provider": "nope"}}}))
    paths = [e["path"] for e in caught.value.errors]
    assert paths == [
        "spec.server.providers.inference[0].id",
        "spec.server.providers.inference[1].apiKey",  # both would be LLSD_INFERENCE_API_KEY
        "spec.server.providers.inference[1].id",
        "spec.server.providers.inference[1].id",
        "spec.server.providers.safety.provider",
    ]


def test_not_an_object():
    with pytest.raises(SpecError) as caught:
        parse_spec(["not", "a", "cr"])
    assert caught.value.errors == [{"path": "", "message": "a LlamaStackDistribution must be a JSON object"}]


def test_user_config_version_warning_and_errors():
    assert check_user_config("version: 2\nproviders: {}\n") == []
    assert check_user_config("version: 1\nproviders: {}\n") == [
        "userConfig config.yaml has version 1; llama-stack 0.7.3 reads version 2"
    ]
    with pytest.raises(SpecError, match="not valid YAML at line 3"):
        check_user_config("version: 2\nproviders: [\n")
    with pytest.raises(SpecError, match="no `providers` mapping"):
        check_user_config("version: 2\n")


def test_error_messages_never_echo_a_secret_value():
    """Spec errors only ever see references, so canary names are the worst they could show."""
    with pytest.raises(SpecError) as caught:
        generate(llsd({"providers": {"inference": {"provider": "ollama", "apiKey": secret("canary-name", "k")}}}))
    assert "canary" not in str(caught.value)


def test_env_from_entries_name_exactly_one_source():
    both = {"secretRef": {"name": "s"}, "configMapRef": {"name": "c"}}
    errors = errors_of(llsd({"containerSpec": {"envFrom": [{"secretRef": {"name": "ok"}}, both, {"prefix": "A_"}]}}))
    expected = "give exactly one of `secretRef` or `configMapRef`"
    assert errors["spec.server.containerSpec.envFrom[1]"] == expected
    assert errors["spec.server.containerSpec.envFrom[2]"] == expected
    assert "spec.server.containerSpec.envFrom[0]" not in errors
