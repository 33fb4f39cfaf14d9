"""A real llama-stack 0.7.3 server booted through the pod runner from a hand-written pod.

This proves the harness end to end before the hook exists: the Deployment here has the shape
the hook returns (command, env with secretKeyRef, config ConfigMap at /etc/llama-stack, emptyDir
at /.llama, startupProbe on /v1/health), and the same checks later run on hook-generated pods.

Fakes: the upstream model server is tests/support/fake_openai.py (no vLLM can run here); everything
else (llama-stack, its config parsing, sqlite and PostgreSQL storage, HTTP) is real.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import pytest

from tests.e2e.podrunner import Pod, listening_addresses
from tests.e2e.postgres import PostgresServer
from tests.support.fake_openai import REPLY, FakeOpenAI, wait_for

pytestmark = pytest.mark.boot

API_KEY = "sk-e2e-minimal-7f3a"

CONFIG = """\
version: 2
distro_name: e2e
apis:
- inference
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
      base_url: {base_url}
      api_token: ${{env.LLSD_INFERENCE_API_KEY}}
      max_tokens: 512
storage:
  backends:
    kv_default:
      type: kv_sqlite
      db_path: /.llama/e2e/kvstore.db
    sql_default:
      type: sql_sqlite
      db_path: /.llama/e2e/sql_store.db
  stores:
    metadata:
      backend: kv_default
      namespace: registry
    inference:
      backend: sql_default
      table_name: inference_store
    conversations:
      backend: sql_default
      table_name: openai_conversations
    prompts:
      backend: kv_default
      namespace: prompts
registered_resources:
  models:
  - model_id: fake-llm
    provider_id: vllm
    provider_model_id: fake-llm
    model_type: llm
server:
  port: 8321
"""


def minimal_objects(base_url: str) -> list[dict[str, Any]]:
    """The ConfigMap, Secret and Deployment, shaped like the hook's children and related objects."""
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "e2e-config-0123456789"},
        "data": {"config.yaml": CONFIG.format(base_url=base_url)},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "vllm-creds"},
        "data": {"token": base64.b64encode(API_KEY.encode()).decode()},
    }
    container = {
        "name": "llama-stack",
        "image": "docker.io/llamastack/distribution-starter:0.7.3",
        "command": ["llama", "stack", "run", "/etc/llama-stack/config.yaml", "--port", "8321"],
        "ports": [{"name": "http", "containerPort": 8321, "protocol": "TCP"}],
        "env": [
            {"name": "HF_HOME", "value": "/.llama"},
            {"name": "LLS_PORT", "value": "8321"},
            {"name": "LLAMA_STACK_CONFIG", "value": "/etc/llama-stack/config.yaml"},
            {"name": "LLSD_INFERENCE_API_KEY", "valueFrom": {"secretKeyRef": {"name": "vllm-creds", "key": "token"}}},
        ],
        "startupProbe": {
            "httpGet": {"path": "/v1/health", "port": 8321, "scheme": "HTTP"},
            "initialDelaySeconds": 15,
            "timeoutSeconds": 30,
            "failureThreshold": 3,
        },
        "readinessProbe": {"httpGet": {"path": "/v1/health", "port": "http"}},
        "volumeMounts": [
            {"name": "lls-storage", "mountPath": "/.llama"},
            {"name": "generated-config", "mountPath": "/etc/llama-stack/", "readOnly": True},
        ],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "e2e", "labels": {"app": "llama-stack"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "llama-stack", "app.kubernetes.io/instance": "e2e"}},
            "template": {
                "metadata": {"labels": {"app": "llama-stack", "app.kubernetes.io/instance": "e2e"}},
                "spec": {
                    "containers": [container],
                    "volumes": [
                        {"name": "lls-storage", "emptyDir": {}},
                        {"name": "generated-config", "configMap": {"name": configmap["metadata"]["name"]}},
                    ],
                },
            },
        },
    }
    return [deployment, configmap, secret]


@pytest.fixture
def minimal_pod(fake_upstream: FakeOpenAI, start_hook_pod: Any) -> Pod:
    deployment, configmap, secret = minimal_objects(fake_upstream.base_url)
    response = {"children": [configmap, deployment]}
    request = {"related": {"Secret.v1": {"vllm-creds": secret}}}
    return start_hook_pod(response, request, ready_timeout=120)


