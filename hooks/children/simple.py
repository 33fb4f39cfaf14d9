"""The small children: Service, ServiceAccount, PVC, NetworkPolicy, Ingress, PDB, HPA."""

from __future__ import annotations

from typing import Any

from generator import Spec
from hooks.children.labels import metadata, pvc_name, selector_labels, service_account_name, service_name


def service(spec: Spec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(service_name(spec.name), spec.namespace, spec.name),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(spec.name),
            "ports": [{"name": "http", "protocol": "TCP", "port": spec.port, "targetPort": spec.port}],
        },
    }


def service_account(spec: Spec) -> dict[str, Any]:
    """The pod's identity; its token is not mounted: llama-stack never calls the Kubernetes API."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(service_account_name(spec.name), spec.namespace, spec.name),
        "automountServiceAccountToken": False,
    }


def persistent_volume_claim(spec: Spec) -> dict[str, Any] | None:
    storage = spec.server.get("storage")
    if not storage:
        return None
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(pvc_name(spec.name), spec.namespace, spec.name),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage["size"]}}},
    }


def _peers(allowed: dict[str, Any]) -> list[dict[str, Any]]:
    namespaces = allowed.get("namespaces") or []
    if "*" in namespaces:
        return [{"namespaceSelector": {}}]
    peers: list[dict[str, Any]] = [{"podSelector": {}}]  # pods of the LLSD's own namespace
    peers += [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}} for namespace in namespaces
    ]
    peers += [
        {"namespaceSelector": {"matchExpressions": [{"key": label, "operator": "Exists"}]}}
        for label in allowed.get("labels") or []
    ]
    return peers


def network_policy(spec: Spec) -> dict[str, Any] | None:
    allowed = (spec.raw.get("network") or {}).get("allowedFrom")
    if allowed is None:
        return None
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(f"{spec.name}-network-policy", spec.namespace, spec.name),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(spec.name)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": _peers(allowed), "ports": [{"protocol": "TCP", "port": spec.port}]}],
        },
    }


def ingress(spec: Spec) -> dict[str, Any] | None:
    if not (spec.raw.get("network") or {}).get("exposeRoute"):
        return None
    backend = {"service": {"name": service_name(spec.name), "port": {"number": spec.port}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(f"{spec.name}-ingress", spec.namespace, spec.name),
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]},
    }


def pod_disruption_budget(spec: Spec) -> dict[str, Any] | None:
    budget = spec.server.get("podDisruptionBudget")
    if budget is None and spec.raw["replicas"] <= 1 and not spec.server.get("autoscaling"):
        return None
    budget = budget or {"maxUnavailable": 1}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(f"{spec.name}-pdb", spec.namespace, spec.name),
        "spec": {"selector": {"matchLabels": selector_labels(spec.name)}, **budget},
    }


def _metric(resource: str, utilization: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": utilization}},
    }


def horizontal_pod_autoscaler(spec: Spec) -> dict[str, Any] | None:
    scaling = spec.server.get("autoscaling")
    if not scaling:
        return None
    metrics = []
    if "targetCPUUtilizationPercentage" in scaling:
        metrics.append(_metric("cpu", scaling["targetCPUUtilizationPercentage"]))
    if "targetMemoryUtilizationPercentage" in scaling:
        metrics.append(_metric("memory", scaling["targetMemoryUtilizationPercentage"]))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(f"{spec.name}-hpa", spec.namespace, spec.name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": max(1, spec.raw["replicas"], scaling.get("minReplicas", 1)),
            "maxReplicas": scaling["maxReplicas"],
            "metrics": metrics or [_metric("cpu", 80)],
        },
    }
