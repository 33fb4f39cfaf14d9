"""Switching from the Go operator: its children hold the names the hook's children take.

Metacontroller cannot run here; these requests are shaped as it sends them (v4.17.2's source):
the objects the customize hook asked for by name arrive in `related`, an object it has claimed
carries the `controller-uid` label and a controller owner reference to the parent, and one it
has not claimed is missing from `children`.
"""

from __future__ import annotations

import copy
from typing import Any

from hooks.app import create_app
from hooks.children import CHILD_RESOURCES
from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import PARENT_UID, VLLM_SECRET, WITH_PVC, answer, go_operator_child, request_for, settings
from tests.support.metacontroller import sync_request


def conditions(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in response["status"]["conditions"]}


OWNER_REF = {"kind": "LlamaStackDistribution", "name": "demo", "uid": PARENT_UID, "controller": True}


def claimed(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` as Metacontroller has it once it owns it (created or adopted)."""
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("namespace", "ai")
    obj["metadata"].setdefault("labels", {})["controller-uid"] = PARENT_UID
    obj["metadata"]["ownerReferences"] = [dict(OWNER_REF)]
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


KINDS = {resource: kind for _, resource, kind in CHILD_RESOURCES}


class ApiServer:
    """The objects of namespace `ai`, and Metacontroller's part in them as its v4.17.2 source does
    it (neither can run here): each sync asks the hook's /customize which names to send along
    (`related`), claims children (releases one the parent owns without the `controller-uid`
    label, adopts an orphan that has it), then applies the answer: creates what is missing,
    swallows AlreadyExists, updates what it owns, deletes what it owns and the answer left out."""

    def __init__(self, parent: dict[str, Any], objects: list[dict[str, Any]]) -> None:
        self.parent = copy.deepcopy(parent)
        self.objects = {(o["kind"], o["metadata"]["name"]): copy.deepcopy(o) for o in objects}
        self.client = create_app(settings()).test_client()
        self.ready = False

    def _claim(self) -> list[dict[str, Any]]:
        children = []
        for obj in self.objects.values():
            metadata = obj["metadata"]
            refs = metadata.get("ownerReferences") or []
            labelled = (metadata.get("labels") or {}).get("controller-uid") == PARENT_UID
            controller = next((r for r in refs if r.get("controller")), None)
            if controller is not None and controller["uid"] == PARENT_UID and not labelled:
                metadata["ownerReferences"] = [r for r in refs if r is not controller]  # released
            elif labelled and (controller is None or controller["uid"] == PARENT_UID):
                metadata["ownerReferences"] = [dict(OWNER_REF)]  # adopted, or already ours
                children.append(obj)
        return children

    def _related(self, request: dict[str, Any]) -> None:
        rules = self.client.post("/customize", json={"controller": {}, "parent": self.parent}).get_json()
        for rule in rules["relatedResources"]:
            kind = KINDS.get(rule["resource"])
            for name in rule.get("names", []):
                obj = self.objects.get((kind, name))
                if obj is not None:
                    request["related"].setdefault(f"{kind}.{obj['apiVersion']}", {})[f"ai/{name}"] = copy.deepcopy(obj)

    def sync(self) -> dict[str, Any]:
        children = self._claim()
        request = sync_request(self.parent, [VLLM_SECRET], children, deployment_ready=self.ready)
        self._related(request)
        response = answer(request)
        desired = {(c["kind"], c["metadata"]["name"]): c for c in response["children"]}
        owned = {(c["kind"], c["metadata"]["name"]) for c in children}
        for key in owned - set(desired):
            del self.objects[key]
        for key, child in desired.items():
            existing = self.objects.get(key)
            # a foreign object: AlreadyExists, swallowed; the PVC's update strategy is OnDelete
            if existing is None or (key in owned and key[0] != "PersistentVolumeClaim"):
                self.objects[key] = claimed(child)
                if existing is not None:  # an update keeps the object's identity
                    self.objects[key]["metadata"]["uid"] = existing["metadata"].get("uid")
        self.parent["status"] = response["status"]
        return response


def test_the_documented_switch_end_to_end():
    """docs/migration.md, step by step: the Go operator's Deployment, Service and PVC (owned by
    the same CR, as it creates them) hold the names; the status says what to do; doing it lets
    the hook's children in, and the PVC (with its data) is adopted, never replaced."""
    go_owned = [
        go_operator_child("Deployment", "apps/v1", "demo", {"replicas": 1}),
        go_operator_child("Service", "v1", "demo-service", {"ports": [{"port": 8321}]}),
        go_operator_child("PersistentVolumeClaim", "v1", "demo-pvc", {"accessModes": ["ReadWriteOnce"]}),
    ]
    for obj in go_owned:
        obj["metadata"]["ownerReferences"] = [dict(OWNER_REF)]  # the Go operator's controller reference
    cluster = ApiServer(WITH_PVC, go_owned)

    first = cluster.sync()
    message = conditions(first)["ChildrenOwned"]["message"]
    assert first["status"]["phase"] == "Failed"
    for kind, name in (("Deployment", "demo"), ("Service", "demo-service"), ("PersistentVolumeClaim", "demo-pvc")):
        assert f"{kind} 'ai/{name}' exists but is not managed" in message
    assert cluster.objects["Deployment", "demo"]["metadata"]["uid"] == "go-operator-demo", "still the old one"
    assert cluster.objects["Deployment", "demo"]["metadata"]["ownerReferences"] == [], "Metacontroller released it"

    # The operator follows the status: label the PVC for adoption, delete the old Deployment and Service.
    cluster.objects["PersistentVolumeClaim", "demo-pvc"]["metadata"]["labels"]["controller-uid"] = PARENT_UID
    del cluster.objects["Deployment", "demo"]
    del cluster.objects["Service", "demo-service"]
    cluster.sync()
    cluster.ready = True
    done = cluster.sync()
    assert "ChildrenOwned" not in conditions(done)
    assert done["status"]["phase"] == "Ready"
    pvc = cluster.objects["PersistentVolumeClaim", "demo-pvc"]
    assert pvc["metadata"]["uid"] == "go-operator-demo-pvc", "the same claim, its data kept"
    assert pvc["metadata"]["ownerReferences"] == [OWNER_REF]
    assert cluster.objects["Deployment", "demo"]["metadata"]["labels"]["controller-uid"] == PARENT_UID
