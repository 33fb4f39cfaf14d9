"""OGXServer -> the internal Spec: upstream's field names accepted, every problem reported with
its field path and the fix, and the result readable by the shared pipeline."""

from __future__ import annotations

import pytest

from generator import LLAMA_STACK, SpecError
from generator.catalog import LineCatalog
from generator.ogxserver.fieldmap import to_ogx_path, to_ogx_text
from generator.ogxserver.translate import ogx_errors, translate
from generator.pipeline import build_config
from tests.generator.ogx import CATALOG, OUR_SAMPLES, UPSTREAM_SAMPLES, ogxserver, ogxserver_documents, ref

UPSTREAM = ogxserver_documents(UPSTREAM_SAMPLES)
OURS = ogxserver_documents(OUR_SAMPLES)


def errors_of(cr: dict, catalog: LineCatalog = CATALOG) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        translate(cr, catalog)
    return {e["path"]: e["message"] for e in caught.value.errors}


def test_upstream_samples_are_all_there():
    assert len(UPSTREAM) == 11


@pytest.mark.parametrize("name", sorted({**UPSTREAM, **OURS}))
def test_every_sample_translates(name):
    sample = {**UPSTREAM, **OURS}[name]
    spec = translate(sample, CATALOG)
    assert spec.name == sample["metadata"]["name"]
    assert spec.ogx is not None
    assert spec.raw["server"]["containerSpec"]["name"] == "ogx"


def test_typed_provider_becomes_a_catalog_provider_with_secrets_as_env_refs():
    spec = translate(
        ogxserver(
            providers={
                "inference": {
                    "remote": {
                        "vllm": [
                            {
                                "id": "vllm-primary",
                                "endpoint": "http://vllm:8000/v1",
                                "apiToken": ref("vllm-creds", "token"),
                                "maxTokens": 512,
                                "allowedModels": ["llama-3"],
                            }
                        ]
                    }
                }
            }
        ),
        CATALOG,
    )
    (entry,) = spec.providers
    assert entry.path == "spec.providers.inference.remote.vllm[0]"
    assert (entry.api, entry.provider_id, entry.provider_type) == ("inference", "vllm-primary", "remote::vllm")
    env = "LLSD_INFERENCE_VLLM_PRIMARY_API_TOKEN"
    key_field = CATALOG.provider_types("inference")["remote::vllm"]["key_field"]
    assert entry.config == {
        "base_url": "http://vllm:8000/v1",
        "max_tokens": 512,
        "allowed_models": ["llama-3"],
        key_field: "${env." + env + "}",
    }
    (secret,) = spec.secret_refs
    assert (secret.path, secret.secret_name, secret.key, secret.env_name) == (
        "spec.providers.inference.remote.vllm[0].apiToken",
        "vllm-creds",
        "token",
        env,
    )


def test_unnamed_instances_get_upstreams_derived_ids_and_collide():
    errors = errors_of(
        ogxserver(providers={"inference": {"remote": {"vllm": [{"endpoint": "http://a"}, {"endpoint": "http://b"}]}}})
    )
    assert errors == {
        "spec.providers.inference.remote.vllm[1].id": "provider id 'remote-vllm' is already used by "
        "spec.providers.inference.remote.vllm[0]; give each instance its own id"
    }


def test_ids_are_unique_across_apis():
    errors = errors_of(
        ogxserver(
            providers={
                "inference": {"remote": {"vllm": [{"id": "shared", "endpoint": "http://a"}]}},
                "toolRuntime": {"remote": {"braveSearch": [{"id": "shared", "apiKey": ref("brave", "key")}]}},
            }
        )
    )
    assert errors["spec.providers.toolRuntime.remote.braveSearch[0].id"].startswith(
        "provider id 'shared' is already used by spec.providers.inference.remote.vllm[0]"
    )


def test_custom_provider_type_must_exist_in_the_lines_catalog():
    errors = errors_of(ogxserver(providers={"inference": {"remote": {"custom": [{"type": "remote::nope"}]}}}))
    message = errors["spec.providers.inference.remote.custom[0].type"]
    assert message.startswith(f"{CATALOG.label} has no inference provider 'remote::nope'; valid types: ")
    assert "remote::ollama" in message
    errors = errors_of(ogxserver(providers={"inference": {"remote": {"custom": [{"type": "ollama"}]}}}))
    assert errors["spec.providers.inference.remote.custom[0].type"] == (
        "must have a 'remote::' or 'inline::' prefix (e.g., 'remote::llama-guard', 'inline::my-provider')"
    )


def test_custom_provider_settings_and_secret_refs_fill_its_config():
    spec = translate(
        ogxserver(
            providers={
                "inference": {
                    "remote": {
                        "custom": [
                            {
                                "id": "local",
                                "type": "remote::ollama",
                                "settings": {"base_url": "http://ollama:11434/v1"},
                            }
                        ]
                    }
                },
                "vectorIo": {
                    "remote": {
                        "custom": [
                            {
                                "type": "remote::pgvector",
                                "secretRefs": {"password": ref("pg", "pw")},
                                "settings": {"host": "pg.db"},
                            }
                        ]
                    }
                },
            }
        ),
        CATALOG,
    )
    ollama, pgvector = spec.providers
    assert (ollama.provider_id, ollama.config["base_url"]) == ("local", "http://ollama:11434/v1")
    assert pgvector.provider_id == "remote-pgvector"
    assert pgvector.config["password"] == "${env.LLSD_VECTOR_IO_PASSWORD}"
    assert pgvector.config["host"] == "pg.db"


