"""Every instance gets a NetworkPolicy: the unauthenticated llama-stack API (its pods hold the
provider keys) is open only to the LLSD's own namespace unless `allowedFrom` says more."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.app import create_app
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import VLLM_SECRET
from tests.support.metacontroller import sync_request
from tests.support.objects import NOW


def _answer(parent: dict[str, Any], **settings: Any) -> dict[str, Any]:
    app = create_app(Settings(clock=lambda: NOW, operator_version="0.1.0", **settings))
    response = app.test_client().post("/sync", json=sync_request(parent, [VLLM_SECRET]))
    assert response.status_code == 200
    return response.get_json()


def _policy(body: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in body["children"] if c["kind"] == "NetworkPolicy"), None)


def test_an_instance_without_allowed_from_admits_only_its_own_namespace():
    policy = _policy(_answer(llsd({"providers": {"inference": VLLM}, "port": 8443})))
    assert policy is not None
    assert policy["metadata"] == {**policy["metadata"], "name": "demo-network-policy", "namespace": "ai"}
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app": "llama-stack", "app.kubernetes.io/instance": "demo"}}
    assert spec["policyTypes"] == ["Ingress"]
    assert spec["ingress"] == [{"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 8443}]}]


def test_allowed_from_adds_namespaces_and_namespace_labels_in_both_forms():
    network = {"allowedFrom": {"namespaces": ["apps"], "labels": ["llama-client", "team=ml", "example.com/tier="]}}
    peers = _policy(_answer(llsd({"providers": {"inference": VLLM}}, network=network)))["spec"]["ingress"][0]["from"]
    assert peers == [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}},
        {"namespaceSelector": {"matchExpressions": [{"key": "llama-client", "operator": "Exists"}]}},
        {"namespaceSelector": {"matchLabels": {"team": "ml"}}},
        {"namespaceSelector": {"matchLabels": {"example.com/tier": ""}}},
    ]


def test_the_installation_can_turn_the_default_off():
    assert Settings.from_env({"LLSD_DEFAULT_NETWORK_POLICY": "false"}).default_network_policy is False
    assert Settings.from_env({}).default_network_policy is True
    assert _policy(_answer(llsd({"providers": {"inference": VLLM}}), default_network_policy=False)) is None
    network = {"allowedFrom": {"namespaces": ["apps"]}}
    assert _policy(_answer(llsd({"providers": {"inference": VLLM}}, network=network), default_network_policy=False))


@pytest.mark.parametrize("label", ["a b", "team==ml", "-x", "team=ml=1", ""])
def test_a_label_that_is_no_namespace_label_is_refused_with_its_path(label):
    body = _answer(llsd({"providers": {"inference": VLLM}}, network={"allowedFrom": {"labels": [label]}}))
    message = next(c for c in body["status"]["conditions"] if c["type"] == "ValidationSucceeded")["message"]
    assert "spec.network.allowedFrom.labels[0]: must be a namespace label as key or key=value" in message
