"""A per-worker cache of answers by request body: identical requests get identical answers.

Metacontroller resyncs every parent periodically and on every related change, with byte-identical
request bodies while nothing changed. The answer is a function of the body (and of the clock only
when a condition changes, which changes the body next time), so the serialised answer is kept
for a short time instead of being parsed, computed and serialised again. Entries expire after
`seconds` (a timestamp taken at a transition is then at most that old) and the cache is bounded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    outcome: str
    parent: str


class AnswerCache:
    def __init__(self, seconds: float, size: int = 256) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[bytes, tuple[float, CachedAnswer]] = OrderedDict()
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
                self._entries.pop(key, None)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: bytes, answer: CachedAnswer) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
