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

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from xxhash import xxh3_128_digest, xxh3_128_hexdigest


def etag(body: bytes) -> str:
    """A strong entity tag of an answer body (the 128-bit XXH3 of it, quoted as HTTP wants).

    It must be the same in every worker and after a restart (Metacontroller sends it back to
    whichever worker takes the next request), so the hash is unseeded. XXH3 hashes a 20 KB answer
    in about a microsecond; a cryptographic hash took 40. Two answers with the same tag would need
    a 2^-64 accident: Metacontroller keeps one tag per parent, and a tenant can only collide with
    an answer of their own parent."""
    return f'"{xxh3_128_hexdigest(body)}"'


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
    """At most `size` answers and `max_bytes` of request and answer bodies per worker (least
    recently used go first): a worker that sees only different bodies (a busy cluster) must not
    grow by the cache.

    Entries are found by a fast non-cryptographic hash of the request and hold the request body
    itself: an answer is given only to a request byte-identical to the one it was computed for, so
    no body, however crafted, can be answered with another parent's answer.

    An answer is kept only when its request comes a second time within `seconds`; the first time
    only the request's hash is noted (at most `seen_size` of them). On a live cluster nearly every
    request differs from all before it (fresh resourceVersions), and keeping each one's body
    (tens of KB) would only churn memory; a resync of an unchanged world repeats its body, and is
    answered from here from its third request on."""

    def __init__(
        self, seconds: float, size: int = 256, max_bytes: int = 16 * 1024 * 1024, seen_size: int = 4096
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.max_bytes = max_bytes
        self.seen_size = seen_size
        self._entries: OrderedDict[bytes, tuple[float, bytes, CachedAnswer]] = OrderedDict()
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # key -> until when a second request admits it
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(hook: str, body: bytes) -> bytes:
        return hook.encode() + b"\0" + xxh3_128_digest(body)

    def lookup(self, hook: str, body: bytes) -> tuple[bytes, CachedAnswer | None]:
        """The request's key (for `put`) and its kept answer, if any."""
        if self.seconds <= 0:
            return b"", None
        key = self.key(hook, body)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[1] != body:
                return key, None
            if entry[0] < time.monotonic():
                self._drop(key)
                return key, None
            self._entries.move_to_end(key)
            return key, entry[2]

    def put(self, key: bytes, body: bytes, answer: CachedAnswer) -> None:
        """Keep `answer` for the request `body` (of `key`, from `lookup`) if it came before."""
        size = len(body) + len(answer.body)
        if self.seconds <= 0 or size > self.max_bytes:
            return
        now = time.monotonic()
        with self._lock:
            seen = self._seen.pop(key, None)
            if seen is None or seen < now:  # the first time: note it, keep nothing
                self._seen[key] = now + self.seconds
                while len(self._seen) > self.seen_size:
                    self._seen.popitem(last=False)
                return
            self._drop(key)
            self._entries[key] = (now + self.seconds, body, answer)
            self._bytes += size
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1]) + len(entry[2].body)
