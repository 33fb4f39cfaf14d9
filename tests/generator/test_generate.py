"""The generation steps, seen through what a user gets: config.yaml, env vars, names, warnings."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from generator import SpecError, generate, pipeline, registry
from generator.lines import LLAMA_STACK
from generator.model import Draft
from tests.generator.crs import CASES, VLLM, llsd, secret


def config_of(cr: dict) -> dict:
    return yaml.safe_load(generate(cr).config_yaml)


def providers(config: dict, api: str) -> list[dict]:
    return config["providers"].get(api, [])


def by_id(config: dict, api: str, provider_id: str) -> dict:
    return next(p for p in providers(config, api) if p["provider_id"] == provider_id)


def test_issue_example_maps_vllm_fields_to_0_7_names():
    result = generate(CASES["issue-example"])
    config = yaml.safe_load(result.config_yaml)
    vllm = by_id(config, "inference", "vllm")
    assert vllm == {
        "provider_id": "vllm",
        "provider_type": "remote::vllm",
        "config": {"base_url": "http://vllm:8000/v1", "api_token": "${env.LLSD_INFERENCE_API_KEY}"},
    }
    assert result.env == [
        {"name": "LLSD_INFERENCE_API_KEY", "valueFrom": {"secretKeyRef": {"name": "vllm-creds", "key": "token"}}}
    ]
    assert config["registered_resources"]["models"] == [
        {
            "model_id": "meta-llama/Llama-3.2-3B-Instruct",
            "provider_id": "vllm",
            "provider_model_id": "meta-llama/Llama-3.2-3B-Instruct",
            "model_type": "llm",
        }
    ]
    assert result.command == ["llama", "stack", "run", LLAMA_STACK.config_path, "--port", "8321"]


def test_overlay_replaces_matching_base_provider_in_place_and_keeps_the_rest():
    base_ids = [p["provider_id"] for p in providers(config_of(CASES["no-providers"]), "inference")]
    ids = [p["provider_id"] for p in providers(config_of(CASES["minimal-starter"]), "inference")]
    assert "${env.VLLM_URL:+vllm}" in base_ids
    position = base_ids.index("${env.VLLM_URL:+vllm}")
    assert ids[position] == "vllm"
    assert ids[:position] + ids[position + 1 :] == base_ids[:position] + base_ids[position + 1 :]


def test_unmatched_user_providers_are_appended_in_cr_order():
    config = config_of(CASES["list-form"])
    ids = [p["provider_id"] for p in providers(config, "inference")]
    assert ids[-2:] == ["vllm-primary", "local-ollama"]  # openai matched the base's openai in place
    assert by_id(config, "inference", "openai")["config"] == {"api_key": "${env.LLSD_INFERENCE_OPENAI_API_KEY}"}


def test_list_form_env_names_carry_the_id():
    names = [e["name"] for e in generate(CASES["list-form"]).env]
    assert names == ["LLSD_INFERENCE_OPENAI_API_KEY", "LLSD_INFERENCE_VLLM_PRIMARY_API_KEY"]


def test_secret_refs_and_host_go_to_config_fields_as_env_references():
    result = generate(CASES["everything"])
    config = yaml.safe_load(result.config_yaml)
    assert by_id(config, "vector_io", "pg")["config"]["password"] == "${env.LLSD_VECTOR_IO_PG_PASSWORD}"
    assert by_id(config, "tool_runtime", "brave")["config"]["api_key"] == "${env.LLSD_TOOL_RUNTIME_BRAVE_API_KEY}"
    assert [e["name"] for e in result.env] == [
        "LLSD_INFERENCE_API_KEY",
        "LLSD_TOOL_RUNTIME_BRAVE_API_KEY",
        "LLSD_VECTOR_IO_PG_PASSWORD",
    ]


def test_agents_maps_to_responses_and_vector_io_to_snake_case():
    config = config_of(CASES["everything"])
    assert by_id(config, "responses", "builtin")["provider_type"] == "inline::builtin"
    assert by_id(config, "vector_io", "pg")["provider_type"] == "remote::pgvector"
    assert "agents" not in config["providers"]
    assert "agents" not in config["apis"]


def test_pass_through_config_is_kept_and_simplified_fields_win():
    cr = llsd({"providers": {"inference": {**VLLM, "config": {"base_url": "http://ignored", "max_tokens": 256}}}})
    vllm = by_id(config_of(cr), "inference", "vllm")
    assert vllm["config"] == {
        "base_url": "http://vllm:8000/v1",
        "max_tokens": 256,
        "api_token": "${env.LLSD_INFERENCE_API_KEY}",
    }


def test_required_provider_fields_come_from_llama_stack_samples():
    cr = llsd({"providers": {"vectorIo": {"id": "vec", "provider": "sqlite-vec"}}})
    vec = by_id(config_of(cr), "vector_io", "vec")
    assert vec["config"]["db_path"] == "${env.SQLITE_STORE_DIR:=/.llama/distributions/starter}/sqlite_vec.db"
    assert vec["config"]["persistence"] == {"namespace": "vector_io::sqlite_vec", "backend": "kv_default"}


def test_adding_a_provider_adds_its_api():
    cr = llsd({"distribution": {"name": "nvidia"}, "providers": {"toolRuntime": {"provider": "brave-search"}}})
    config = config_of(cr)
    assert "tool_runtime" in config["apis"]
    assert by_id(config, "tool_runtime", "brave-search")["provider_type"] == "remote::brave-search"


def test_disabled_removes_apis_dependents_and_dangling_defaults_with_warnings():
    result = generate(CASES["disable-vector-io"])
    config = yaml.safe_load(result.config_yaml)
    for api in ("vector_io", "files", "file_processors", "responses", "batches", "eval"):
        assert api not in config["apis"]
        assert api not in config["providers"]
    assert "default_provider_id" not in config["vector_stores"]
    assert "tool_runtime provider 'file-search' removed: it needs the files, vector_io API, which is disabled" in (
        result.warnings
    )


def test_disabling_a_removed_api_or_an_absent_one_is_a_warning():
    result = generate(llsd({"distribution": {"name": "nvidia"}, "disabled": ["telemetry", "batches"]}))
    assert result.warnings == [
        "spec.server.disabled[0]: the telemetry API does not exist in llama-stack 0.7.3; nothing to disable",
        "spec.server.disabled[1]: distribution 'nvidia' has no batches API; nothing to disable",
    ]


def test_sqlite_storage_lives_under_the_mount_path():
    text = generate(CASES["everything"]).config_yaml
    config = yaml.safe_load(text)
    assert config["storage"]["backends"]["kv_default"]["db_path"] == (
        "${env.SQLITE_STORE_DIR:=/data/distributions/starter}/kvstore.db"
    )
    assert "~/.llama" not in text


def test_postgres_storage_replaces_backends_and_rewires_every_reference():
    result = generate(CASES["postgres"])
    config = yaml.safe_load(result.config_yaml)
    backends = config["storage"]["backends"]
    assert set(backends) == {"kv_postgres", "sql_postgres"}
    assert backends["kv_postgres"] == {
        "type": "kv_postgres",
        "host": "${env.LLSD_STORAGE_PG_HOST}",
        "port": "${env.LLSD_STORAGE_PG_PORT:=5432}",
        "db": "${env.LLSD_STORAGE_PG_DB}",
        "user": "${env.LLSD_STORAGE_PG_USER}",
        "password": "${env.LLSD_STORAGE_PG_PASSWORD:=}",
    }
    used = set(re.findall(r"backend: (\S+)", result.config_yaml))
    assert used == {"kv_postgres", "sql_postgres"}
    assert result.env[-1] == {
        "name": "LLSD_STORAGE_CONNECTION_STRING",
        "valueFrom": {"secretKeyRef": {"name": "pg", "key": "dsn"}},
    }
    assert result.command[:2] == ["python3", "-c"]
    assert result.command[3:] == ["stack", "run", LLAMA_STACK.config_path, "--port", "8321"]


def test_postgres_makes_every_store_explicit_so_none_falls_back_to_a_removed_backend():
    """llama-stack points omitted stores (postgres-demo omits connectors) at kv_default."""
    storage = config_of(CASES["postgres-demo-on-postgres"])["storage"]
    assert set(storage["backends"]) == {"kv_postgres", "sql_postgres"}
    assert storage["stores"]["connectors"] == {"backend": "kv_postgres", "namespace": "connectors"}
    assert {store["backend"] for store in storage["stores"].values()} == {"kv_postgres", "sql_postgres"}


def test_explicit_sqlite_turns_a_postgres_base_into_files_on_the_mount():
    backends = config_of(CASES["postgres-demo-on-sqlite"])["storage"]["backends"]
    assert backends == {
        "kv_default": {
            "type": "kv_sqlite",
            "db_path": "${env.SQLITE_STORE_DIR:=/.llama/distributions/postgres-demo}/kv_default.db",
        },
        "sql_default": {
            "type": "sql_sqlite",
            "db_path": "${env.SQLITE_STORE_DIR:=/.llama/distributions/postgres-demo}/sql_default.db",
        },
    }


def test_server_port_workers_and_tls_paths():
    result = generate(CASES["everything"])
    server = yaml.safe_load(result.config_yaml)["server"]
    assert server == {
        "port": 9000,
        "workers": 2,
        "tls_certfile": LLAMA_STACK.tls_cert_path,
        "tls_keyfile": LLAMA_STACK.tls_key_path,
    }
    assert result.command[-2:] == ["--port", "9000"]


def test_shield_goes_to_llama_guard_with_a_served_model_id_and_becomes_default():
    config = config_of(CASES["everything"])
    assert config["registered_resources"]["shields"][-1] == {
        "shield_id": "guard",
        "provider_id": "llama-guard",
        "provider_shield_id": "vllm/guard",
    }
    assert config["safety"]["default_shield_id"] == "guard"


def test_embedding_and_context_metadata():
    models = config_of(CASES["list-form"])["registered_resources"]["models"]
    assert models[1] == {
        "model_id": "gpt-4o",
        "provider_id": "openai",
        "provider_model_id": "gpt-4o",
        "model_type": "llm",
        "metadata": {"context_length": 128000},
    }
    assert models[2]["model_type"] == "embedding"
    assert models[2]["metadata"] == {"embedding_dimension": 768}


def test_the_first_embedding_model_of_the_cr_is_the_vector_stores_default():
    config = config_of(CASES["rag-embedding-default"])
    stores = config["vector_stores"]
    assert stores["default_embedding_model"] == {
        "provider_id": "vllm",
        "model_id": "acme/embed-small",  # served as vllm/acme/embed-small
        "embedding_dimensions": 64,
    }
    base = config_of(CASES["issue-example"])["vector_stores"]  # the starter's, no embedding model in the CR
    assert base["default_embedding_model"]["provider_id"] == "sentence-transformers"
    assert {k: v for k, v in stores.items() if k != "default_embedding_model"} == {
        k: v for k, v in base.items() if k != "default_embedding_model"
    }, "only the embedding default changes"


def test_embedding_default_is_added_where_the_base_has_none_and_left_out_without_vector_io():
    embed = {"name": "e5", "metadata": {"embeddingDimension": 384}}
    nvidia = config_of(
        llsd({"distribution": {"name": "nvidia"}, "providers": {"inference": VLLM}, "resources": {"models": [embed]}})
    )
    assert "vector_stores" not in config_of(CASES["nvidia-boot"])
    assert nvidia["vector_stores"] == {
        "default_embedding_model": {"provider_id": "vllm", "model_id": "e5", "embedding_dimensions": 384}
    }
    no_vectors = config_of(
        llsd(
            {
                "distribution": {"name": "nvidia"},
                "providers": {"inference": VLLM},
                "resources": {"models": [embed]},
                "disabled": ["vectorIo", "files"],
            }
        )
    )
    assert "vector_stores" not in no_vectors


def test_bedrock_region_and_azure_deployment_become_a_default_model():
    config = config_of(CASES["bedrock-azure"])
    assert by_id(config, "inference", "aws")["config"]["region_name"] == "us-east-1"
    assert "deployment_name" not in by_id(config, "inference", "az")["config"]
    assert {"model_id": "gpt4o-prod", "provider_id": "az", "provider_model_id": "gpt4o-prod", "model_type": "llm"} in (
        config["registered_resources"]["models"]
    )


def test_obsolete_registered_resource_keys_are_dropped():
    resources = config_of(CASES["no-providers"])["registered_resources"]
    assert "vector_dbs" not in resources
    assert "tool_groups" not in resources


def clear_memos() -> None:
    pipeline._generate_memoised.cache_clear()
    pipeline.parse_spec.cache_clear()


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_input_gives_the_same_bytes(name):
    """Twice from scratch (the per-process memo cleared), and through the memo."""
    clear_memos()
    first = generate(copy.deepcopy(CASES[name]))
    clear_memos()
    second = generate(copy.deepcopy(CASES[name]))
    memoised = generate(copy.deepcopy(CASES[name]))
    assert first.config_yaml == second.config_yaml == memoised.config_yaml
    assert first.env == second.env == memoised.env
    assert first.configmap_name == second.configmap_name == memoised.configmap_name


def test_key_order_of_the_cr_does_not_change_the_bytes():
    cr = copy.deepcopy(CASES["everything"])
    reordered = copy.deepcopy(cr)
    vec = reordered["spec"]["server"]["providers"]["vectorIo"]
    vec["config"] = dict(reversed(list(vec["config"].items())))
    reordered["spec"]["server"] = dict(reversed(list(reordered["spec"]["server"].items())))
    assert generate(reordered).config_yaml == generate(cr).config_yaml


def _containers(value: object) -> set[int]:
    """Identities of every dict and list inside `value`."""
    if isinstance(value, dict):
        return {id(value)}.union(*(_containers(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return {id(value)}.union(*(_containers(v) for v in value))
    return set()


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_step_puts_the_memoised_spec_into_the_config(name):
    """The Spec is memoised and shared by every later sync: after each step, the draft's config
    holds none of its dicts or lists (a step changing one would change the next sync's input)."""
    try:
        spec = pipeline.parse_spec(CASES[name])
    except SpecError:
        pytest.skip("an invalid spec has no config")
    if spec.distribution_name is None or spec.user_config is not None:
        pytest.skip("no generated config")
    shared = _containers(spec.raw).union(*(_containers(entry.config) for entry in spec.providers))
    draft = Draft(spec, registry.base_config(spec.line, spec.distribution_name))
    for step in pipeline.STEPS:
        step(draft)
        assert not _containers(draft.config) & shared, f"{step.__name__} put the spec's data into the config"


def test_memoised_results_are_private_copies():
    first = generate(CASES["issue-example"])
    first.env.clear()
    first.warnings.append("mine")
    second = generate(CASES["issue-example"])
    assert second.env
    assert second.warnings == []


def test_status_and_labels_do_not_change_the_result_but_the_spec_does():
    cr = copy.deepcopy(CASES["issue-example"])
    cr["status"] = {"phase": "Ready"}
    cr["metadata"]["labels"] = {"team": "a"}
    assert generate(cr) == generate(CASES["issue-example"])
    cr["spec"]["server"]["port"] = 9001
    assert generate(cr).config_yaml != generate(CASES["issue-example"]).config_yaml


def test_configmap_name_is_the_content_hash():
    result = generate(CASES["issue-example"])
    import hashlib

    digest = hashlib.sha256(result.config_yaml.encode()).hexdigest()[:10]
    assert result.configmap_name == f"demo-config-{digest}"
    changed = copy.deepcopy(CASES["issue-example"])
    changed["spec"]["server"]["providers"]["inference"]["endpoint"] = "http://other:8000/v1"
    assert generate(changed).configmap_name != result.configmap_name


def test_secret_values_never_reach_the_config():
    """Only references travel: the Secret's name, key and value stay out of config.yaml."""
    cr = llsd({"providers": {"inference": {**VLLM, "apiKey": secret("canary-secret-name", "canary-key")}}})
    text = generate(cr).config_yaml
    assert "canary" not in text
    assert "${env.LLSD_INFERENCE_API_KEY}" in text


def test_counts():
    result = generate(CASES["everything"])
    assert result.resource_count == 5  # 2 models, 1 shield, 2 tools
    config = yaml.safe_load(result.config_yaml)
    enabled = [p for ps in config["providers"].values() for p in ps if not p["provider_id"].startswith("${")]
    assert result.provider_count == len(enabled)
