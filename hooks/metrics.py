"""Prometheus metrics of the hook: one scrape accounts for every gunicorn worker.

gunicorn workers share no memory and Prometheus scrapes a pod through one connection, which one
worker answers. So the metrics use prometheus-client's multiprocess mode (gunicorn's documented
pattern): each worker writes its samples to memory-mapped files in `PROMETHEUS_MULTIPROC_DIR`
(set and emptied by hooks/gunicorn_conf.py when the server starts), and the worker that answers a
scrape adds up the files of all workers, those that exited included (gunicorn's `child_exit`
marks them dead; their counts stay). Without that variable (tests, a single process) the
metrics are the process's own, with the standard process and Python metrics.

Names (documented in docs/hooks.md):
    llsd_hook_requests_total{hook, outcome, code}          requests answered
    llsd_hook_request_duration_seconds{hook, outcome}      time to answer (histogram)
    llsd_hook_workers                                      gunicorn workers running (live ones)
"""

from __future__ import annotations

import os
from functools import lru_cache

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from hooks.settings import MULTIPROC_ENV

disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series double every counter's output and say nothing here
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "llsd_hook_requests",
    "Hook requests answered, by hook (sync, customize), outcome and HTTP status code.",
    ["hook", "outcome", "code"],
)
DURATION = Histogram(
    "llsd_hook_request_duration_seconds",
    "Time to answer a hook request, by hook and outcome.",
    ["hook", "outcome"],
    buckets=BUCKETS,
)

WORKERS = Gauge(
    "llsd_hook_workers",
    "gunicorn workers of this pod that are running (a worker that exited no longer counts).",
    multiprocess_mode="livesum",
)


def worker_started() -> None:
    WORKERS.set(1)


@lru_cache(maxsize=256)
def _series(hook: str, outcome: str, code: int) -> tuple[Counter, Histogram]:
    """The labelled children of one (hook, outcome, code): looked up once, not per request."""
    return REQUESTS.labels(hook, outcome, str(code)), DURATION.labels(hook, outcome)


def observe(hook: str, outcome: str, code: int, seconds: float) -> None:
    requests, duration = _series(hook, outcome, code)
    requests.inc()
    duration.observe(seconds)


def render() -> bytes:
    """The text a scrape gets: every worker's samples in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
