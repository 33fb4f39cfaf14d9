"""docs/migration.md end to end: a running LLSD (llama-stack 0.7.3) walked over to an OGXServer
(OGX 1.5.0) with `llsd-hook convert`, both served through the pod runner from the hook's answers.

The LLSD's file (its Secret beside it, as in a GitOps repository) is converted; the OGXServer
keeps the name, so its Service keeps the name clients use; the old pod stops (the LLSD is
deleted) and the new one serves the same model with the same key from the same Secret. Both
CRs use the `nvidia` distribution with the APIs whose inline providers need packages neither
test virtualenv has (faiss, ...) disabled, which the conversion carries over as disabledAPIs,
and the base's inference provider replaced by the CR's (same id).

Fakes, only for what cannot run here: the model server (tests/support/fake_openai.py) and
Kubernetes/Metacontroller (the pod runner, /sync called in-process). llama-stack, OGX, their
config parsing, storage and HTTP are real.
"""

from __future__ import annotations

import pytest

from generator.ogxserver.convert import convert_documents
from generator.ogxserver.translate import OGX_CATALOG
from tests.e2e.hookcall import child, key_ref, llsd, secret, sync
from tests.e2e.podrunner import Pod, run_hook_pod
from tests.e2e.test_ogx_boot import image_env
from tests.support.fake_openai import REPLY, FakeOpenAI
from tests.support.ogx import ogx_python

pytestmark = pytest.mark.boot

KEY = "sk-e2e-migrate-4c1d8e"
MODEL = "fake-llm"


def chat(pod: Pod, model: str) -> str:
    answer = pod.post("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "ping"}]})
    assert answer.status == 200, pod.redact(answer.text)
    return str(answer.json()["choices"][0]["message"]["content"])


def served_model(pod: Pod) -> str:
    answer = pod.get("/v1/models")
    assert answer.status == 200, pod.redact(answer.text)
    return next(m["id"] for m in answer.json()["data"] if m["id"].endswith(MODEL))


def test_a_running_llsd_moves_to_an_ogxserver_with_the_same_service_model_and_key():
    ogx_python()  # skips (or fails under CI) without the OGX virtualenv
    with FakeOpenAI(api_key=KEY) as upstream:
        stack = llsd(
            {
                "distribution": {"name": "nvidia"},
                # id `nvidia`: replaces the base's own inference provider (whose client library
                # neither test virtualenv has) on both lines, by the same overlay rule
                "providers": {
                    "inference": {
                        "id": "nvidia",
                        "provider": "vllm",
                        "endpoint": upstream.base_url,
                        "apiKey": key_ref("creds", "token"),
                    }
                },
                "resources": {"models": [{"name": MODEL, "provider": "nvidia"}]},
                # OGX's nvidia base reads it without a default (convert lists it as a problem without)
                "containerSpec": {"env": [{"name": "INFERENCE_MODEL", "value": MODEL}]},
                "disabled": ["vectorIo", "toolRuntime", "files", "fileProcessors", "agents"],
            },
            name="assistant",
        )
        creds = secret("creds", {"token": KEY})

        request, response = sync(stack, [creds])
        assert child(response, "Service")[0]["metadata"]["name"] == "assistant-service"
        with run_hook_pod(response, request, ready_timeout=300) as pod:
            assert chat(pod, served_model(pod)) == REPLY  # the LLSD serves; then it is deleted

        converted = convert_documents([creds, stack], OGX_CATALOG)
        (conversion,) = converted.conversions
        assert conversion.problems == []
        ogx_creds, ogxserver = converted.documents
        assert ogx_creds["metadata"]["labels"] == {"ogx.io/watch": "true"}
        assert ogxserver["spec"]["disabledAPIs"] == [
            "vector_io",
            "tool_runtime",
            "files",
            "file_processors",
            "responses",
        ]

        request, response = sync(ogxserver, [ogx_creds])
        assert child(response, "Service")[0]["metadata"]["name"] == "assistant-service"  # clients keep it
        container = child(response, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:2] == ["ogx", "run"]
        with run_hook_pod(response, request, image_env=image_env(), ready_timeout=300) as pod:
            assert chat(pod, served_model(pod)) == REPLY
        chats = upstream.requests_to("/v1/chat/completions")
        assert len(chats) == 2
        assert {c.authorization for c in chats} == {f"Bearer {KEY}"}  # both servers used the Secret's key
