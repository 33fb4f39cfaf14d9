"""Shedding load before Metacontroller's timeout does it for us.

A gthread gunicorn worker hands each connection with a request to a thread pool; when every
thread is busy the request waits in the pool's queue. Metacontroller gives up on a hook call after
`webhook.timeout` (10 s by default), then backs off exponentially and records a `SyncError`. A
`429` with `Retry-After: <s>` instead makes it requeue after exactly that delay, without backoff.

How a worker knows its queue is deep: gunicorn's `post_worker_init` hook (hooks/gunicorn_conf.py)
wraps the worker's `enqueue_req`, which stamps each connection's socket with the time its request
was queued; the app finds that socket in the WSGI environ (`gunicorn.socket`) and so knows how
long this request waited for a thread. When that wait is over the limit, the queue is deep: the
request is answered 429 at once (a few microseconds instead of a sync), which drains the queue
for the requests behind it, and `Retry-After` is the wait observed (the queue's current depth in
seconds). The queue wait is what counts, not its length: a queued item may be a keep-alive
connection closing, and requests differ in cost by 100x. Outside gunicorn (tests, `render`)
nothing is stamped and nothing is ever shed.
"""

from __future__ import annotations

import math
import time
import weakref
from typing import Any


class Overload:
    """Queue times of this worker's connections (one instance per process)."""

    def __init__(self) -> None:
        self._queued_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def attach(self, worker: Any) -> None:
        """Called in each gunicorn worker once it runs: stamp every request it queues."""
        enqueue = getattr(worker, "enqueue_req", None)
        if enqueue is None:  # not a gthread worker: nothing is queued behind busy threads
            return

        def stamped(conn: Any) -> None:
            self._queued_at[conn.sock] = time.monotonic()
            enqueue(conn)

        worker.enqueue_req = stamped

    def waited(self, sock: Any) -> float:
        """Seconds the request on `sock` waited to be taken up (0 when unknown)."""
        if sock is None:
            return 0.0
        try:
            queued_at = self._queued_at.pop(sock)
        except (KeyError, TypeError):
            return 0.0
        return time.monotonic() - queued_at

    def retry_after(self, sock: Any, max_wait_seconds: float) -> int | None:
        """Seconds the caller should wait before retrying, when this request waited too long."""
        waited = self.waited(sock)
        if waited <= max_wait_seconds:
            return None
        return max(1, math.ceil(waited))


OVERLOAD = Overload()