def test_settings_keys_the_provider_does_not_have_are_refused_with_the_valid_ones():
    custom = {"type": "remote::ollama", "settings": {"urll": 1}}
    errors = errors_of(ogxserver(providers={"inference": {"remote": {"custom": [custom]}}}))
    message = errors["spec.providers.inference.remote.custom[0].settings.urll"]
    assert "has no config key 'urll'; valid keys: " in message
    assert "base_url" in message


def test_override_config_excludes_generation_and_a_bare_image_needs_base_config():
    errors = errors_of(
        ogxserver(
            overrideConfig=ref("cfg", "config.yaml"),
            resources={"models": [{"name": "m"}]},
            disabledAPIs=["files"],
        )
    )
    assert set(errors) == {"spec.resources", "spec.disabledAPIs"}
    assert errors["spec.resources"] == (
        "overrideConfig and resources are mutually exclusive; the override replaces generation"
    )
    cr = ogxserver()
    cr["spec"]["distribution"] = {"image": "quay.io/me/ogx:1"}
    assert "spec.baseConfig" in errors_of(cr)["spec.distribution.image"]
    cr["spec"]["baseConfig"] = ref("base", "config.yaml")
    spec = translate(cr, CATALOG)
    assert spec.ogx.base_config.name == "base"
    assert spec.distribution_image == "quay.io/me/ogx:1"


def test_unknown_distribution_lists_the_available_ones():
    cr = ogxserver()
    cr["spec"]["distribution"] = {"name": "nope"}
    message = errors_of(cr)["spec.distribution.name"]
    assert message == f"unknown distribution 'nope'; available distributions: {', '.join(CATALOG.distribution_names())}"


def test_an_api_both_configured_and_disabled_is_refused():
    errors = errors_of(
        ogxserver(
            providers={"inference": {"remote": {"vllm": [{"endpoint": "http://a"}]}}},
            disabledAPIs=["inference", "files"],
        )
    )
    assert errors == {"spec.disabledAPIs[0]": "inference cannot be both in providers and disabledAPIs; remove one"}


def test_schema_errors_name_the_field_and_say_what_is_allowed():
    errors = errors_of(
        ogxserver(
            providers={"inference": {"remote": {"vllm": [{"id": "", "endpoint": "http://a"}], "ollama": []}}},
            disabledAPIs=["safety"],
            workload={"storage": {"size": "0"}, "podDisruptionBudget": {}},
            network={"port": 0},
        )
    )
    assert errors["spec.providers.inference.remote.vllm[0].id"] == "must not be empty if specified"
    assert errors["spec.providers.inference.remote.ollama"].startswith("unknown field; valid fields here: azure,")
    assert errors["spec.disabledAPIs[0]"].startswith("must be one of: batches, file_processors, files, inference")
    assert errors["spec.workload.storage.size"] == "must be a positive quantity such as 10Gi"
    assert errors["spec.workload.podDisruptionBudget"] == (
        "at least one of minAvailable or maxUnavailable must be specified"
    )
    assert errors["spec.network.port"].startswith("Must be greater than or equal to 1")


def test_adoption_annotations_must_name_another_object():
    errors = errors_of(ogxserver(annotations={"ogx.io/adopt-storage": "demo", "ogx.io/adopt-networking": "Bad_Name"}))
    assert errors["metadata.annotations[ogx.io/adopt-storage]"].startswith("must not equal the OGXServer's own name")
    assert "RFC 1123" in errors["metadata.annotations[ogx.io/adopt-networking]"]


def test_typed_fields_the_lines_provider_has_no_config_key_for_are_named():
    """llama-stack 0.7.3's bedrock takes only an API key; OGX 1.5's takes AWS credentials too. Upstream's
    typed fields all exist in OGX 1.5, so the rule shows against the other line's real data."""
    bedrock = {"region": "us-east-1", "awsAccessKeyId": ref("aws", "id")}
    cr = ogxserver(providers={"inference": {"remote": {"bedrock": [bedrock]}}})
    translate(cr, CATALOG)
    older = LineCatalog(LLAMA_STACK)
    message = errors_of(cr, older)["spec.providers.inference.remote.bedrock[0].awsAccessKeyId"]
    assert message.startswith(f"{older.label}'s remote::bedrock has no config key 'aws_access_key_id'; valid keys: ")


