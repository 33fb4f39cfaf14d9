"""More than one pod (or worker process) and state that stays inside one: every pod-local backend
and provider of the generated or the user's config is named with its fix, and a ReadWriteOnce
PVC under several pods is refused."""

from __future__ import annotations

import pytest

from generator import LLAMA_STACK, SpecError, catalog, generate, inspect_user_config, parse_spec
from generator.pod_state import local_state
from tests.generator.crs import VLLM, llsd, secret
from tests.support.paths import load_sample

POSTGRES = {"type": "postgres", "connectionString": secret("pg", "dsn")}


def warnings_of(cr: dict) -> list[str]:
    return generate(cr).warnings


def test_three_replicas_of_the_starter_name_every_pod_local_piece_with_its_fix():
    storage, files, vectors = warnings_of(llsd({"providers": {"inference": VLLM}}, replicas=3))
    assert storage.startswith("spec.replicas: 3 pods run, but storage backends kv_default (kv_sqlite), ")
    assert "sql_default (sql_sqlite)" in storage
    assert storage.endswith("set spec.server.configStorage.type: postgres")
    assert "files providers builtin-files (inline::localfs)" in files
    assert "a remote files provider (openai, s3)" in files
    assert "vector_io providers faiss (inline::faiss), sqlite-vec (inline::sqlite-vec)" in vectors
    assert "pgvector" in vectors
    assert "spec.server.providers.vectorIo: [{id: faiss, provider: <remote one>" in vectors


def test_one_pod_warns_of_nothing():
    assert warnings_of(llsd({"providers": {"inference": VLLM}})) == []


def test_postgres_storage_leaves_only_the_providers():
    found = warnings_of(llsd({"providers": {"inference": VLLM}, "configStorage": POSTGRES}, replicas=2))
    assert len(found) == 2
    assert not any("storage backends" in w for w in found)


def test_the_documented_fix_silences_every_warning():
    """Replacing the distribution's local providers by id (and postgres storage) shares all state:
    the multi-replica sample does it."""
    parent, _ = load_sample("example-multi-replica")
    assert parent["spec"]["replicas"] == 3
    assert warnings_of(parent) == []


def test_an_autoscaler_that_may_add_pods_counts_not_the_replicas_field():
    scaled = warnings_of(llsd({"providers": {"inference": VLLM}, "autoscaling": {"maxReplicas": 4}}))
    assert scaled
    assert all(w.startswith("spec.server.autoscaling.maxReplicas: up to 4 pods can run") for w in scaled)
    assert warnings_of(llsd({"providers": {"inference": VLLM}, "autoscaling": {"maxReplicas": 1}})) == []


def test_a_provider_the_base_enables_by_env_counts_once_the_pod_sets_it():
    milvus_env = {"containerSpec": {"env": [{"name": "MILVUS_URL", "value": "unused"}]}}
    plain = warnings_of(llsd({"providers": {"inference": VLLM}}, replicas=2))
    enabled = warnings_of(llsd({"providers": {"inference": VLLM}, **milvus_env}, replicas=2))
    assert not any("milvus (inline::milvus)" in w for w in plain)
    assert any("milvus (inline::milvus)" in w for w in enabled)


def test_several_workers_and_an_in_process_index():
    (warning,) = warnings_of(llsd({"providers": {"inference": VLLM}, "workers": 2}))
    assert warning.startswith("spec.server.workers: 2 worker processes share the in-process indexes of ")
    assert "faiss (inline::faiss), sqlite-vec (inline::sqlite-vec)" in warning
    assert "'database is locked'" in warning
    assert "use workers: 1 or a remote vector_io provider" in warning
    assert warnings_of(llsd({"providers": {"inference": VLLM}, "workers": 1})) == []


@pytest.mark.parametrize(
    "provider_type",
    sorted(t for t, info in catalog.provider_types(LLAMA_STACK, "vector_io").items() if t.startswith("inline::")),
)
def test_every_inline_vector_store_of_the_catalog_is_pod_local(provider_type):
    """The rule reads the catalog: no provider list to keep up to date."""
    config = {"providers": {"vector_io": [{"provider_id": "v", "provider_type": provider_type, "config": {}}]}}
    assert [(s.name, s.kind) for s in local_state(LLAMA_STACK, config, set())] == [("v", provider_type)]


def test_remote_providers_and_unreferenced_backends_are_not():
    config = {
        "providers": {"vector_io": [{"provider_id": "pg", "provider_type": "remote::pgvector", "config": {}}]},
        "storage": {"backends": {"unused": {"type": "kv_sqlite", "db_path": "/x.db"}}, "stores": {}},
    }
    assert local_state(LLAMA_STACK, config, set()) == []


USER_CONFIG = """\
version: 2
providers:
  inference:
  - {provider_id: vllm, provider_type: remote::vllm, config: {base_url: "http://vllm:8000/v1"}}
  vector_io:
  - {provider_id: mine, provider_type: inline::sqlite-vec, config: {db_path: /.llama/v.db,
     persistence: {backend: kv_default, namespace: v}}}
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /.llama/kv.db}
  stores:
    metadata: {backend: kv_default, namespace: registry}
"""


def test_a_user_config_is_checked_too_with_fixes_for_its_own_file():
    spec = parse_spec(llsd({"userConfig": {"configMapName": "c"}}, replicas=2))
    storage, vectors = inspect_user_config(USER_CONFIG, spec).warnings
    assert "storage backends kv_default (kv_sqlite)" in storage
    assert storage.endswith("use kv_postgres/sql_postgres backends in your config.yaml")
    assert "vector_io providers mine (inline::sqlite-vec)" in vectors
    assert vectors.endswith("in your config.yaml")
    assert inspect_user_config(USER_CONFIG).warnings == []  # without the spec: no pods to count


@pytest.mark.parametrize(
    ("pods", "reason"),
    [
        ({"replicas": 2}, "spec.replicas: 2 pods run"),
        ({"autoscaling": {"maxReplicas": 3}}, "spec.server.autoscaling.maxReplicas: up to 3 pods can run"),
    ],
)
def test_a_read_write_once_pvc_under_several_pods_is_refused(pods, reason):
    server = {"providers": {"inference": VLLM}, "storage": {"size": "5Gi"}}
    cr = llsd({**server, **{k: v for k, v in pods.items() if k != "replicas"}}, replicas=pods.get("replicas", 1))
    with pytest.raises(SpecError) as caught:
        parse_spec(cr)
    (error,) = caught.value.errors
    assert error["path"] == "spec.server.storage"
    assert error["message"].startswith(f"{reason}, but the PVC is ReadWriteOnce (one node at a time)")
    assert "remove storage" in error["message"]
    assert "or run one replica" in error["message"]
    parse_spec(llsd(server))  # one pod: fine
