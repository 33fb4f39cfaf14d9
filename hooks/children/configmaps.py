"""ConfigMap children: the generated config, a copy of a cross-namespace userConfig, the CA bundle."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from generator.layout import CA_BUNDLE_KEY, CONFIG_KEY
from hooks.children.labels import GENERATED_CONFIG, ca_bundle_name, metadata, user_config_copy_name

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----")
MAX_CA_BUNDLE_BYTES = 10 * 1024 * 1024
MAX_CERTIFICATES = 1000


def content_hash(data: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(key.encode() + b"\0" + data[key].encode() + b"\0")
    return digest.hexdigest()[:16]


def generated_config(name: str, namespace: str, owner: str, config_yaml: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(name, namespace, owner, GENERATED_CONFIG),
        "data": {CONFIG_KEY: config_yaml},
    }


def user_config_copy(owner: str, namespace: str, config_yaml: str) -> dict[str, Any]:
    """A pod mounts ConfigMaps of its own namespace only; a userConfig elsewhere is copied here."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(user_config_copy_name(owner), namespace, owner, "user-config"),
        "data": {CONFIG_KEY: config_yaml},
    }


def certificates(text: str) -> list[str]:
    return [block.replace("\r\n", "\n") for block in PEM_CERTIFICATE.findall(text)]


def ca_bundle(owner: str, namespace: str, blocks: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(ca_bundle_name(owner), namespace, owner, "ca-bundle"),
        "data": {CA_BUNDLE_KEY: "\n".join(blocks) + "\n"},
    }
