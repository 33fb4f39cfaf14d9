"""Env var names for secret references.

A secret never enters config.yaml: the config holds `${env.NAME}` and the Deployment fills NAME
from the Secret. Names are `LLSD_<API>[_<ID>]_<FIELD>`: API is the config key (`VECTOR_IO`), ID
only when the CR gave one, FIELD the CR field (`apiKey` -> `API_KEY`, a `secretRefs` key as written).
"""

from __future__ import annotations

import re
from typing import Any

from generator.model import SecretRef

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
VALID_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _token(text: str) -> str:
    return text.upper().replace("-", "_").replace(".", "_")


def cr_field_token(field: str) -> str:
    """`apiKey` -> `API_KEY`, `host` -> `HOST`."""
    return _token(_CAMEL_BOUNDARY.sub("_", field))


def provider_env_name(api: str, provider_id: str | None, field_token: str) -> str:
    parts = ["LLSD", _token(api)]
    if provider_id:
        parts.append(_token(provider_id))
    parts.append(field_token)
    return "_".join(parts)


def env_ref(name: str) -> str:
    return "${env." + name + "}"


def make_ref(path: str, selector: dict[str, Any], env_name: str) -> SecretRef:
    ref = selector["secretKeyRef"]
    return SecretRef(path=path, secret_name=ref["name"], key=ref["key"], env_name=env_name)
