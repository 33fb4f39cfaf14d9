"""Reading a Metacontroller v2 hook request; a malformed one is the caller's error (400).

Only the shape the hook relies on is checked: everything inside the parent's spec is the
generator's to judge (a bad spec is a 200 with the error in status, not a 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from hooks.kinds import Kind, kind_of

# What a request nested too deep is told: orjson refuses JSON nested over 1024 levels, and a value
# nested deeper than Python's recursion limit (1000 frames) lets a walk of it raise RecursionError,
# which the endpoints answer with this (hooks/routes.py, hooks/admission.py).
TOO_DEEP = "the body nests deeper than the hook reads (no Kubernetes object nests hundreds of levels deep)"


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


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, at most `limit` bytes (else 413), read in one call.

    What `request.get_data()` gives under the app's MAX_CONTENT_LENGTH, without its cost: with a
    limit set, werkzeug reads through a pure-Python stream in 64 KiB steps, each one more call
    into gunicorn's body reader (a live sync's body is ~70 KB; this is paid on every request).
    The limit holds the same way: a Content-Length over it is refused before anything is read; a
    body without one (chunked) is read only when the server ends the stream itself
    (`wsgi.input_terminated`, as gunicorn does), up to one byte past the limit.
    """
    stream = environ["wsgi.input"]
    length = get_content_length(environ)
    if length is not None:
        if length > limit:
            raise RequestEntityTooLarge()
        return stream.read(length) if length else b""
    if "wsgi.input_terminated" not in environ:  # an unbounded stream: nothing is read (werkzeug's choice)
        return b""
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def parse_body(raw: bytes) -> Any:
    """The JSON of a request body; a body that is not JSON or nests too deep is a BadRequest.

    orjson parses (2-3x faster than the standard library on Kubernetes objects; `make bench`
    gives the floor the same parser). It refuses what the standard library would also have
    refused here (a body that is not UTF-8, NaN) and reads integers beyond 64 bits as floats:
    no Kubernetes field holds one. It refuses nesting over 1024 levels; anything nested less
    but still too deep to walk (a few hundred levels, from a forged request, or JSON inside an
    annotation) raises RecursionError where the hook walks it: Python 3.12 raises that instead
    of exhausting the stack, and the endpoints answer it 400 with `TOO_DEEP`.
    """
    try:
        return orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as err:
        if "depth limit" in str(err):
            raise BadRequest(TOO_DEEP) from None
        raise BadRequest("the body is not valid JSON") from None


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
