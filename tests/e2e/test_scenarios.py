"""E2E scenarios: a CR goes through the real hook, the pod it returns boots a real llama-stack.

Each scenario builds a LlamaStackDistribution (and the Secrets/ConfigMaps it names), asks the
hook's `/sync` for the children, starts **the Deployment of that answer** with the pod runner
(tests/e2e/podrunner.py) and checks the result through the server's own API. Nothing of the
config is written here: a misnamed field, a missing provider or a Secret that does not reach its
consumer in the hook's output makes a check fail.

Fakes, only for what cannot run here: the model servers (tests/support/fake_openai.py stands in for
vLLM: no GPU, no network) and Kubernetes itself (the pod runner plays the kubelet). llama-stack
0.7.3, its config parsing, its storage (SQLite files and a real PostgreSQL), TLS and HTTP are real.

Pods that several checks can share are started once per module (each check still fails on its
own when the config it looks at is wrong); the light scenarios use the `nvidia` distribution (no
torch, fast boot), one uses `starter` with its real dependencies.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.hookcall import (
    child,
    condition,
    generated_config,
    key_ref,
    listing,
    llsd,
    secret,
    sync,
)
from tests.e2e.podrunner import Pod, PodFailed, http_request, run_hook_pod
from tests.e2e.postgres import PostgresServer
from tests.e2e.stackclient import stack_client
from tests.e2e.tls import self_signed_cert
from tests.support.fake_openai import REPLY, FakeOpenAI, wait_for
from tests.support.objects import configmap

pytestmark = pytest.mark.boot

KEY = "sk-e2e-us1-2b7c9d"
KEY_A = "sk-e2e-a-71e0c4"
KEY_B = "sk-e2e-b-0d93fa"
NVIDIA = {"name": "nvidia"}
DISABLED = ["eval", "datasetio", "scoring"]


@dataclass
class Booted:
    request: dict[str, Any]
    response: dict[str, Any]
    pod: Pod


def providers(pod: Pod) -> list[dict[str, Any]]:
    answer = pod.get("/v1/providers")
    assert answer.status == 200, answer.status
    return listing(answer.json())


def models(pod: Pod) -> dict[str, dict[str, Any]]:
    answer = pod.get("/v1/models")
    assert answer.status == 200, answer.status
    return {m.get("id") or m["identifier"]: m for m in listing(answer.json())}


def chat(pod: Pod, model: str) -> str:
    answer = pod.post("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "ping"}]})
    assert answer.status == 200, pod.redact(answer.text)
    return str(answer.json()["choices"][0]["message"]["content"])


def vllm(upstream: FakeOpenAI, secret_name: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "vllm", "endpoint": upstream.base_url, "apiKey": key_ref(secret_name, "token"), **extra}


# ---------------------------------------------------------------------------------------------
# US1, US3, US4, US5 on one pod: one inference provider (vllm) with a key from a Secret and a
# pass-through setting, a llama-guard safety provider, models/shields/tools, three APIs disabled.
# ---------------------------------------------------------------------------------------------
def rich_cr(upstream: FakeOpenAI) -> dict[str, Any]:
    return llsd(
        {
            "distribution": NVIDIA,
            "providers": {
                "inference": vllm(upstream, "vllm-creds", config={"max_tokens": 77}),
                "safety": {"provider": "llama-guard"},
            },
            "resources": {
                "models": ["fake-llm", {"name": "fake-llm-2", "metadata": {"contextLength": 4096}}],
                "shields": ["fake-llm-2"],
                "tools": ["builtin::file_search"],
            },
            "disabled": DISABLED,
        }
    )


@pytest.fixture(scope="module")
def rich() -> Iterator[tuple[Booted, FakeOpenAI]]:
    with ExitStack() as stack:
        upstream = stack.enter_context(FakeOpenAI(api_key=KEY))
        request, response = sync(rich_cr(upstream), [secret("vllm-creds", {"token": KEY})])
        pod = stack.enter_context(run_hook_pod(response, request))
        yield Booted(request, response, pod), upstream


def test_us1_single_provider_serves_its_model_with_the_key_from_the_secret(
    rich: tuple[Booted, FakeOpenAI],
) -> None:
    booted, upstream = rich
    pod = booted.pod
    assert pod.get("/v1/health").json()["status"] == "OK"
    # it runs as the pod's non-root user, writing only into its volumes (podrunner: "User")
    assert pod.uid == (1001 if os.geteuid() == 0 else None)
    model = models(pod)["vllm/fake-llm"]
    assert model["custom_metadata"]["provider_id"] == "vllm"
    assert model["custom_metadata"]["provider_resource_id"] == "fake-llm"

    upstream.clear()
    assert chat(pod, "vllm/fake-llm") == REPLY  # the upstream answers 401 to any other key
    sent = upstream.requests_to("/v1/chat/completions", "POST")
    assert sent
    assert sent[-1].body["model"] == "fake-llm"
    assert sent[-1].authorization == f"Bearer {KEY}", "the Secret's key did not reach the upstream"
    # Only a reference to the Secret is in the generated config; the server masks the value.
    assert KEY not in generated_config(booted.response)[1]
    assert KEY not in pod.get("/v1/providers").text
    assert KEY not in pod.log(raw=True)


def test_us3_pass_through_config_reaches_the_provider(rich: tuple[Booted, FakeOpenAI]) -> None:
    booted, upstream = rich
    vllm_block = next(p for p in providers(booted.pod) if p["provider_id"] == "vllm")
    assert vllm_block["config"]["max_tokens"] == 77
    upstream.clear()
    chat(booted.pod, "vllm/fake-llm")
    assert upstream.requests_to("/v1/chat/completions", "POST")[-1].body.get("max_tokens") == 77


def test_us4_models_tools_and_shields_are_registered(rich: tuple[Booted, FakeOpenAI]) -> None:
    pod = rich[0].pod
    served = models(pod)
    assert served["vllm/fake-llm-2"]["custom_metadata"].get("context_length") == 4096
    assert "context_length" not in served["vllm/fake-llm"]["custom_metadata"]

    tool_groups = {t["toolgroup_id"] for t in listing(pod.get("/v1/tools").json())}
    assert "builtin::file_search" in tool_groups, tool_groups

    guard = [p for p in providers(pod) if p["api"] == "safety" and p["provider_id"] == "llama-guard"]
    assert guard
    assert guard[0]["provider_type"] == "inline::llama-guard"
    shields = {s["identifier"]: s for s in listing(pod.get("/v1/shields").json())}
    assert shields["fake-llm-2"]["provider_id"] == "llama-guard"
    assert shields["fake-llm-2"]["provider_resource_id"] == "vllm/fake-llm-2", "llama-guard needs a served model id"


def test_us4_unknown_tool_group_is_refused_with_the_field_path(rich: tuple[Booted, FakeOpenAI]) -> None:
    """No boot: the hook's answer for a tool 0.7 no longer has (the pod above shows the valid case)."""
    parent = copy.deepcopy(rich[0].request["parent"])
    parent["spec"]["server"]["resources"]["tools"] = ["builtin::code_interpreter"]
    _, response = sync(parent, [secret("vllm-creds", {"token": KEY})])
    assert response["status"]["phase"] == "Failed"
    message = condition(response, "ConfigReady")["message"]
    assert "spec.server.resources.tools[0]" in message, message
    assert "builtin::file_search" in message, message


