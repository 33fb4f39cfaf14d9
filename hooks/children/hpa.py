"""The HorizontalPodAutoscaler `<llsd>-hpa` (autoscaling/v2), only with `spec.server.autoscaling`.

It owns the replica count then: the Deployment leaves out `spec.replicas` (see deployment.py).
"""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import hpa_name
from hooks.children.labels import metadata


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
        "metadata": metadata(hpa_name(spec.name), spec.namespace, spec.name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": max(1, spec.raw["replicas"], scaling.get("minReplicas", 1)),
            "maxReplicas": scaling["maxReplicas"],
            "metrics": metrics or [_metric("cpu", 80)],
        },
    }
