"""Reading a Metacontroller v2 hook request; a malformed one is the caller's error (400).

Only the shape the hook relies on is checked: everything inside the parent's spec is the
generator's to judge (a bad spec is a 200 with the error in status, not a 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from hooks.kinds import Kind, kind_of

# Deeper JSON is no Kubernetes object anyone writes, and walking it could exhaust the stack.
MAX_DEPTH = 100
CONTAINERS = (dict, list)
NOT_BRACKETS = bytes(range(256)).translate(None, b"{}[]")


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
    kind: Kind  # the parent's kind: its server line and parser

    @property
    def name(self) -> str:
        return str(self.parent["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.parent["metadata"].get("namespace") or "default")

    def observed(self, type_key: str) -> dict[str, dict[str, Any]]:
        return self.children.get(type_key) or {}


def _depth_within(value: Any, limit: int) -> bool:
    """Whether no object or array nests deeper than `limit`: level by level, only containers are
    visited (no recursion to exhaust, and scalars, most of a request, cost nothing)."""
    level = [value] if type(value) in CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        below: list[Any] = []
        for item in level:
            below += [child for child in (item.values() if type(item) is dict else item) if type(child) in CONTAINERS]
        level = below
    return True


def _shallow_by_bytes(raw: bytes, limit: int) -> bool:
    """True when the body's brackets alone prove it nests at most `limit` deep (a C-speed test
    that settles almost every request; False means "walk it to know").

    A round strikes the innermost `{}` pairs, then the innermost `[]` pairs: every nesting chain
    loses at most two levels per round, so a body the rounds empty within `limit // 2` rounds nests
    at most `limit` deep. Brackets inside strings (last-applied annotations are JSON) only make the
    bound looser; brackets there that do not pair up leave the test undecided."""
    brackets = raw.translate(None, NOT_BRACKETS)
    for _ in range(limit // 2):
        if not brackets:
            return True
        shorter = brackets.replace(b"{}", b"").replace(b"[]", b"")
        if len(shorter) == len(brackets):
            return False  # nothing pairs up: brackets in strings
        brackets = shorter
    return not brackets


def parse_body(raw: bytes) -> Any:
    """The JSON of a request body; a body that is not JSON or nests too deep is a BadRequest.

    orjson parses (2-3x faster than the standard library on Kubernetes objects; `make bench`
    gives the floor the same parser). It refuses what the standard library would also have
    refused here (a body that is not UTF-8, NaN) and reads integers beyond 64 bits as floats:
    no Kubernetes field holds one.
    """
    try:
        body = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as err:
        if "depth limit" in str(err):
            raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels") from None
        raise BadRequest("the body is not valid JSON") from None
    if not _shallow_by_bytes(raw, MAX_DEPTH) and not _depth_within(body, MAX_DEPTH):
        raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels")
    return body


def parse_request(body: Any) -> HookRequest:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    parent = body.get("parent")
    if not isinstance(parent, dict):
        raise BadRequest("`parent` must be the parent object (a LlamaStackDistribution or an OGXServer)")
    metadata = parent.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise BadRequest("`parent.metadata.name` is required")
    if metadata.get("namespace") is not None and not isinstance(metadata["namespace"], str):
        raise BadRequest("`parent.metadata.namespace` must be a string")
    kind = kind_of(parent)
    if kind is None:
        raise BadRequest(
            f"`parent` is a {parent.get('apiVersion')} {parent.get('kind')}, which this hook does not serve"
        )
    finalizing = body.get("finalizing", False)
    if not isinstance(finalizing, bool):
        raise BadRequest("`finalizing` must be a boolean")
    return HookRequest(
        parent=parent,
        children=_object_map(body.get("children"), "children"),
        related=_object_map(body.get("related"), "related"),
        finalizing=finalizing,
        kind=kind,
    )