def test_us5_disabled_apis_are_absent(rich: tuple[Booted, FakeOpenAI]) -> None:
    booted = rich[0]
    apis = {p["api"] for p in providers(booted.pod)}
    assert not apis & set(DISABLED), apis
    assert {"inference", "safety", "tool_runtime"} <= apis
    # Not vacuous: the same CR without `disabled` has those APIs (the nvidia base ships them).
    parent = copy.deepcopy(booted.request["parent"])
    del parent["spec"]["server"]["disabled"]
    _, response = sync(parent, [secret("vllm-creds", {"token": KEY})])
    assert set(DISABLED) <= set(yaml.safe_load(generated_config(response)[1])["apis"])
    for path in ("/v1/scoring-functions", "/v1/eval/benchmarks"):
        assert booted.pod.get(path).status == 404, path


# ---------------------------------------------------------------------------------------------
# US2: two vllm providers with ids, each at its own upstream with its own key.
# ---------------------------------------------------------------------------------------------
def test_us2_several_providers_each_with_its_own_upstream_and_key(start_hook_pod: Any) -> None:
    with FakeOpenAI(api_key=KEY_A) as up_a, FakeOpenAI(api_key=KEY_B, models=("model-b",)) as up_b:
        parent = llsd(
            {
                "distribution": NVIDIA,
                "providers": {
                    "inference": [
                        {"id": "vllm-a", **vllm(up_a, "creds-a")},
                        {"id": "vllm-b", **vllm(up_b, "creds-b")},
                    ]
                },
                "resources": {"models": [{"name": "fake-llm", "provider": "vllm-a"}, "fake-llm-2"]},
            }
        )
        related = [secret("creds-a", {"token": KEY_A}), secret("creds-b", {"token": KEY_B})]
        request, response = sync(parent, related)
        pod = start_hook_pod(response, request)

        found = {p["provider_id"]: p for p in providers(pod) if p["api"] == "inference"}
        assert found["vllm-a"]["config"]["base_url"].rstrip("/") == up_a.base_url
        assert found["vllm-b"]["config"]["base_url"].rstrip("/") == up_b.base_url
        served = models(pod)
        # registered: fake-llm explicitly on vllm-a, a bare name on the first provider (vllm-a);
        # listed from each upstream: model-b only exists at B.
        assert {"vllm-a/fake-llm", "vllm-a/fake-llm-2", "vllm-b/model-b"} <= set(served), sorted(served)
        assert served["vllm-b/model-b"]["custom_metadata"]["provider_id"] == "vllm-b"

        up_a.clear()
        up_b.clear()
        assert chat(pod, "vllm-a/fake-llm") == REPLY
        assert chat(pod, "vllm-b/model-b") == REPLY
        (to_a,) = up_a.requests_to("/v1/chat/completions", "POST")
        (to_b,) = up_b.requests_to("/v1/chat/completions", "POST")
        assert to_a.body["model"] == "fake-llm"
        assert to_a.authorization == f"Bearer {KEY_A}"
        assert to_b.body["model"] == "model-b"
        assert to_b.authorization == f"Bearer {KEY_B}"
        env = {e["name"] for e in child(response, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert {"LLSD_INFERENCE_VLLM_A_API_KEY", "LLSD_INFERENCE_VLLM_B_API_KEY"} <= env


# ---------------------------------------------------------------------------------------------
# US6: the userConfig escape hatch.
# ---------------------------------------------------------------------------------------------
USER_CONFIG = """\
version: 2
distro_name: users-own
apis: [inference]
providers:
  inference:
  - provider_id: my-own-vllm
    provider_type: remote::vllm
    config:
      base_url: {base_url}
      max_tokens: 33
storage:
  backends:
    kv_default: {{type: kv_sqlite, db_path: /.llama/mine/kv.db}}
    sql_default: {{type: sql_sqlite, db_path: /.llama/mine/sql.db}}
  stores:
    metadata: {{backend: kv_default, namespace: registry}}
    inference: {{backend: sql_default, table_name: inference_store}}
    conversations: {{backend: sql_default, table_name: openai_conversations}}
    prompts: {{backend: kv_default, namespace: prompts}}
    connectors: {{backend: kv_default, namespace: connectors}}
server:
  port: 8321
"""


def test_us6_user_config_is_served_as_is(fake_upstream: FakeOpenAI, start_hook_pod: Any) -> None:
    text = USER_CONFIG.format(base_url=fake_upstream.base_url)
    parent = llsd({"distribution": NVIDIA, "userConfig": {"configMapName": "my-stack"}})
    request, response = sync(parent, [configmap("my-stack", {"config.yaml": text})])
    assert not [c for c in child(response, "ConfigMap") if c["metadata"]["name"].startswith("e2e-config-")]
    pod = start_hook_pod(response, request)

    found = {p["provider_id"]: p for p in providers(pod)}
    assert set(found) == {"my-own-vllm"}, "the server runs the user's config, not a generated one"
    assert found["my-own-vllm"]["config"]["max_tokens"] == 33
    assert "my-own-vllm/fake-llm" in models(pod)
    fake_upstream.clear()
    assert chat(pod, "my-own-vllm/fake-llm") == REPLY
    assert fake_upstream.requests_to("/v1/chat/completions", "POST")[-1].body["max_tokens"] == 33
    assert (pod.host_path("/.llama/mine") / "kv.db").is_file()


# ---------------------------------------------------------------------------------------------
# configStorage: postgres against a real PostgreSQL.
# ---------------------------------------------------------------------------------------------
def test_postgres_storage_creates_its_tables_in_the_real_database(
    fake_upstream: FakeOpenAI, postgres: PostgresServer, start_hook_pod: Any
) -> None:
    database = "e2e_scenario_pg"
    dsn = postgres.create_database(database)
    parent = llsd(
        {
            "distribution": NVIDIA,
            "providers": {"inference": {"provider": "vllm", "endpoint": fake_upstream.base_url}},
            "resources": {"models": ["fake-llm"]},
            "configStorage": {"type": "postgres", "connectionString": key_ref("pg", "dsn")},
        }
    )
    request, response = sync(parent, [secret("pg", {"dsn": dsn})])
    pod = start_hook_pod(response, request)
    assert pod.get("/v1/health").json()["status"] == "OK"
    assert "vllm/fake-llm" in models(pod)
    assert chat(pod, "vllm/fake-llm") == REPLY  # first use of the inference store: its table appears

    assert "llamastack_kvstore" in postgres.tables(database)
    assert wait_for(lambda: "inference_store" in postgres.tables(database), timeout=15, interval=0.5)
    registry = postgres.psql("SELECT count(*) FROM llamastack_kvstore WHERE key LIKE '%fake-llm%'", database)
    assert int(registry) >= 1, "the registered model is not in postgres"
    written = [p for p in Path(pod.host_path("/.llama")).rglob("*") if p.suffix in (".db", ".sqlite")]
    assert not written, f"SQLite files written although storage is postgres: {written}"
    assert postgres.password not in pod.log(raw=True)


@pytest.mark.use
def test_pgvector_stores_and_searches_in_the_real_database(
    fake_upstream: FakeOpenAI, postgres: PostgresServer, start_hook_pod: Any
) -> None:
    """A pgvector provider whose password comes from a Secret, used: a vector store on it embeds
    with the CR's embedding model, its chunks are rows in PostgreSQL, and search finds them.
    Debian 12 has no pgvector package; .ci/run builds the extension from Debian's source package.
    """
    database = "e2e_scenario_pgvector"
    postgres.create_database(database)
    if not postgres.has_pgvector:
        pytest.skip(f"pgvector unavailable: {postgres.pgvector_reason}")
    parent = llsd(
        {
            "distribution": NVIDIA,
            "providers": {
                "inference": {"provider": "vllm", "endpoint": fake_upstream.base_url},
                "vectorIo": {
                    "id": "pg",
                    "provider": "pgvector",
                    "secretRefs": {"password": key_ref("pg", "password")},
                    "config": {"host": postgres.host, "port": postgres.port, "db": database, "user": postgres.user},
                },
            },
            "resources": {"models": [{"name": "fake-embed", "metadata": {"embeddingDimension": 384}}]},
        }
    )
    request, response = sync(parent, [secret("pg", {"password": postgres.password})])
    pod = start_hook_pod(response, request)
    (pg,) = [p for p in providers(pod) if p["provider_id"] == "pg"]
    assert (pg["api"], pg["provider_type"]) == ("vector_io", "remote::pgvector")
    assert postgres.password not in pod.get("/v1/providers").text

    client = stack_client(pod)
    store = client.vector_stores.create(name="pg-kb", extra_body={"provider_id": "pg"})  # nvidia also has faiss
    text = "Glaciers carve fjords slowly over thousands of winters."
    uploaded = client.files.create(file=("glacier.txt", text.encode(), "text/plain"), purpose="assistants")
    client.vector_stores.files.create(store.id, file_id=uploaded.id)
    assert wait_for(
        lambda: client.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id).status != "in_progress",
        timeout=120,
        interval=0.5,
    )
    assert client.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id).status == "completed"
    (hit, *_) = client.vector_stores.search(store.id, query="how are fjords carved").data
    assert hit.file_id == uploaded.id
    assert "fjords" in hit.content[0].text
    # The chunk is a row of a pgvector table in the real database, with its 384-dimension vector.
    vector_tables = postgres.psql(
        "SELECT table_name FROM information_schema.columns WHERE udt_name = 'vector'", database
    ).split()
    assert vector_tables, postgres.tables(database)
    rows = postgres.psql(f'SELECT count(*), max(vector_dims(embedding)) FROM "{vector_tables[0]}"', database)
    assert rows == "1|384", rows


