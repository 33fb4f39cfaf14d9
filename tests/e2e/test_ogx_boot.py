"""An OGXServer's Deployment, as the hook answers it, run by the pod runner with a real `ogx run`.

The CR is upstream's shape: a vLLM provider typed under `spec.providers`, its token from a
Secret labelled `ogx.io/watch: "true"`, a model, and `spec.baseConfig` (a ConfigMap with a small
base config) with `distribution.image`, as a user of their own OGX image would write it. The
hook's answer (ConfigMap, Deployment: `ogx run /etc/ogx/config.yaml`, `OGX_*` env, `/.ogx`) is
run by the pod runner with OGX 1.5.0 from `.venv-ogx` in place of the image (OGX needs `mcp>=2`,
so it cannot share llama-stack's virtualenv). A chat completion then goes through the OGX server
to the fake upstream, which accepts only the Secret's key.

Fakes, only for what cannot run here: the model server (tests/support/fake_openai.py) and
Kubernetes (the pod runner). OGX, its config parsing, storage and HTTP are real.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from typing import Any

import pytest
import yaml

from tests.e2e.hookcall import NAMESPACE, child, post_sync
from tests.e2e.podrunner import run_hook_pod
from tests.support.fake_openai import REPLY, FakeOpenAI
from tests.support.metacontroller import sync_request
from tests.support.ogx import OGX_PYTHON, ogx_python

pytestmark = pytest.mark.boot

KEY = "sk-e2e-ogx-5b81c2"
WATCH = {"ogx.io/watch": "true"}
BASE = """\
version: 2
distro_name: house
apis: [inference]
providers:
  inference: []
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: ~/.ogx/distributions/house/kvstore.db}
    sql_default: {type: sql_sqlite, db_path: ~/.ogx/distributions/house/sql_store.db}
  stores:
    metadata: {backend: kv_default, namespace: registry}
    inference: {backend: sql_default, table_name: inference_store}
    conversations: {backend: sql_default, table_name: openai_conversations}
    prompts: {backend: sql_default, table_name: prompts}
    connectors: {backend: sql_default, table_name: connectors}
"""


def ogxserver(upstream: FakeOpenAI) -> dict[str, Any]:
    vllm = {"id": "vllm", "endpoint": upstream.base_url, "apiToken": {"name": "vllm-creds", "key": "token"}}
    return {
        "apiVersion": "ogx.io/v1beta1",
        "kind": "OGXServer",
        "metadata": {"name": "ogx-e2e", "namespace": NAMESPACE},
        "spec": {
            "distribution": {"image": "registry.example.com/house/ogx:1.5.0"},
            "baseConfig": {"name": "house-base", "key": "config.yaml"},
            "providers": {"inference": {"remote": {"vllm": [vllm]}}},
            "resources": {"models": [{"name": "fake-llm", "provider": "vllm"}]},
        },
    }


def related() -> list[dict[str, Any]]:
    token = base64.b64encode(KEY.encode()).decode()
    metadata = {"namespace": NAMESPACE, "labels": WATCH}
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "vllm-creds", **metadata},
            "data": {"token": token},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "house-base", **metadata},
            "data": {"config.yaml": BASE},
        },
    ]


def image_env() -> dict[str, str]:
    """What an OGX image provides before the pod's env: its `ogx` first on PATH."""
    return {
        "PATH": f"{OGX_PYTHON.parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        **({"TIKTOKEN_CACHE_DIR": os.environ["TIKTOKEN_CACHE_DIR"]} if "TIKTOKEN_CACHE_DIR" in os.environ else {}),
    }


def call(base_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base_url}{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:  # loopback only: the pod runner's port
        return json.loads(answer.read())


def test_an_ogxserver_pod_serves_a_chat_completion_with_the_secrets_key():
    ogx_python()  # skips (or fails under CI) without the OGX virtualenv
    with FakeOpenAI(api_key=KEY) as upstream:
        cr = ogxserver(upstream)
        request = sync_request(cr, related())
        response = post_sync(request)
        container = child(response, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:3] == ["ogx", "run", "/etc/ogx/config.yaml"]
        config = yaml.safe_load(child(response, "ConfigMap")[0]["data"]["config.yaml"])
        assert KEY not in json.dumps(response), "the key stays in the Secret"
        assert config["providers"]["inference"][0]["config"]["api_token"].startswith("${env.")

        with run_hook_pod(response, request, image_env=image_env(), ready_timeout=300) as pod:
            models = call(pod.base_url, "/v1/models")["data"]
            served = next(m["id"] for m in models if m["id"].endswith("fake-llm"))
            answer = call(
                pod.base_url,
                "/v1/chat/completions",
                {"model": served, "messages": [{"role": "user", "content": "Say hello."}]},
            )
            assert answer["choices"][0]["message"]["content"] == REPLY
            chats = upstream.requests_to("/v1/chat/completions")
            assert chats, "the completion reached the upstream model"
            assert chats[-1].authorization == f"Bearer {KEY}"
