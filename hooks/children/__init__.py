"""Every child the hook asks Metacontroller for, and the one list of their types.

`CHILD_RESOURCES` is the single source of truth for the CompositeController's childResources
(a test ties metacontroller/compositecontroller.yaml to it): a child whose apiVersion differs
from the declared one would be deleted and recreated on every sync.
"""

from __future__ import annotations

from typing import Any

from generator import GenerationResult, Spec
from hooks.children.configmap import generated_config
from hooks.children.deployment import PodPlan, deployment
from hooks.children.hpa import horizontal_pod_autoscaler
from hooks.children.ingress import ingress
from hooks.children.networkpolicy import network_policy
from hooks.children.pdb import pod_disruption_budget
from hooks.children.pvc import persistent_volume_claim
from hooks.children.service import service
from hooks.children.serviceaccount import service_account
from hooks.exposure import Exposure

# (apiVersion, resource, kind)
CHILD_RESOURCES: list[tuple[str, str, str]] = [
    ("v1", "configmaps", "ConfigMap"),
    ("v1", "services", "Service"),
    ("v1", "serviceaccounts", "ServiceAccount"),
    ("v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("apps/v1", "deployments", "Deployment"),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy"),
    ("networking.k8s.io/v1", "ingresses", "Ingress"),
    ("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
]


def build_children(
    spec: Spec,
    plan: PodPlan,
    result: GenerationResult | None,
    default_network_policy: bool = True,
    exposure: Exposure | None = None,
) -> list[dict[str, Any]]:
    children: list[dict[str, Any] | None] = []
    if result is not None:
        children.append(
            generated_config(result.configmap_name, spec.namespace, spec.name, spec.line, result.config_yaml)
        )
    children += [
        service_account(spec),
        service(spec),
        persistent_volume_claim(spec),
        deployment(spec, plan),
        network_policy(spec, default_network_policy, exposure),
        ingress(spec, exposure),
        pod_disruption_budget(spec),
        horizontal_pod_autoscaler(spec),
    ]
    return [child for child in children if child is not None]
