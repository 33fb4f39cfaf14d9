"""Prometheus metrics of one worker process: sync/customize counts and latency by outcome.

Per process on purpose: gunicorn workers share nothing, and Prometheus sums the series of all
pods; the `pid` label keeps the workers of one pod apart.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = defaultdict(int)
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))

    def observe(self, hook: str, outcome: str, seconds: float) -> None:
        key = (hook, outcome)
        with self._lock:
            self._counts[key] += 1
            self._sums[key] += seconds
            buckets = self._buckets[key]
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[index] += 1

    def render(self) -> str:
        pid = os.getpid()
        lines = [
            "# HELP llsd_hook_requests_total Hook requests handled, by hook and outcome.",
            "# TYPE llsd_hook_requests_total counter",
        ]
        with self._lock:
            keys = sorted(self._counts)
            for hook, outcome in keys:
                labels = f'hook="{hook}",outcome="{outcome}",pid="{pid}"'
                lines.append(f"llsd_hook_requests_total{{{labels}}} {self._counts[(hook, outcome)]}")
            lines += [
                "# HELP llsd_hook_request_duration_seconds Time to answer a hook request.",
                "# TYPE llsd_hook_request_duration_seconds histogram",
            ]
            for hook, outcome in keys:
                labels = f'hook="{hook}",outcome="{outcome}",pid="{pid}"'
                for bound, count in zip(BUCKETS, self._buckets[(hook, outcome)], strict=True):
                    lines.append(f'llsd_hook_request_duration_seconds_bucket{{{labels},le="{bound}"}} {count}')
                total = self._counts[(hook, outcome)]
                lines.append(f'llsd_hook_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total}')
                lines.append(f"llsd_hook_request_duration_seconds_sum{{{labels}}} {self._sums[(hook, outcome)]:.6f}")
                lines.append(f"llsd_hook_request_duration_seconds_count{{{labels}}} {total}")
        return "\n".join(lines) + "\n"
