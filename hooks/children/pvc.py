"""The PersistentVolumeClaim `<llsd>-pvc`, only when `spec.server.storage` is set.

The CompositeController updates it `OnDelete`: a PVC's spec is immutable apart from its size.
"""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import pvc_name
from hooks.children.labels import metadata


def persistent_volume_claim(spec: Spec) -> dict[str, Any] | None:
    storage = spec.server.get("storage")
    if not storage:
        return None
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(pvc_name(spec.name), spec.namespace, spec.name, spec.line),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage["size"]}}},
    }
