"""Day-2 E2E: changes to a running LlamaStackDistribution, through the hook and real servers.

The hook's answers are fed back as observed children, as Metacontroller does (the Kubernetes API
and Metacontroller cannot run here: tests/support/metacontroller.py's `Cluster` plays their
part). Pods are started from the hook's answer of each step and checked
through the llama-stack API: a valid change rolls a new pod that serves it; an invalid change
leaves every child identical, so the running pod keeps serving, and status says why; a CR whose
YAML text only changes in layout maps to the same ConfigMap.

Fake: the model servers (tests/support/fake_openai.py). llama-stack and the hook are real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import yaml

from tests.e2e.hookcall import condition, generated_config, key_ref, llsd, post_sync, secret
from tests.e2e.podrunner import Pod, run_hook_pod
from tests.support.fake_openai import REPLY, FakeOpenAI
from tests.support.metacontroller import Cluster

pytestmark = pytest.mark.boot

KEY = "sk-e2e-day2-4c2e91"
SECRETS = [secret("vllm-creds", {"token": KEY})]


def identities(children: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["kind"], c["metadata"]["name"]): c for c in children}


def configmap_names(children: list[dict[str, Any]]) -> set[str]:
    return {c["metadata"]["name"] for c in children if c["kind"] == "ConfigMap"}


def chat(pod: Pod) -> str:
    answer = pod.post(
        "/v1/chat/completions", {"model": "vllm/fake-llm", "messages": [{"role": "user", "content": "x"}]}
    )
    assert answer.status == 200, pod.redact(answer.text)
    return str(answer.json()["choices"][0]["message"]["content"])


def vllm_base_url(pod: Pod) -> str:
    providers = pod.get("/v1/providers").json()["data"]
    return str(next(p for p in providers if p["provider_id"] == "vllm")["config"]["base_url"]).rstrip("/")


@pytest.fixture
def upstreams() -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    with FakeOpenAI(api_key=KEY) as first, FakeOpenAI(api_key=KEY) as second:
        yield first, second


def test_change_rolls_a_new_pod_invalid_change_keeps_the_old_one_whitespace_changes_nothing(
    upstreams: tuple[FakeOpenAI, FakeOpenAI],
) -> None:
    first, second = upstreams
    cluster = Cluster(
        llsd(
            {
                "distribution": {"name": "nvidia"},
                "providers": {
                    "inference": {
                        "provider": "vllm",
                        "endpoint": first.base_url,
                        "apiKey": key_ref("vllm-creds", "token"),
                    }
                },
                "resources": {"models": ["fake-llm"]},
            }
        ),
        SECRETS,
        post_sync,
    )
    with ExitStack() as stack:
        # Day 1: create, the pod becomes ready.
        request1, response1 = cluster.sync()
        old_config, _ = generated_config(response1)
        pod1 = stack.enter_context(run_hook_pod(response1, request1))
        assert chat(pod1) == REPLY
        assert first.requests_to("/v1/chat/completions", "POST")
        cluster.ready = True
        cluster.sync()

        # A change: the endpoint moves to another upstream.
        cluster.edit(lambda spec: spec["server"]["providers"]["inference"].update(endpoint=second.base_url))
        request2, response2 = cluster.sync()
        new_config, _ = generated_config(response2)
        assert new_config != old_config, "a changed CR must give a new ConfigMap (pods roll on its name)"
        assert {old_config, new_config} <= configmap_names(response2["children"]), (
            "the old ConfigMap stays while the old pod still mounts it"
        )
        pod2 = stack.enter_context(run_hook_pod(response2, request2))
        assert vllm_base_url(pod2) == second.base_url
        assert vllm_base_url(pod1) == first.base_url
        second.clear()
        assert chat(pod2) == REPLY
        assert second.requests_to("/v1/chat/completions", "POST"), "new pod: new upstream"
        pod1.stop()  # the rollout replaced it
        cluster.ready = True
        _, rolled = cluster.sync()
        assert configmap_names(rolled["children"]) == {new_config}, "rolled out: the old ConfigMap goes"
        assert rolled["status"]["phase"] == "Ready"

        # An invalid change: nothing changes, the running pod goes on serving, status says why.
        before = identities(cluster.children)
        cluster.edit(lambda spec: spec["server"]["providers"]["inference"].update(provider="nope"))
        _, broken = cluster.sync()
        assert identities(broken["children"]) == before, "an invalid change must leave every child as it was"
        assert broken["status"]["phase"] == "Failed"
        message = condition(broken, "ValidationSucceeded")["message"]
        assert message.startswith("spec.server.providers.inference.provider: unknown provider 'nope'"), message
        assert broken["status"]["generatedConfigMap"] == new_config, "status names the config still running"
        second.clear()
        assert chat(pod2) == REPLY
        assert second.requests_to("/v1/chat/completions", "POST"), "the old pod stopped"

        # Fix it again (back to the last good spec), then change only the YAML text's layout.
        cluster.edit(lambda spec: spec["server"]["providers"]["inference"].update(provider="vllm"))
        cluster.ready = True
        _, fixed = cluster.sync()
        assert generated_config(fixed)[0] == new_config
        text = yaml.safe_dump(cluster.parent, sort_keys=True, indent=2)
        relaid = "# edited by hand\n" + yaml.safe_dump(
            yaml.safe_load(text), sort_keys=False, indent=6, width=40, default_flow_style=False
        ).replace("\n", "\n\n")
        assert relaid != text
        cluster.parent = yaml.safe_load(relaid)
        _, same = cluster.sync()
        assert generated_config(same)[0] == new_config, "a whitespace-only edit must not produce a new ConfigMap"
        assert identities(same["children"]) == identities(fixed["children"])
