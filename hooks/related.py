"""Secrets and ConfigMaps from the request's `related` map (v2 keys `namespace/name`).

Secret values are decoded only to check a key exists and to hash nothing; they are never
logged, echoed or put into a response.

A ConfigMap in another namespace than the parent's is only visible here when it consents: its
annotation `llamastack.io/allowed-namespaces` lists the parent's namespace (comma-separated
names, or `*`), or the installation allows every cross-namespace reference
(`LLSD_ALLOW_CROSS_NAMESPACE_REFS`). Otherwise it is treated exactly as a missing one, so a
tenant learns nothing about objects outside their namespace (not even whether they exist).
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from hooks.request import HookRequest

SHARED_WITH_ANNOTATION = "llamastack.io/allowed-namespaces"


def shared_with(configmap: dict[str, Any], namespace: str) -> bool:
    """Whether a ConfigMap's owner opted in to `namespace` reading it."""
    annotations = (configmap.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(SHARED_WITH_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(value, str):
        return False
    allowed = {item.strip() for item in value.split(",")}
    return "*" in allowed or namespace in allowed


@lru_cache(maxsize=4096)
def _valid_base64(value: str) -> bool:
    """Whether a Secret's data value decodes (remembered: an instance with 200 provider keys asks
    about the same values on every sync)."""
    try:
        base64.b64decode(value, validate=True)
    except (ValueError, TypeError):  # binascii.Error, and non-ASCII text (a plain ValueError)
        return False
    return True


class Related:
    def __init__(self, request: HookRequest, allow_cross_namespace: bool = False) -> None:
        self._secrets = request.related.get("Secret.v1") or {}
        self._configmaps = request.related.get("ConfigMap.v1") or {}
        self._namespace = request.namespace
        self._allow_cross_namespace = allow_cross_namespace

    def secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._secrets.get(f"{namespace}/{name}")

    def secret_has_key(self, secret: dict[str, Any], key: str) -> bool:
        data = secret.get("data") or {}
        if key in data:
            value = data[key]
            return not value or (isinstance(value, str) and _valid_base64(value))
        return key in (secret.get("stringData") or {})

    def configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The ConfigMap, if it exists and the parent may read it (module docstring)."""
        found = self._configmaps.get(f"{namespace}/{name}")
        if found is None or namespace == self._namespace or self._allow_cross_namespace:
            return found
        return found if shared_with(found, self._namespace) else None

    @staticmethod
    def configmap_text(configmap: dict[str, Any], key: str) -> str | None:
        value = (configmap.get("data") or {}).get(key)
        if isinstance(value, str):
            return value
        binary = (configmap.get("binaryData") or {}).get(key)
        if isinstance(binary, str):
            try:
                return base64.b64decode(binary).decode("utf-8")
            except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text
                return None
        return None
