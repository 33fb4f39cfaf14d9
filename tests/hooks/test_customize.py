"""The customize hook asks for exactly what the spec names: never an empty selector."""

from __future__ import annotations

from hooks.children import CHILD_RESOURCES
from hooks.customize import related_resources
from hooks.ownership import child_rules
from hooks.request import parse_request
from tests.generator.crs import VLLM, llsd, secret
from tests.hooks.cases import EXTERNAL


def all_rules_for(parent: dict) -> list[dict]:
    return related_resources(parse_request({"parent": parent}))["relatedResources"]


def rules_for(parent: dict) -> list[dict]:
    """The rules for what the spec names (without those for the children's own names)."""
    children = child_rules(parent["metadata"]["name"], parent["metadata"]["namespace"])
    return [rule for rule in all_rules_for(parent) if rule not in children]


def test_secrets_of_providers_storage_and_tls_by_name():
    parent = llsd(
        {
            "providers": {"inference": VLLM, "toolRuntime": {"provider": "brave-search", "apiKey": secret("b", "k")}},
            "configStorage": {"type": "postgres", "connectionString": secret("db", "url")},
            "serverTLS": {"secretName": "tls"},
        }
    )
    assert rules_for(parent) == [
        {"apiVersion": "v1", "resource": "secrets", "namespace": "ai", "names": ["b", "db", "tls", "vllm-creds"]}
    ]


def test_configmaps_in_their_own_namespaces():
    parent = llsd(
        {
            "userConfig": {"configMapName": "mine", "configMapNamespace": "platform"},
            "tlsConfig": {"caBundle": {"configMapName": "ca"}},
        }
    )
    assert rules_for(parent) == [
        {"apiVersion": "v1", "resource": "configmaps", "namespace": "ai", "names": ["ca"]},
        {"apiVersion": "v1", "resource": "configmaps", "namespace": "platform", "names": ["mine"]},
    ]


def test_pods_only_with_external_providers_and_only_the_instance_s():
    pods = [r for r in rules_for(EXTERNAL) if r["resource"] == "pods"]
    assert pods == [
        {
            "apiVersion": "v1",
            "resource": "pods",
            "namespace": "ai",
            "labelSelector": {"matchLabels": {"app": "llama-stack", "app.kubernetes.io/instance": "demo"}},
        }
    ]
    assert not [r for r in rules_for(llsd({"providers": {"inference": VLLM}})) if r["resource"] == "pods"]


def test_nothing_to_ask_for_and_invalid_specs_ask_for_nothing():
    assert rules_for(llsd({})) == []
    assert all_rules_for(llsd({"providers": {"inference": [VLLM, VLLM]}})) == []


def test_every_name_a_child_would_take_by_name_in_the_parent_s_namespace():
    """To see an object left by the Go operator that holds one of them (hooks.ownership)."""
    rules = {rule["resource"]: rule for rule in all_rules_for(llsd({})) if rule not in rules_for(llsd({}))}
    assert rules["deployments"] == {
        "apiVersion": "apps/v1",
        "resource": "deployments",
        "namespace": "ai",
        "names": ["demo"],
    }
    assert rules["persistentvolumeclaims"]["names"] == ["demo-pvc"]
    assert rules["configmaps"]["names"] == ["demo-ca-bundle", "demo-user-config"]
    assert rules["horizontalpodautoscalers"]["apiVersion"] == "autoscaling/v2"
    assert {rule["namespace"] for rule in rules.values()} == {"ai"}
    assert sorted(rules) == sorted(resource for _, resource, _ in CHILD_RESOURCES)


def test_no_rule_ever_has_an_empty_selector():
    for parent in (EXTERNAL, llsd({"providers": {"inference": VLLM}})):
        for rule in all_rules_for(parent):
            assert rule.get("names") or (rule.get("labelSelector") or {}).get("matchLabels")


def test_env_from_secrets_and_configmaps_by_name_in_the_parent_s_namespace():
    parent = llsd(
        {
            "providers": {"inference": VLLM},
            "containerSpec": {"envFrom": [{"secretRef": {"name": "proxy"}}, {"configMapRef": {"name": "tuning"}}]},
        }
    )
    assert rules_for(parent) == [
        {"apiVersion": "v1", "resource": "secrets", "namespace": "ai", "names": ["proxy", "vllm-creds"]},
        {"apiVersion": "v1", "resource": "configmaps", "namespace": "ai", "names": ["tuning"]},
    ]
