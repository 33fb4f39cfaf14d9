"""`llsd-hook serve` with several workers (a real gunicorn on 127.0.0.1): one /metrics scrape
accounts for every worker, a worker that exits keeps its counts, and a deep queue is shed with
429 + Retry-After (what Metacontroller requeues after, without backoff) instead of a timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.support.hook_server import HookServer
from tests.support.metacontroller import sync_request
from tests.support.prometheus import sample_sum
from tests.support.workload import scaled_cr

pytestmark = pytest.mark.slow  # real gunicorn workers, queues and timeouts


def _body(index: int = 0, count: int = 2) -> bytes:
    parent, related = scaled_cr(count)
    parent["spec"]["server"]["providers"]["inference"][0]["endpoint"] = f"http://vllm-{index}.models.svc:8000/v1"
    return json.dumps(sync_request(parent, related)).encode()


def _post(server: HookServer, body: bytes) -> http.client.HTTPResponse:
    conn = server.connection(timeout=60)
    conn.request("POST", "/sync", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _scrape(server: HookServer) -> str:
    conn = server.connection(timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return text


def _syncs_by_worker(directory: Path) -> dict[int, float]:
    """What each worker's own counter file holds: proof of which workers served."""
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, sample, labels, *_ = json.loads(key)
            if sample == "llsd_hook_requests_total" and labels.get("hook") == "sync":
                counts[pid] = counts.get(pid, 0) + value
    return counts


def test_one_scrape_counts_every_worker_and_a_dead_workers_counts_stay(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"stale file of an earlier run")  # must be emptied at start
    with HookServer(workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}) as server:
        body, sent = _body(), 0
        # a new connection per request: the workers compete for each; go on until both served
        while sent < 400 and (sent < 40 or len(_syncs_by_worker(directory)) < 2):
            assert _post(server, body).status == 200
            sent += 1
        by_worker = _syncs_by_worker(directory)
        assert len(by_worker) == 2, f"one worker took all {sent} requests"
        assert all(by_worker.values()), f"one worker took all {sent} requests"
        assert set(by_worker) == set(server.worker_pids())

        text = _scrape(server)
        assert sample_sum(text, "llsd_hook_requests_total", hook="sync", code="200") == sent
        assert sample_sum(text, "llsd_hook_request_duration_seconds_count", hook="sync") == sent
        assert sample_sum(text, "llsd_hook_workers") == 2

        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGTERM)  # gunicorn replaces it; child_exit marks it dead
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pids = server.worker_pids()
            if len(pids) == 2 and victim not in pids and sample_sum(_scrape(server), "llsd_hook_workers") == 2:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the worker was not replaced")
        text = _scrape(server)
        assert sample_sum(text, "llsd_hook_requests_total", hook="sync", code="200") == sent, "its counts stay"
        assert sample_sum(text, "llsd_hook_workers") == 2, "the dead worker no longer counts as running"


def test_a_deep_queue_is_answered_429_with_retry_after_not_left_to_time_out():
    """One worker with one thread, told to shed any wait over 0.25 s: a burst of 24 slow syncs
    (each spec new, 200 providers) queues up behind the first; once the queue holds more than
    0.25 s of work, the requests still waiting are answered 429 at once."""
    env = {"LLSD_MAX_QUEUE_SECONDS": "0.25", "LLSD_ANSWER_CACHE_SECONDS": "0"}
    with HookServer(workers=1, threads=1, env=env) as server:
        for index in range(3):  # one at a time nothing waits: every request is answered
            assert _post(server, _body(index, 200)).status == 200

        connections = []
        for index in range(24):  # all sent before any is answered
            conn = server.connection(timeout=60)
            conn.request("POST", "/sync", body=_body(100 + index, 200), headers={"Content-Type": "application/json"})
            connections.append(conn)
        answers = []
        for conn in connections:
            response = conn.getresponse()
            answers.append((response.status, response.getheader("Retry-After"), response.read()))
            conn.close()

        statuses = [status for status, _, _ in answers]
        assert set(statuses) <= {200, 429}, statuses
        assert 200 in statuses, statuses
        assert 429 in statuses, statuses
        for status, retry_after, payload in answers:
            if status == 429:
                assert retry_after is not None
                assert int(retry_after) >= 1
                assert "overloaded" in json.loads(payload)["error"]
        assert _post(server, _body(999, 200)).status == 200, "the queue drained: answered again"
        text = _scrape(server)
        assert sample_sum(text, "llsd_hook_requests_total", outcome="overloaded", code="429") == statuses.count(429)
