"""The live shape: sync requests as a running cluster sends them after any status write.

Every observed child comes back as the API server stores it: the hook's child plus the
`controller-uid` label, Metacontroller's `last-applied-configuration` annotation (exactly that
child), the server's metadata (uid, resourceVersion, generation, creationTimestamp, the owner
reference) and a status. The parent carries its status and a resourceVersion too. The customize
hook asks for every object of a child's fixed name (hooks/ownership.py, to report one that is
not ours), so those children come a second time among the related objects, as Metacontroller
sends them. Each request gets fresh resourceVersions (`RV_MARK` in the template, replaced per
request by load.lua), so no two bodies are byte-identical and no answer cache can help: this is
the cost of a real sync.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hooks.children import CHILD_RESOURCES
from hooks.ownership import child_rules
from tests.support.metacontroller import ready_status, sync_request

RESOURCES = {kind: resource for _, resource, kind in CHILD_RESOURCES}

RV_MARK = "@RV@"  # replaced by a fresh number in every request
UID = "5f0c8a4e-0000-4000-8000-00000000{:04d}"
CREATED = "2026-01-01T00:00:00Z"


def _status(child: dict[str, Any]) -> dict[str, Any] | None:
    kind = child["kind"]
    if kind == "Deployment":
        status = ready_status(child)
        status["conditions"] = [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "lastUpdateTime": CREATED, "lastTransitionTime": CREATED,
             "message": "Deployment has minimum availability."},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "lastUpdateTime": CREATED, "lastTransitionTime": CREATED,
             "message": f'ReplicaSet "{child["metadata"]["name"]}-7c9d8f6b5" has successfully progressed.'},
        ]  # fmt: skip
        return status
    if kind in ("Service", "Ingress"):
        return {"loadBalancer": {}}
    if kind == "PersistentVolumeClaim":
        return {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}}
    if kind == "PodDisruptionBudget":
        return {"currentHealthy": 1, "desiredHealthy": 0, "disruptionsAllowed": 1, "expectedPods": 1,
                "observedGeneration": 1}  # fmt: skip
    if kind == "HorizontalPodAutoscaler":
        return {"currentReplicas": 1, "desiredReplicas": 1}
    return None


def as_stored(child: dict[str, Any], parent: dict[str, Any], index: int) -> dict[str, Any]:
    """`child` as the API server returns it to Metacontroller's informer."""
    applied = copy.deepcopy(child)
    applied["metadata"].setdefault("labels", {})["controller-uid"] = parent["metadata"]["uid"]
    stored = copy.deepcopy(applied)
    metadata = stored["metadata"]
    metadata.setdefault("namespace", parent["metadata"]["namespace"])
    metadata.setdefault("annotations", {})["metacontroller.k8s.io/last-applied-configuration"] = json.dumps(
        applied, separators=(",", ":")
    )
    metadata.update(
        uid=UID.format(index),
        resourceVersion=RV_MARK,
        generation=1,
        creationTimestamp=CREATED,
        ownerReferences=[
            {"apiVersion": parent["apiVersion"], "kind": parent["kind"], "name": parent["metadata"]["name"],
             "uid": parent["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
        ],
    )  # fmt: skip
    status = _status(stored)
    if status is not None:
        stored["status"] = status
    return stored


def live_template(
    parent: dict[str, Any], related: list[dict[str, Any]], first: dict[str, Any], cold: bool = False
) -> bytes:
    """A live request (with `RV_MARK`s) for `parent` running the children of `first`, the hook's
    first answer; its status is the parent's. `cold`: the spec changes in every request too (an
    env var of the server takes the mark), so nothing memoised on the spec can answer: the cost of
    a spec change, and of every sync once a worker serves more instances than its memos hold."""
    request = sync_request(parent, related, [])
    parent = request["parent"]
    if cold:
        container = parent["spec"]["server"].setdefault("containerSpec", {})
        container.setdefault("env", []).append({"name": "BENCH_SPEC_VERSION", "value": RV_MARK})
    parent["metadata"].update(resourceVersion=RV_MARK, creationTimestamp=CREATED)
    parent["status"] = first["status"]
    asked = {
        (rule["resource"], name)
        for rule in child_rules(parent["metadata"]["name"], parent["metadata"]["namespace"])
        for name in rule["names"]
    }
    for index, child in enumerate(first["children"]):
        stored = as_stored(child, parent, index)
        key = f"{stored['kind']}.{stored['apiVersion']}"
        name = f"{stored['metadata']['namespace']}/{stored['metadata']['name']}"
        request["children"].setdefault(key, {})[name] = stored
        if (RESOURCES[stored["kind"]], stored["metadata"]["name"]) in asked:
            request["related"].setdefault(key, {})[name] = stored
    return json.dumps(request).encode()


def instance(template: bytes, number: int) -> bytes:
    """One concrete request of a template (what load.lua sends, for tests and profiling)."""
    parts = template.split(RV_MARK.encode())
    out = [parts[0]]
    for offset, part in enumerate(parts[1:]):
        out += [str(number * 100 + offset).encode(), part]
    return b"".join(out)
