"""Switching from the Go operator: its children hold the names the hook's children take.

Metacontroller cannot run here; these requests are shaped as it sends them (v4.17.2's source):
the objects the customize hook asked for by name arrive in `related`, an object it has claimed
carries the `controller-uid` label and a controller owner reference to the parent, and one it
has not claimed is missing from `children`.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import PARENT_UID, VLLM_SECRET, WITH_PVC, answer, go_operator_child, request_for
from tests.support.metacontroller import sync_request


def conditions(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in response["status"]["conditions"]}


def claimed(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` as Metacontroller has it once it owns it (created or adopted)."""
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("namespace", "ai")
    obj["metadata"].setdefault("labels", {})["controller-uid"] = PARENT_UID
    obj["metadata"]["ownerReferences"] = [
        {"kind": "LlamaStackDistribution", "name": "demo", "uid": PARENT_UID, "controller": True}
    ]
    return obj


def test_the_go_operator_s_children_are_reported_and_the_hook_s_children_still_asked_for():
    response = answer(request_for("switched-from-go-operator"))
    assert response["status"]["phase"] == "Failed"
    owned = conditions(response)["ChildrenOwned"]
    assert owned["status"] == "False"
    assert owned["reason"] == "ForeignObjectExists"
    assert "Deployment 'ai/demo' exists but is not managed by this LlamaStackDistribution" in owned["message"]
    assert "delete it (`kubectl -n ai delete deployments demo`)" in owned["message"]
    assert f"`kubectl -n ai label persistentvolumeclaims demo-pvc controller-uid={PARENT_UID}`" in owned["message"], (
        "the PVC keeps its data: adoption, not deletion"
    )
    assert "ServiceAccount" not in owned["message"], "the one already ours is not reported"
    kinds = {c["kind"] for c in response["children"]}
    assert {"Deployment", "PersistentVolumeClaim"} <= kinds, "Metacontroller creates them once the names are free"
    assert response["resyncAfterSeconds"] > 0


def test_after_the_switch_nothing_is_reported():
    """The old Deployment deleted, the PVC labelled: Metacontroller adopts the PVC (same name, its
    data kept: OnDelete never rewrites it) and creates the hook's Deployment."""
    first = answer(sync_request(WITH_PVC, [VLLM_SECRET]))
    children = [claimed(c) for c in first["children"]]
    pvc = claimed(go_operator_child("PersistentVolumeClaim", "v1", "demo-pvc", {"accessModes": ["ReadWriteOnce"]}))
    observed = [c for c in children if c["kind"] != "PersistentVolumeClaim"] + [pvc]
    request = sync_request(WITH_PVC, [VLLM_SECRET], observed)
    for child in observed:
        request["related"].setdefault(f"{child['kind']}.{child['apiVersion']}", {})[
            f"ai/{child['metadata']['name']}"
        ] = child
    response = answer(request)
    assert "ChildrenOwned" not in conditions(response)
    assert response["status"]["phase"] == "Ready"


def test_an_object_another_controller_owns_is_named_with_its_owner():
    foreign = go_operator_child("PersistentVolumeClaim", "v1", "demo-pvc", {})
    foreign["metadata"]["ownerReferences"] = [
        {"kind": "StatefulSet", "name": "old-db", "uid": "another-uid", "controller": True}
    ]
    request = sync_request(WITH_PVC, [VLLM_SECRET])
    request["related"]["PersistentVolumeClaim.v1"] = {"ai/demo-pvc": foreign}
    message = conditions(answer(request))["ChildrenOwned"]["message"]
    assert "it is controlled by StatefulSet 'old-db'" in message
    assert "after removing its owner reference to StatefulSet 'old-db'" in message


def test_a_name_the_hook_does_not_use_for_this_spec_is_none_of_its_business():
    """An Ingress `<name>-ingress` without exposeRoute: the hook creates none, nothing clashes."""
    request = sync_request(llsd({"providers": {"inference": VLLM}}), [VLLM_SECRET])
    request["related"]["Ingress.networking.k8s.io/v1"] = {
        "ai/demo-ingress": go_operator_child("Ingress", "networking.k8s.io/v1", "demo-ingress", {})
    }
    assert "ChildrenOwned" not in conditions(answer(request))
