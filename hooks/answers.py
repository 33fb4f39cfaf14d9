"""A per-worker cache of answers by request body: identical requests get identical answers.

Metacontroller resyncs every parent periodically and on every related change, with byte-identical
request bodies while nothing changed. The answer is a function of the body (and of the clock only
when a condition changes, which changes the body next time), so the serialised answer is kept
for a short time instead of being parsed, computed and serialised again. Entries expire after
`seconds` (a timestamp taken at a transition is then at most that old) and the cache is bounded.

Every answer carries an `ETag`, a hash of its body. Metacontroller's `webhook.etag` keeps the
last answer per parent with its ETag and sends it back in `If-None-Match`; when the answer the
hook would give has that ETag, `304 Not Modified` with no body tells Metacontroller to use its copy
(`pkg/hooks/webhook_etag.go`), which saves sending and decoding the answer.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass


def etag(body: bytes) -> str:
    """A strong entity tag of an answer body (128 bits of BLAKE2b, quoted as HTTP wants)."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 If-None-Match: a list of tags compared weakly (a `W/` prefix ignored). `*` never
    matches: it asks "does any answer exist", and a POST's answer is computed, not stored."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate.removeprefix("W/") == tag:
            return True
    return False


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    outcome: str
    parent: str
    etag: str


class AnswerCache:
    """At most `size` answers and `max_bytes` of answer bodies per worker (least recently used go
    first): a worker that sees only different bodies (a busy cluster) must not grow by the cache."""

    def __init__(self, seconds: float, size: int = 256, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.seconds = seconds
        self.size = size
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, tuple[float, CachedAnswer]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(hook: str, body: bytes) -> bytes:
        return hashlib.sha256(hook.encode() + b"\0" + body).digest()

    def get(self, key: bytes) -> CachedAnswer | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: bytes, answer: CachedAnswer) -> None:
        if self.seconds <= 0 or len(answer.body) > self.max_bytes:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (time.monotonic() + self.seconds, answer)
            self._bytes += len(answer.body)
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1].body)