# ---------------------------------------------------------------------------------------------
# serverTLS and the CA bundle, on one pod: the server speaks HTTPS with the cert of a
# kubernetes.io/tls Secret; its upstream speaks HTTPS with a cert only the CA bundle trusts.
# ---------------------------------------------------------------------------------------------
def test_server_tls_and_ca_bundle(tmp_path: Path, start_hook_pod: Any) -> None:
    server_cert, server_key = self_signed_cert(tmp_path / "server")
    upstream_cert, _ = self_signed_cert(tmp_path / "upstream")
    tls_files = (str(tmp_path / "upstream" / "tls.crt"), str(tmp_path / "upstream" / "tls.key"))
    with FakeOpenAI(api_key=KEY, tls=tls_files) as upstream:
        parent = llsd(
            {
                "distribution": NVIDIA,
                "providers": {"inference": vllm(upstream, "vllm-creds")},
                "resources": {"models": ["fake-llm"]},
                "serverTLS": {"enabled": True, "secretName": "e2e-tls"},
                "tlsConfig": {"caBundle": {"configMapName": "corp-ca", "configMapKeys": ["root.pem"]}},
            }
        )
        tls_secret = secret(
            "e2e-tls", {"tls.crt": server_cert.decode(), "tls.key": server_key.decode()}, type_="kubernetes.io/tls"
        )
        related = [
            secret("vllm-creds", {"token": KEY}),
            tls_secret,
            configmap("corp-ca", {"root.pem": upstream_cert.decode()}),
        ]
        request, response = sync(parent, related)
        assert response["status"]["serviceURL"].startswith("https://")
        pod = start_hook_pod(response, request)

        # serverTLS: the hook's probes are HTTPS and were answered; plain HTTP is not served.
        assert pod.scheme == "https"
        assert pod.get("/v1/health").json()["status"] == "OK"
        # Any connection failure will do (reset, refused, bad status line): all are OSErrors.
        with pytest.raises(OSError):  # noqa: PT011
            http_request(f"http://127.0.0.1:{pod.host_port}/v1/health", timeout=5)

        # CA bundle: mounted where SSL_CERT_FILE points, holding the certificate...
        bundle = Path(pod.env["SSL_CERT_FILE"])
        assert str(bundle).startswith(str(pod.root)), "SSL_CERT_FILE is not under a mounted volume"
        assert upstream_cert.decode().strip() in bundle.read_text()
        # ...and used: llama-stack's client verifies the upstream's self-signed cert with it.
        assert chat(pod, "vllm/fake-llm") == REPLY
        assert upstream.requests_to("/v1/chat/completions", "POST")[-1].authorization == f"Bearer {KEY}"


