"""Sync rules a golden file shows only by example: what a failed sync gives back, which ConfigMaps
outlive a rollout, and how a missing reference is reported.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import CA_PEM, MINIMAL, USER_CONFIG_TEXT, VLLM_SECRET, answer, with_status
from tests.support.metacontroller import ready_status, sync_request
from tests.support.objects import configmap

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"


def conditions(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in response["status"]["conditions"]}


def as_the_api_server_shows_it(child: dict[str, Any]) -> dict[str, Any]:
    """A child as Metacontroller observes it: server metadata, status, its last-applied annotation."""
    shown = copy.deepcopy(child)
    shown["metadata"].update(
        resourceVersion="4711",
        uid="00000000-0000-4000-8000-0000000000aa",
        generation=1,
        creationTimestamp="2026-01-01T00:00:00Z",
        managedFields=[{"manager": "metacontroller", "operation": "Update"}],
        ownerReferences=[{"apiVersion": "llamastack.io/v1alpha1", "kind": "LlamaStackDistribution", "name": "demo"}],
        annotations={LAST_APPLIED: json.dumps(child)},
    )
    if child["kind"] == "Deployment":
        shown["status"] = ready_status(child)
    return shown


def test_a_failed_sync_gives_back_the_observed_children_without_server_owned_fields():
    first = answer(sync_request(MINIMAL, [VLLM_SECRET]))
    observed = [as_the_api_server_shows_it(c) for c in first["children"]]
    broken = copy.deepcopy(MINIMAL)
    broken["spec"]["server"]["providers"]["inference"] = [VLLM, VLLM]  # list form without ids
    response = answer(sync_request(with_status(broken, first), [VLLM_SECRET], observed))
    assert response["status"]["phase"] == "Failed"
    by_name = {(c["kind"], c["metadata"]["name"]): c for c in response["children"]}
    assert by_name == {(c["kind"], c["metadata"]["name"]): c for c in first["children"]}


def test_without_a_last_applied_annotation_server_fields_are_stripped():
    first = answer(sync_request(MINIMAL, [VLLM_SECRET]))
    observed = [as_the_api_server_shows_it(c) for c in first["children"]]
    for child in observed:
        del child["metadata"]["annotations"]
    response = answer(sync_request(llsd({"providers": {"inference": [VLLM, VLLM]}}), [VLLM_SECRET], observed))
    server_owned = {"resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "ownerReferences"}
    for child in response["children"]:
        assert "status" not in child
        assert not server_owned & set(child["metadata"]), child["metadata"]


def test_a_missing_configmap_is_a_config_problem_not_a_secret_problem():
    response = answer(sync_request(llsd({"userConfig": {"configMapName": "nope"}}), []))
    found = conditions(response)
    assert found["SecretsResolved"]["status"] == "True"
    assert found["ConfigReady"]["status"] == "False"
    assert found["ConfigReady"]["reason"] == "ConfigMapNotFound"
    assert found["ConfigReady"]["message"].startswith("spec.server.userConfig: ConfigMap 'ai/nope' not found")


def test_a_missing_secret_and_a_missing_configmap_are_both_reported():
    parent = llsd({"providers": {"inference": VLLM}, "tlsConfig": {"caBundle": {"configMapName": "corp-ca"}}})
    found = conditions(answer(sync_request(parent, [])))
    assert found["SecretsResolved"]["reason"] == "SecretNotFound"
    assert "spec.server.providers.inference.apiKey" in found["SecretsResolved"]["message"]
    assert found["ConfigReady"]["reason"] == "ConfigMapNotFound"
    assert "spec.server.tlsConfig.caBundle" in found["ConfigReady"]["message"]


class Cluster:
    """Two steps of Metacontroller: apply the answer, then observe it (rolled out or not)."""

    def __init__(self, parent: dict[str, Any], related: list[dict[str, Any]]) -> None:
        self.parent, self.related, self.children = copy.deepcopy(parent), related, []
        self.generation = 1

    def sync(self, ready: bool) -> list[str]:
        self.parent["metadata"]["generation"] = self.generation
        request = sync_request(self.parent, self.related, self.children, ready, self.generation)
        response = answer(request)
        self.children = response["children"]
        return sorted(c["metadata"]["name"] for c in self.children if c["kind"] == "ConfigMap")

    def edit(self, server: dict[str, Any], related: list[dict[str, Any]]) -> None:
        self.parent["spec"]["server"] = server
        self.related = related
        self.generation += 1


def test_leaving_a_cross_namespace_user_config_keeps_its_copy_until_the_rollout_is_done():
    shared = configmap("shared", {"config.yaml": USER_CONFIG_TEXT}, namespace="platform", shared_with="ai")
    cluster = Cluster(llsd({"userConfig": {"configMapName": "shared", "configMapNamespace": "platform"}}), [shared])
    assert cluster.sync(ready=True) == ["demo-user-config"]
    cluster.sync(ready=True)
    cluster.edit({"providers": {"inference": VLLM}}, [VLLM_SECRET])
    during = cluster.sync(ready=False)
    assert "demo-user-config" in during, "the running pods mount it"
    assert cluster.sync(ready=False) == during
    after = cluster.sync(ready=True)
    assert "demo-user-config" not in after
    assert len(after) == 1
    assert after[0].startswith("demo-config-")


def test_dropping_the_ca_bundle_keeps_it_until_the_rollout_is_done():
    ca = {"caBundle": {"configMapName": "corp-ca"}}
    corp = configmap("corp-ca", {"ca-bundle.crt": CA_PEM})
    cluster = Cluster(llsd({"providers": {"inference": VLLM}, "tlsConfig": ca}), [VLLM_SECRET, corp])
    cluster.sync(ready=True)
    assert "demo-ca-bundle" in cluster.sync(ready=True)
    cluster.edit({"providers": {"inference": VLLM}}, [VLLM_SECRET])
    assert "demo-ca-bundle" in cluster.sync(ready=False)
    assert "demo-ca-bundle" not in cluster.sync(ready=True)


def test_an_unchanged_rolled_out_world_keeps_only_the_desired_configmaps():
    cluster = Cluster(MINIMAL, [VLLM_SECRET])
    first = cluster.sync(ready=True)
    assert cluster.sync(ready=True) == first == cluster.sync(ready=True)


def test_a_stuck_rollout_is_failed_and_keeps_the_previous_config():
    from tests.hooks.cases import request_for

    request = request_for("rollout-stuck")
    response = answer(request)
    deployment = conditions(response)["DeploymentReady"]
    assert response["status"]["phase"] == "Failed"
    assert deployment["reason"] == "DeploymentRolloutStuck"
    assert "ProgressDeadlineExceeded" in deployment["message"]
    observed = sorted(request["children"]["ConfigMap.v1"])
    kept = sorted(f"ai/{c['metadata']['name']}" for c in response["children"] if c["kind"] == "ConfigMap")
    assert len(observed) == 2
    assert kept == observed, "the previous pods' ConfigMap must stay"
    assert response["resyncAfterSeconds"] > 0
