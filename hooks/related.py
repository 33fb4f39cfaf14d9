"""Secrets and ConfigMaps from the request's `related` map (v2 keys `namespace/name`).

Secret values are decoded only to check a key exists and to hash nothing; they are never
logged, echoed or put into a response.
"""

from __future__ import annotations

import base64
from typing import Any

from hooks.request import HookRequest


class Related:
    def __init__(self, request: HookRequest) -> None:
        self._secrets = request.related.get("Secret.v1") or {}
        self._configmaps = request.related.get("ConfigMap.v1") or {}

    def secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._secrets.get(f"{namespace}/{name}")

    def secret_has_key(self, secret: dict[str, Any], key: str) -> bool:
        data = secret.get("data") or {}
        if key in data:
            try:
                base64.b64decode(data[key] or "", validate=True)
            except (ValueError, TypeError):  # binascii.Error, and non-ASCII text (a plain ValueError)
                return False
            return True
        return key in (secret.get("stringData") or {})

    def configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._configmaps.get(f"{namespace}/{name}")

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