# ---------------------------------------------------------------------------------------------
# The starter distribution, with its real dependencies (torch, sentence-transformers).
# ---------------------------------------------------------------------------------------------
def test_starter_distribution_boots_with_its_real_dependencies(fake_upstream: FakeOpenAI, start_hook_pod: Any) -> None:
    """Never calls embeddings: the sentence-transformers model would be downloaded."""
    parent = llsd(
        {
            "distribution": {"name": "starter"},
            "providers": {"inference": vllm(fake_upstream, "vllm-creds")},
            "resources": {"models": ["fake-llm"]},
        }
    )
    request, response = sync(parent, [secret("vllm-creds", {"token": "sk-starter-5e1"})])
    pod = start_hook_pod(response, request, ready_timeout=180)
    assert pod.get("/v1/health").json()["status"] == "OK"
    served = models(pod)
    assert "vllm/fake-llm" in served
    assert "sentence-transformers/nomic-ai/nomic-embed-text-v1.5" in served, "not the starter distribution"
    types = {p["provider_type"] for p in providers(pod)}
    assert {"remote::vllm", "inline::sentence-transformers"} <= types
    assert chat(pod, "vllm/fake-llm") == REPLY


def test_a_pod_whose_secret_is_missing_never_starts() -> None:
    """The harness check the scenarios rely on: a pod the hook would not get is reported, not run."""
    with FakeOpenAI() as upstream:
        request, response = sync(
            llsd({"distribution": NVIDIA, "providers": {"inference": vllm(upstream, "vllm-creds")}}),
            [secret("vllm-creds", {"token": KEY})],
        )
        request["related"]["Secret.v1"].clear()
        with pytest.raises(PodFailed, match="CreateContainerConfigError"), run_hook_pod(response, request):
            pass