def test_minimal_server_serves_the_registered_model_through_the_fake_upstream(
    minimal_pod: Pod, fake_upstream: FakeOpenAI
) -> None:
    pod = minimal_pod
    health = pod.get("/v1/health")
    assert health.status == 200
    assert health.json()["status"] == "OK"
    assert listening_addresses(pod.host_port) == {"127.0.0.1"}, "the server must bind loopback only"

    providers = pod.get("/v1/providers").json()
    providers = providers.get("data", providers) if isinstance(providers, dict) else providers
    vllm = [p for p in providers if p["provider_id"] == "vllm"]
    assert vllm
    assert vllm[0]["provider_type"] == "remote::vllm"
    assert vllm[0]["config"]["base_url"].rstrip("/") == fake_upstream.base_url
    assert API_KEY not in pod.get("/v1/providers").text, "the API key must be masked"

    models = pod.get("/v1/models").json()
    models = models.get("data", models) if isinstance(models, dict) else models
    ids = {m.get("id") or m.get("identifier") for m in models}
    assert "vllm/fake-llm" in ids, ids

    fake_upstream.clear()
    chat = pod.post(
        "/v1/chat/completions",
        {"model": "vllm/fake-llm", "messages": [{"role": "user", "content": "ping"}], "stream": False},
    )
    assert chat.status == 200, pod.redact(chat.text)
    assert chat.json()["choices"][0]["message"]["content"] == REPLY

    upstream_chats = fake_upstream.requests_to("/v1/chat/completions", "POST")
    assert upstream_chats, "llama-stack never called the upstream"
    assert upstream_chats[-1].body["model"] == "fake-llm"  # provider_model_id, not the served id
    assert upstream_chats[-1].authorization == f"Bearer {API_KEY}", "the Secret's key did not reach the upstream"

    # The storage mount was used: sqlite files exist where /.llama was mapped (the inference
    # store is written asynchronously after the reply, hence the bounded wait).
    storage = pod.host_path("/.llama/e2e")
    assert (storage / "kvstore.db").is_file()
    assert wait_for(lambda: (storage / "sql_store.db").is_file(), timeout=10)
    assert API_KEY not in pod.log(raw=True), "the API key appeared in the server log"


def test_minimal_server_streams_chat_completions(minimal_pod: Pod) -> None:
    chat = minimal_pod.post(
        "/v1/chat/completions",
        {"model": "vllm/fake-llm", "messages": [{"role": "user", "content": "ping"}], "stream": True},
    )
    assert chat.status == 200
    assert chat.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in chat.text.splitlines() if line.startswith("data: ")]

    text = "".join(
        (c["choices"][0]["delta"].get("content") or "")
        for c in (json.loads(e) for e in events if e != "[DONE]")
        if c.get("choices")
    )
    assert text == REPLY


PG_STORAGE = """\
storage:
  backends:
    kv_postgres:
      type: kv_postgres
      host: ${env.LLSD_STORAGE_PG_HOST}
      port: ${env.LLSD_STORAGE_PG_PORT:=5432}
      db: ${env.LLSD_STORAGE_PG_DB}
      user: ${env.LLSD_STORAGE_PG_USER}
      password: ${env.LLSD_STORAGE_PG_PASSWORD:=}
    sql_postgres:
      type: sql_postgres
      host: ${env.LLSD_STORAGE_PG_HOST}
      port: ${env.LLSD_STORAGE_PG_PORT:=5432}
      db: ${env.LLSD_STORAGE_PG_DB}
      user: ${env.LLSD_STORAGE_PG_USER}
      password: ${env.LLSD_STORAGE_PG_PASSWORD:=}
  stores:
    metadata:
      backend: kv_postgres
      namespace: registry
    inference:
      backend: sql_postgres
      table_name: inference_store
    conversations:
      backend: sql_postgres
      table_name: openai_conversations
    prompts:
      backend: kv_postgres
      namespace: prompts
    connectors:  # omitted, it defaults to kv_default, and the server exits: no such backend
      backend: kv_postgres
      namespace: connectors
"""


def test_minimal_server_on_real_postgres_through_the_connection_string_shim(
    fake_upstream: FakeOpenAI, postgres: PostgresServer, start_hook_pod: Any
) -> None:
    """The postgres storage path: a connection-string Secret, the generator's shim as the command,
    kv_postgres/sql_postgres backends; llama-stack must create its tables in the real database."""
    from generator import LLAMA_STACK
    from generator.storage import postgres_shim

    deployment, configmap, secret = minimal_objects(fake_upstream.base_url)
    text = configmap["data"]["config.yaml"]
    start, end = text.index("storage:\n"), text.index("registered_resources:\n")
    configmap["data"]["config.yaml"] = text[:start] + PG_STORAGE + text[end:]
    dsn = postgres.create_database(f"e2e_min_{secrets.token_hex(4)}")
    database = dsn.rsplit("/", 1)[1]
    secret["data"]["connection"] = base64.b64encode(dsn.encode()).decode()
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["python3", "-c", postgres_shim(LLAMA_STACK), "stack", "run", "/etc/llama-stack/config.yaml"]
    container["args"] = ["--port", "8321"]
    ref = {"secretKeyRef": {"name": "vllm-creds", "key": "connection"}}
    container["env"].append({"name": "LLSD_STORAGE_CONNECTION_STRING", "valueFrom": ref})

    pod = start_hook_pod({"children": [configmap, deployment]}, {"related": {"Secret.v1": {"vllm-creds": secret}}})
    assert pod.get("/v1/health").status == 200
    chat = pod.post("/v1/chat/completions", {"model": "vllm/fake-llm", "messages": [{"role": "user", "content": "x"}]})
    assert chat.status == 200
    assert chat.json()["choices"][0]["message"]["content"] == REPLY
    assert "llamastack_kvstore" in postgres.tables(database)
    # The inference store writes the chat asynchronously, creating its table on first use.
    assert wait_for(lambda: "inference_store" in postgres.tables(database), timeout=15, interval=0.5), postgres.tables(
        database
    )
    assert postgres.psql("SELECT count(*) FROM llamastack_kvstore", database) != "0", "nothing registered in postgres"
    assert not (pod.root / ".llama" / "e2e").exists(), "sqlite files were written although storage is postgres"
    assert postgres.password not in pod.log(raw=True), "the database password appeared in the server log"
