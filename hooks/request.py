"""Reading a Metacontroller v2 hook request; a malformed one is the caller's error (400).

Only the shape the hook relies on is checked: everything inside the parent's spec is the
generator's to judge (a bad spec is a 200 with the error in status, not a 400).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Deeper JSON is no Kubernetes object anyone writes, and walking it could exhaust the stack.
MAX_DEPTH = 100


class BadRequest(ValueError):
    """The request itself is malformed (not the LLSD in it)."""


ObjectMap = dict[str, dict[str, dict[str, Any]]]


def _object_map(value: Any, field: str) -> ObjectMap:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(group, dict) for group in value.values()):
        raise BadRequest(f"`{field}` must map '<Kind>.<apiVersion>' to objects keyed by 'namespace/name'")
    for group in value.values():
        for key, obj in group.items():
            if not isinstance(key, str) or not isinstance(obj, dict):
                raise BadRequest(f"`{field}` entries must be objects keyed by 'namespace/name'")
    return value


@dataclass(frozen=True)
class HookRequest:
    parent: dict[str, Any]
    children: ObjectMap
    related: ObjectMap
    finalizing: bool

    @property
    def name(self) -> str:
        return str(self.parent["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.parent["metadata"].get("namespace") or "default")

    def observed(self, type_key: str) -> dict[str, dict[str, Any]]:
        return self.children.get(type_key) or {}


def _depth_within(value: Any, limit: int) -> bool:
    """Whether no object or array nests deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def parse_body(raw: bytes) -> Any:
    """The JSON of a request body; a body that is not JSON or nests too deep is a BadRequest."""
    try:
        body = json.loads(raw or b"null")
    except RecursionError:
        raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    if not _depth_within(body, MAX_DEPTH):
        raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels")
    return body


def parse_request(body: Any) -> HookRequest:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    parent = body.get("parent")
    if not isinstance(parent, dict):
        raise BadRequest("`parent` must be the LlamaStackDistribution object")
    metadata = parent.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise BadRequest("`parent.metadata.name` is required")
    if metadata.get("namespace") is not None and not isinstance(metadata["namespace"], str):
        raise BadRequest("`parent.metadata.namespace` must be a string")
    finalizing = body.get("finalizing", False)
    if not isinstance(finalizing, bool):
        raise BadRequest("`finalizing` must be a boolean")
    return HookRequest(
        parent=parent,
        children=_object_map(body.get("children"), "children"),
        related=_object_map(body.get("related"), "related"),
        finalizing=finalizing,
    )
