"""The PodDisruptionBudget `<llsd>-pdb`: when the user asks for one, or more than one pod runs.

A single replica gets none by default: a budget on one pod would block node drains forever.
"""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import pdb_name
from hooks.children.labels import metadata, selector_labels


def pod_disruption_budget(spec: Spec) -> dict[str, Any] | None:
    budget = spec.server.get("podDisruptionBudget")
    if budget is None and spec.raw["replicas"] <= 1 and not spec.server.get("autoscaling"):
        return None
    budget = budget or {"maxUnavailable": 1}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(pdb_name(spec.name), spec.namespace, spec.name, spec.line),
        "spec": {"selector": {"matchLabels": selector_labels(spec.name, spec.line)}, **budget},
    }
