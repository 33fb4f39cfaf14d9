"""Config ConfigMaps: the generated `<llsd>-config-<hash>`, and `<llsd>-user-config`, the copy
of a userConfig that lives in another namespace (a pod mounts ConfigMaps of its own namespace only).
"""

from __future__ import annotations

import hashlib
from typing import Any

from generator import ServerLine
from generator.layout import CONFIG_KEY
from generator.naming import user_config_copy_name
from hooks.children.labels import GENERATED_CONFIG, USER_CONFIG, metadata


def content_hash(data: dict[str, str]) -> str:
    """Stable digest of ConfigMap data for the pod-template annotation: edits roll the pods."""
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(key.encode() + b"\0" + data[key].encode() + b"\0")
    return digest.hexdigest()[:16]


def generated_config(name: str, namespace: str, owner: str, line: ServerLine, config_yaml: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(name, namespace, owner, line, GENERATED_CONFIG),
        "data": {CONFIG_KEY: config_yaml},
    }


def user_config_copy(owner: str, namespace: str, line: ServerLine, config_yaml: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(user_config_copy_name(owner), namespace, owner, line, USER_CONFIG),
        "data": {CONFIG_KEY: config_yaml},
    }
