"""External providers E2E: the hook's init containers install and merge a real
out-of-tree provider, and a real llama-stack server loads it.

The provider (tests/e2e/external_provider/, `llsd_echo_tool`, provider_type `remote::llsd-echo`,
api tool_runtime) is built from source in the repo into what its image would hold at
/lls-provider (`build_image_dir`). There are no images here, so the pod runner's `image_files`
maps `/lls-provider` of the containers of that image to the built directory; everything else
runs exactly as the hook wrote it: `install-provider-<id>` (`/bin/sh -c`, `pip install --target`
into the shared emptyDir, offline), `merge-config` (`python3 -c <external_merge.py>`), then the
server on the merged config with PYTHONPATH pointing at the installed packages.

Fakes: the model server (tests/support/fake_openai.py) and the image registry (a directory).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.external_provider.build import build_image_dir
from tests.e2e.hookcall import child, condition, key_ref, listing, llsd, post_sync, secret, sync
from tests.e2e.podrunner import Pod, PodFailed, run_hook_pod
from tests.e2e.stackclient import stack_client
from tests.support.fake_openai import REPLY, FakeOpenAI, message_text

pytestmark = pytest.mark.boot

IMAGE = "registry.example.com/echo:1"
KEY = "sk-e2e-external-93b1"
SECRETS = [secret("vllm-creds", {"token": KEY})]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_image_dir(tmp_path_factory.mktemp("echo-image") / "lls-provider")


def cr(upstream: FakeOpenAI, external: dict[str, Any]) -> dict[str, Any]:
    return llsd(
        {
            "distribution": {"name": "nvidia"},
            "providers": {
                "inference": {
                    "provider": "vllm",
                    "endpoint": upstream.base_url,
                    "apiKey": key_ref("vllm-creds", "token"),
                }
            },
            "resources": {"models": ["fake-llm"]},
            "externalProviders": external,
        }
    )


def by_id(pod: Pod) -> dict[str, list[dict[str, Any]]]:
    answer = pod.get("/v1/providers")
    assert answer.status == 200, answer.status
    found: dict[str, list[dict[str, Any]]] = {}
    for provider in listing(answer.json()):
        found.setdefault(provider["provider_id"], []).append(provider)
    return found


@pytest.fixture(scope="module")
def external_pod(image_dir: Path) -> Iterator[tuple[dict[str, Any], Pod, FakeOpenAI]]:
    """One pod for both cases: `echo` is new (additive); `file-search` is the id of the nvidia
    base's tool_runtime provider in the generated config (override)."""
    with ExitStack() as stack:
        upstream = stack.enter_context(FakeOpenAI(api_key=KEY))
        external = {
            "toolRuntime": [
                {"providerId": "echo", "image": IMAGE, "config": {"prefix": "hi"}},
                {"providerId": "file-search", "image": IMAGE, "config": {"prefix": "fs"}},
            ]
        }
        request, response = sync(cr(upstream, external), SECRETS)
        pod = stack.enter_context(run_hook_pod(response, request, image_files={IMAGE: {"/lls-provider": image_dir}}))
        yield response, pod, upstream


def test_external_provider_is_installed_merged_and_served(external_pod: tuple[dict[str, Any], Pod, FakeOpenAI]) -> None:
    response, pod, _ = external_pod
    spec = child(response, "Deployment")[0]["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == [
        "install-provider-echo",
        "install-provider-file-search",
        "merge-config",
    ]
    # The install init container really installed the wheel where the server's PYTHONPATH points.
    assert (pod.host_path("/opt/llama-stack/external-providers/python-packages") / "llsd_echo_tool").is_dir()
    assert pod.env["PYTHONPATH"] == str(pod.host_path("/opt/llama-stack/external-providers/python-packages"))

    found = by_id(pod)
    (echo,) = found["echo"]
    assert echo["api"] == "tool_runtime"
    assert echo["provider_type"] == "remote::llsd-echo"
    assert echo["config"] == {"prefix": "hi"}, "the CR's config did not reach the external provider"
    (vllm,) = found["vllm"]
    assert vllm["provider_type"] == "remote::vllm"
    assert pod.get("/v1/health").json()["status"] == "OK"


