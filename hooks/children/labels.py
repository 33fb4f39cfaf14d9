"""Labels of children, as each upstream operator has them, so existing selectors keep working:
`app: llama-stack` for an LLSD, `app: ogx` for an OGXServer (the line's `app_label`). Names:
generator.naming."""

from __future__ import annotations

from typing import Any

from generator import ServerLine

COMPONENT_LABEL = "app.kubernetes.io/component"
GENERATED_CONFIG = "generated-config"
USER_CONFIG = "user-config"
CA_BUNDLE = "ca-bundle"


def selector_labels(name: str, line: ServerLine) -> dict[str, str]:
    return {"app": line.app_label, "app.kubernetes.io/instance": name}


def child_labels(name: str, line: ServerLine, component: str | None = None) -> dict[str, str]:
    labels = {
        **selector_labels(name, line),
        "app.kubernetes.io/part-of": line.app_label,
        "app.kubernetes.io/managed-by": "llsd-hook",
    }
    if component:
        labels[COMPONENT_LABEL] = component
    return labels


def metadata(name: str, namespace: str, owner: str, line: ServerLine, component: str | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": child_labels(owner, line, component)}
