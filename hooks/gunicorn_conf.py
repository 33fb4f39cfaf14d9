"""gunicorn settings hooks for `llsd-hook serve` (loaded with `--config python:hooks.gunicorn_conf`).

- Metrics in multiprocess mode (hooks/metrics.py): the master picks `PROMETHEUS_MULTIPROC_DIR`
  (a fresh temporary directory unless set) and empties it before any worker starts, as
  prometheus-client requires; a worker that exits is marked dead, so its live gauges go and its
  counts stay. prometheus-client is imported only after the variable is set: it chooses its
  value store when first imported, and forked workers inherit that choice.
- Overload (hooks/overload.py): each worker attaches its thread pool's queue once it runs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hooks.settings import MULTIPROC_ENV


def on_starting(server: Any) -> None:
    directory = Path(os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="llsd-hook-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # counts of an earlier run must not be added to ours
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)


def post_worker_init(worker: Any) -> None:
    from hooks.metrics import worker_started
    from hooks.overload import OVERLOAD

    OVERLOAD.attach(worker)
    worker_started()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
