"""Requests shaped exactly like Metacontroller v4.17 sends them to a v2 sync hook.

`children` and `related` are maps `{"<Kind>.<apiVersion>": {"<ns>/<name>": object}}`; every
declared child type is present even when empty. Used by the E2E suite and `make bench`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
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


class Cluster:
    """Plays Metacontroller and the API server, which cannot run here: each answer's children
    become the observed children of the next sync, its status is written to the parent, and the
    Deployment reports ready when told so. `answer` posts a request to the hook."""

    def __init__(
        self,
        parent: dict[str, Any],
        related_objects: list[dict[str, Any]],
        answer: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        self.parent = copy.deepcopy(parent)
        self.parent["metadata"]["generation"] = 1
        self.related_objects = related_objects
        self.answer = answer
        self.children: list[dict[str, Any]] = []
        self.ready = False

    def sync(self) -> tuple[dict[str, Any], dict[str, Any]]:
        generation = self.parent["metadata"]["generation"]
        request = sync_request(self.parent, self.related_objects, self.children, self.ready, generation)
        response = self.answer(request)
        self.children = response["children"]
        self.parent["status"] = response["status"]
        return request, response

    def edit(self, change: Callable[[dict[str, Any]], None]) -> None:
        """A spec change: a new generation, and the Deployment is not ready until told so."""
        change(self.parent["spec"])
        self.parent["metadata"]["generation"] += 1
        self.ready = False

    def names(self, kind: str) -> list[str]:
        return sorted(c["metadata"]["name"] for c in self.children if c["kind"] == kind)