def test_workload_network_and_storage_land_where_the_shared_steps_read_them():
    spec = translate(
        ogxserver(
            workload={
                "replicas": 3,
                "workers": 2,
                "resources": {"requests": {"cpu": "1"}},
                "storage": {"size": "20Gi"},
                "overrides": {"env": [{"name": "A", "value": "1"}], "serviceAccountName": "runner"},
                "autoscaling": {"maxReplicas": 5},
            },
            network={"port": 9000, "tls": {"secretName": "demo-tls"}, "externalAccess": {"enabled": True}},
            storage={"sql": {"type": "postgres", "connectionString": ref("pg", "url")}},
            resources={"models": [{"name": "m", "provider": "p", "modelType": "embedding", "contextLength": 8}]},
            tls={"trust": {"caCertificates": [ref("ca", "a.crt"), ref("ca", "b.crt"), ref("other", "c.crt")]}},
        ),
        CATALOG,
    )
    server = spec.raw["server"]
    assert spec.raw["replicas"] == 3
    assert spec.raw["network"] == {"exposeRoute": True}
    assert server["containerSpec"] == {
        "name": "ogx",
        "env": [{"name": "A", "value": "1"}],
        "resources": {"requests": {"cpu": "1"}},
    }
    assert server["podOverrides"] == {"serviceAccountName": "runner"}
    assert server["storage"] == {"size": "20Gi", "mountPath": "/.ogx"}
    assert (spec.port, spec.tls_secret_name, spec.storage_mount_path) == (9000, "demo-tls", "/.ogx")
    assert server["configStorage"] == {"type": "postgres", "connectionString": {"secretKeyRef": ref("pg", "url")}}
    assert spec.uses_postgres
    assert [r.env_name for r in spec.secret_refs] == ["LLSD_STORAGE_CONNECTION_STRING"]
    assert server["resources"]["models"] == [
        {"name": "m", "provider": "p", "modelType": "embedding", "metadata": {"contextLength": 8}}
    ]
    assert (spec.ca_bundle.name, spec.ca_bundle.keys) == ("ca", ("a.crt", "b.crt"))
    assert [(c.name, c.key) for c in spec.ogx.ca_certificates] == [("ca", "a.crt"), ("ca", "b.crt"), ("other", "c.crt")]


def test_override_config_is_the_user_config_with_its_key():
    spec = translate(ogxserver(overrideConfig=ref("mine", "run.yaml")), CATALOG)
    assert (spec.user_config.path, spec.user_config.name, spec.user_config.keys) == (
        "spec.overrideConfig",
        "mine",
        ("run.yaml",),
    )
    assert spec.ogx.override_key == "run.yaml"


def test_redis_kv_storage_is_refused_until_supported():
    errors = errors_of(ogxserver(storage={"kv": {"type": "redis", "endpoint": "redis://r:6379"}}))
    assert errors["spec.storage.kv.type"].startswith("redis is not supported by llsd-hook yet")


def test_errors_of_the_shared_steps_are_renamed_to_ogxserver_paths():
    assert to_ogx_path("spec.server.resources.models[2].provider") == "spec.resources.models[2].provider"
    assert to_ogx_path("spec.server.serverTLS.secretName") == "spec.network.tls.secretName"
    assert to_ogx_path("spec.replicas") == "spec.workload.replicas"
    assert to_ogx_text("add spec.server.providers.inference or set `provider`") == (
        "add spec.providers.inference or set `provider`"
    )
    renamed = ogx_errors(
        SpecError([{"path": "spec.server.disabled[0]", "message": "remove it from spec.server.disabled"}])
    )
    assert renamed.errors == [{"path": "spec.disabledAPIs[0]", "message": "remove it from spec.disabledAPIs"}]


def test_the_shared_pipeline_builds_a_translated_spec():
    spec = translate(UPSTREAM["example-with-generated-config/ogxserver-with-generated-config"], CATALOG)
    draft = build_config(spec)
    config, resource_count = draft.config, draft.resource_count
    openai = next(p for p in config["providers"]["inference"] if p["provider_id"] == "openai-primary")
    assert openai["provider_type"] == "remote::openai"
    assert "vector_io" not in config["apis"]
    assert resource_count == 1
    assert {"model_id": "gpt-4o-mini", "provider_id": "openai-primary"}.items() <= next(
        m for m in config["registered_resources"]["models"] if m["model_id"] == "gpt-4o-mini"
    ).items()


def test_pipeline_errors_for_an_ogxserver_name_its_own_fields():
    spec = translate(ogxserver(resources={"models": [{"name": "m", "provider": "nowhere"}]}), CATALOG)
    with pytest.raises(SpecError) as caught:
        build_config(spec)
    (error,) = ogx_errors(caught.value).errors
    assert error["path"] == "spec.resources.models[0].provider"
    assert error["message"].startswith("unknown inference provider 'nowhere'; known ids: ")


def test_an_embedding_model_without_a_dimension_becomes_the_vector_stores_default():
    """OGXServer models say `modelType: embedding` and no dimension (was a KeyError in the hook)."""
    cr = ogxserver(
        providers={"inference": {"remote": {"vllm": [{"id": "vllm", "endpoint": "http://vllm:8000/v1"}]}}},
        resources={"models": [{"name": "granite-embedding", "provider": "vllm", "modelType": "embedding"}]},
    )
    config = build_config(translate(cr, CATALOG)).config
    assert config["vector_stores"]["default_embedding_model"] == {
        "provider_id": "vllm",
        "model_id": "granite-embedding",
    }
