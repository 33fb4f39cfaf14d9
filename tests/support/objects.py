"""The Kubernetes objects and hook settings many tests build: a fixed clock, canary Secrets, ConfigMaps.

A canary Secret's value must never appear in any answer, log line or metric; tests search for it.
"""

from __future__ import annotations

import base64
from typing import Any

from hooks.settings import Settings

NOW = "2026-01-01T00:00:00Z"
CANARY = "CANARY-secret-value-7c1e"
CANARY_B64 = base64.b64encode(CANARY.encode()).decode()


def settings() -> Settings:
    """The hook's settings with the clock fixed at NOW (status timestamps are reproducible)."""
    return Settings(clock=lambda: NOW, operator_version="0.1.0")


def canary_secret(name: str, *keys: str, namespace: str = "ai", string_data: bool = False) -> dict[str, Any]:
    """A Secret whose every key holds CANARY: in `data` (base64), or with `string_data` every
    other key (sorted) in `stringData` (raw), so both forms are checked for leaks."""
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}}
    if not string_data:
        secret["data"] = dict.fromkeys(keys, CANARY_B64)
        return secret
    ordered = sorted(keys)
    secret["data"] = dict.fromkeys(ordered[::2], CANARY_B64)
    secret["stringData"] = dict.fromkeys(ordered[1::2], CANARY)
    return secret


def configmap(name: str, data: dict[str, str], namespace: str = "ai", shared_with: str | None = None) -> dict[str, Any]:
    """A ConfigMap; `shared_with` sets its owner's consent annotation for other namespaces."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if shared_with is not None:
        metadata["annotations"] = {"llamastack.io/allowed-namespaces": shared_with}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}