def test_external_provider_overrides_a_generated_provider_with_a_warning(
    external_pod: tuple[dict[str, Any], Pod, FakeOpenAI],
) -> None:
    response, pod, _ = external_pod
    (file_search,) = by_id(pod)["file-search"]
    assert file_search["provider_type"] == "remote::llsd-echo", "the external provider must replace the base one"
    assert file_search["api"] == "tool_runtime"
    warnings = response["status"]["configGeneration"]["warnings"]
    assert any("file-search" in w and "overrides" in w for w in warnings), warnings
    merge_log = (pod.root / "init-merge-config.log").read_text()
    assert "External provider 'file-search' overrides base provider" in merge_log


@pytest.mark.use
def test_the_external_provider_answers_a_request_routed_to_it(
    external_pod: tuple[dict[str, Any], Pod, FakeOpenAI],
) -> None:
    """Not only listed: a Responses call with the web_search tool reaches the echo provider
    (it serves builtin::websearch), whose answer, made with the CR's `prefix`, goes back upstream.

    The user's client is the real llama-stack-client; the fake model calls the tool it is offered
    and named in the prompt (tests/support/fake_openai.py).
    """
    _, pod, upstream = external_pod
    groups = {t["toolgroup_id"]: t["name"] for t in listing(pod.get("/v1/tools").json())}
    assert groups.get("builtin::websearch") == "web_search", groups
    # Both external entries serve the group; the server gives it to the first of the config's
    # tool_runtime list: `file-search`, which replaced the base's entry in place (prefix "fs").
    serving = next(p for p in listing(pod.get("/v1/providers").json()) if p["provider_type"] == "remote::llsd-echo")
    assert (serving["provider_id"], serving["config"]) == ("file-search", {"prefix": "fs"})
    upstream.clear()
    question = "Use web_search: how warm is llama wool"
    answer = stack_client(pod).responses.create(model="vllm/fake-llm", input=question, tools=[{"type": "web_search"}])

    first, second = upstream.requests_to("/v1/chat/completions", "POST")
    assert [t["function"]["name"] for t in first.body["tools"]] == ["web_search"]
    tool_results = [message_text(m.get("content")) for m in second.body["messages"] if m["role"] == "tool"]
    assert tool_results == [f"fs: {question}"], "the external provider's answer (with the CR's prefix) went upstream"
    (call,) = [item for item in answer.output if item.type == "web_search_call"]
    assert call.status == "completed", answer.output
    assert answer.output_text == REPLY


def test_api_mismatch_fails_the_merge_and_the_pod_never_starts(image_dir: Path) -> None:
    """The echo provider's spec says tool_runtime; placed under `inference` the merge must refuse."""
    with FakeOpenAI(api_key=KEY) as upstream:
        request, response = sync(cr(upstream, {"inference": [{"providerId": "echo", "image": IMAGE}]}), SECRETS)
        assert condition(response, "ValidationSucceeded")["status"] == "True", "only the image knows its API"
        with (
            pytest.raises(PodFailed) as failure,
            run_hook_pod(response, request, image_files={IMAGE: {"/lls-provider": image_dir}}),
        ):
            pytest.fail("the server started although the merge must fail")
        message = str(failure.value)
        assert "init container 'merge-config' exited with 1" in message
        assert "Provider API type mismatch" in message
        assert "declares api=tool_runtime" in message
        assert not upstream.requests, "no server may have started"

        # The hook reports the failed init container from the pod it observes.
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "e2e-abc12-xyz34",
                "namespace": "ai",
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"app": "llama-stack", "app.kubernetes.io/instance": "e2e"},
            },
            "status": {
                "initContainerStatuses": [
                    {"name": "install-provider-echo", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                    {
                        "name": "merge-config",
                        "state": {
                            "terminated": {"exitCode": 1, "reason": "Error", "message": message.split(":\n", 1)[1]}
                        },
                    },
                ]
            },
        }
        parent = {**request["parent"], "status": response["status"]}
        observed, _ = sync(parent, SECRETS, response["children"], deployment_ready=False)
        observed["related"]["Pod.v1"] = {"ai/e2e-abc12-xyz34": pod}
        status = post_sync(observed)["status"]
        ready = condition({"status": status}, "ExternalProvidersReady")
        assert ready["status"] == "False", ready
        assert "Provider API type mismatch" in ready["message"], ready
