"""A 20-second version of `make soak`: real gunicorn, several client processes, mixed requests.

Asserts what must hold whatever the machine's speed: no 5xx, no dropped connection, every
answer the status its request must get, no worker restart, no error in the hook's log.
No timing or memory assertion here (CI machines are noisy); `make soak` reports memory.
"""

from __future__ import annotations

import os

import pytest

from bench.soak import print_report, run

pytestmark = pytest.mark.slow  # a 20-second soak of real gunicorn workers

SECONDS = float(os.environ.get("LLSD_SOAK_SHORT_SECONDS", "20"))


def test_short_soak_has_no_5xx_and_no_connection_errors(capsys):
    report = run(seconds=SECONDS, clients=3, workers=2)
    with capsys.disabled():
        print()
        print_report(report)
    assert report["answered"] > 0
    assert report["status_5xx"] == 0
    assert report["connection_errors"] == 0, report["connection_error_samples"]
    assert report["unexpected"] == {}
    assert set(report["statuses"]) <= {"200", "400"}
    assert report["worker_restarts"] == 0
    assert report["server_log_problems"] == []
    assert report["server_exit_code"] == 0
