"""Labels of children, as upstream has them, so existing selectors keep working (names: generator.naming)."""

from __future__ import annotations

from typing import Any

COMPONENT_LABEL = "app.kubernetes.io/component"
GENERATED_CONFIG = "generated-config"
USER_CONFIG = "user-config"
CA_BUNDLE = "ca-bundle"


def selector_labels(name: str) -> dict[str, str]:
    return {"app": "llama-stack", "app.kubernetes.io/instance": name}


def child_labels(name: str, component: str | None = None) -> dict[str, str]:
    labels = {
        **selector_labels(name),
        "app.kubernetes.io/part-of": "llama-stack",
        "app.kubernetes.io/managed-by": "llsd-hook",
    }
    if component:
        labels[COMPONENT_LABEL] = component
    return labels


def metadata(name: str, namespace: str, owner: str, component: str | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": child_labels(owner, component)}
