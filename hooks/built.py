"""A per-process memo of the children the sync hook builds, checked and serialised once.

On a live cluster Metacontroller syncs a parent after every status write and every change of a
child, and each request differs (fresh resourceVersions, new status figures) while the children
the hook wants stay the same. Building them (Deployment, Service, ...), passing them through the
answer firewall and serialising them costs far more than reading the few observed facts that
change from request to request. So `build` is memoised on exactly what it reads:

- the parent's name, namespace and spec (their canonical key, as `parse_spec` and `generate`
  are memoised on it) and its kind,
- the data of the ConfigMaps it reads (the CA bundle, a userConfig, an OGXServer's baseConfig),
  as `Related` shows them
  (after the cross-namespace consent rule),
- the observed Deployment's replica count (carried under an HPA),
- the hook's settings (the same object: one app, one Settings).

Anything `build` comes to read must be added to `_key`. An entry holds the children (shared:
read-only), the JSON of each child (the answer is assembled from it byte for byte as
`json.dumps` would write it) and the fact that the firewall passed them for this parent.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

from hooks.baseconfig import base_config_ref
from hooks.firewall import check
from hooks.ownership import ChildKey, child_keys

if TYPE_CHECKING:
    from generator import Spec
    from hooks.related import Related
    from hooks.request import HookRequest
    from hooks.settings import Settings
    from hooks.sync import Built

SIZE = 256
# Serialised children kept per worker at most (the children's objects take a few times this).
MAX_BYTES = 8 * 1024 * 1024


# What json.dumps(value, separators=(",", ":")) writes, without building an encoder per call.
ENCODER = json.JSONEncoder(separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """JSON exactly as the hook answers it (the standard library's, compact)."""
    return ENCODER.encode(value).encode()


def dumps_plain(value: Any) -> bytes:
    """`dumps(value)` for a value of only str, int, bool, None, list and dict (no float: orjson
    writes exponents differently): orjson's bytes when they are what the standard library writes
    too, which is when they are ASCII without DEL (the standard library escapes everything else),
    about 10x faster. The status of every live sync goes through here."""
    try:
        fast = orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, a key that is not a string
        return dumps(value)
    return fast if fast.isascii() and b"\x7f" not in fast else dumps(value)


@dataclass(frozen=True)
class Entry:
    settings: Settings
    built: Built
    encoded: bytes  # dumps() of each child, in order, joined with commas: as every answer carries them
    verified: frozenset[int]  # ids of the children the firewall passed for this parent

    # What every sync of this entry asks of its children, worked out once.
    @cached_property
    def child_keys(self) -> tuple[ChildKey, ...]:
        return child_keys(self.built.children)

    @cached_property
    def configmap_names(self) -> frozenset[str]:
        return frozenset(child["metadata"]["name"] for child in self.built.children if child["kind"] == "ConfigMap")


def _data(related: Related, ref: Any) -> bytes | None:
    if ref is None:
        return None
    source = related.configmap(ref.namespace, ref.name)
    return None if source is None else orjson.dumps(source.get("data"), option=orjson.OPT_SORT_KEYS)


class BuildMemo:
    def __init__(self, size: int = SIZE, max_bytes: int = MAX_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        identity: bytes | None,
        spec: Spec,
        request: HookRequest,
        related: Related,
        settings: Settings,
        replicas: int | None,
        build: Callable[[], Built],
    ) -> Entry:
        """The memoised entry, or `build()` checked, serialised and remembered. `identity` is the
        parent's canonical key (name, namespace, spec: generator.memo.canonical_key).
        Raises what `build` raises (never remembered) and FirewallViolation."""
        key = None
        if identity is not None:  # None: the spec is not plain JSON, no memo
            ca_data, user_data = _data(related, spec.ca_bundle), _data(related, spec.user_config)
            base_data = _data(related, base_config_ref(spec))
            key = (identity, request.parent.get("kind"), replicas, ca_data, user_data, base_data, id(settings))
        if key is not None:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry.settings is settings:
                    self._entries.move_to_end(key)
                    return entry
        built = build()
        check(request.parent, {"children": built.children})
        entry = Entry(
            settings,
            built,
            b",".join(dumps(child) for child in built.children),
            frozenset(id(child) for child in built.children),
        )
        size = len(entry.encoded)
        if key is not None and size <= self.max_bytes:
            with self._lock:
                previous = self._entries.pop(key, None)
                self._bytes += size - (len(previous.encoded) if previous else 0)
                self._entries[key] = entry
                while len(self._entries) > self.size or self._bytes > self.max_bytes:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= len(dropped.encoded)
        return entry


BUILDS = BuildMemo()
