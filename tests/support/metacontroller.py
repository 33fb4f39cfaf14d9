"""Requests shaped exactly like Metacontroller v4.17 sends them to a v2 sync hook.

`children` and `related` are maps `{"<Kind>.<apiVersion>": {"<ns>/<name>": object}}`; every
declared child type is present even when empty. Used by the E2E suite and `make bench`.
"""

from __future__ import annotations

import copy
from typing import Any

CHILD_TYPES = (
    "ConfigMap.v1",
    "Service.v1",
    "ServiceAccount.v1",
    "PersistentVolumeClaim.v1",
    "Deployment.apps/v1",
    "NetworkPolicy.networking.k8s.io/v1",
    "Ingress.networking.k8s.io/v1",
    "PodDisruptionBudget.policy/v1",
    "HorizontalPodAutoscaler.autoscaling/v2",
)


def type_key(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}.{obj['apiVersion']}"


def object_key(obj: dict[str, Any], namespace: str) -> str:
    return f"{obj['metadata'].get('namespace') or namespace}/{obj['metadata']['name']}"


def ready_status(deployment: dict[str, Any], generation: int = 1) -> dict[str, Any]:
    """The status a Deployment has once every replica of its current template is ready."""
    replicas = deployment["spec"].get("replicas", 1)
    return {
        "observedGeneration": generation,
        "replicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "updatedReplicas": replicas,
    }


def sync_request(
    parent: dict[str, Any],
    related_objects: list[dict[str, Any]] = (),  # type: ignore[assignment]
    children: list[dict[str, Any]] = (),  # type: ignore[assignment]
    deployment_ready: bool = True,
    generation: int = 1,
) -> dict[str, Any]:
    parent = copy.deepcopy(parent)
    metadata = parent.setdefault("metadata", {})
    namespace = metadata.setdefault("namespace", "default")
    metadata.setdefault("uid", "00000000-0000-4000-8000-000000000001")
    metadata.setdefault("generation", generation)
    related: dict[str, dict[str, Any]] = {"Secret.v1": {}, "ConfigMap.v1": {}}
    for obj in related_objects:
        if obj.get("kind") in ("Secret", "ConfigMap"):
            related[type_key(obj)][object_key(obj, namespace)] = copy.deepcopy(obj)
    observed: dict[str, dict[str, Any]] = {key: {} for key in CHILD_TYPES}
    for child in children:
        child = copy.deepcopy(child)
        child["metadata"].setdefault("namespace", namespace)
        if child["kind"] == "Deployment":
            child["metadata"]["generation"] = generation
            if deployment_ready:
                child["status"] = ready_status(child, generation)
        observed.setdefault(type_key(child), {})[object_key(child, namespace)] = child
    return {
        "controller": {
            "apiVersion": "metacontroller.k8s.io/v1alpha1",
            "kind": "CompositeController",
            "metadata": {"name": "llamastackdistributions"},
        },
        "parent": parent,
        "children": observed,
        "related": related,
        "finalizing": False,
    }
