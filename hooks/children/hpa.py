"""The HorizontalPodAutoscaler `<llsd>-hpa` (autoscaling/v2), only with `spec.server.autoscaling`.

It owns the replica count then, and the Deployment carries whatever count it observes (see
deployment.py): leaving `spec.replicas` out would make Metacontroller's 3-way merge remove it and
the API server default it to 1 until the HPA reacts.
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


def min_replicas(spec: Spec) -> int:
    """The HPA's floor: never below the CR's `replicas`, so turning autoscaling on scales nothing down."""
    floor: int = max(1, spec.raw["replicas"], (spec.server.get("autoscaling") or {}).get("minReplicas", 1))
    return floor


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
        "metadata": metadata(hpa_name(spec.name), spec.namespace, spec.name, spec.line),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": min_replicas(spec),
            "maxReplicas": scaling["maxReplicas"],
            "metrics": metrics or [_metric("cpu", 80)],
        },
    }
