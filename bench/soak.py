"""`make soak`: a bounded soak of `llsd-hook serve` (gunicorn, 2 workers) on loopback.

Several client processes send a mix of requests over keep-alive connections for `--seconds`
(default 600): steady-state syncs of every sample, first syncs, syncs of specs never seen before
(so the per-process caches churn), invalid specs, missing Secrets, malformed bodies and customize
calls. Every answer is checked against the status its kind must get (200, or 400 for a malformed
body). The report gives requests, counts by status, 5xx, connection errors, unexpected answers,
worker restarts, the hook's error log lines, and the RSS of each worker (from /proc) at start,
middle and end, with a verdict on whether memory stayed flat. Exits 1 if anything went wrong.

    python -m bench.soak [--seconds 600] [--clients 4] [--workers 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import base64
import collections
import copy
import http.client
import json
import logging
import multiprocessing
import random
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.hook_server import HookServer
from tests.support.paths import load_sample, sample_names

WARMUP_FRACTION = 0.05
# Memory is flat when a worker grows by at most this much from the middle to the end of the run.
FLAT_MIB, FLAT_FRACTION = 4.0, 0.05


# ---- the request mix ------------------------------------------------------------------------------

UNIQUE = "__SOAK_UNIQUE__"


def _sync_request(parent: dict[str, Any], related: list[dict[str, Any]], children=()) -> dict[str, Any]:
    from tests.support.metacontroller import sync_request

    return sync_request(parent, related, list(children))


def _samples() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return [load_sample(name) for name in sample_names()]


def _secret(name: str, namespace: str, keys: list[str]) -> dict[str, Any]:
    value = base64.b64encode(b"soak-secret-value").decode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": dict.fromkeys(keys, value)}  # fmt: skip


MINIMAL = {
    "apiVersion": "llamastack.io/v1alpha1",
    "kind": "LlamaStackDistribution",
    "metadata": {"name": "soak", "namespace": "soak"},
    "spec": {
        "server": {
            "distribution": {"name": "starter"},
            "providers": {
                "inference": {
                    "provider": "vllm",
                    "endpoint": "http://vllm:8000/v1",
                    "apiKey": {"secretKeyRef": {"name": "vllm-creds", "key": "token"}},
                }
            },
            "resources": {"models": [UNIQUE]},
        }
    },
}


def request_mix() -> list[tuple[str, str, bytes, int, float]]:
    """(kind, path, body, expected status, weight); a body holding UNIQUE gets a fresh token each time."""
    from hooks.app import create_app
    from hooks.logs import logger
    from hooks.settings import Settings

    log = logger()  # the answers fed back are computed here: keep their log lines out of the report
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        return _request_mix(create_app(Settings()).test_client())
    finally:
        log.setLevel(level)


def _request_mix(client: Any) -> list[tuple[str, str, bytes, int, float]]:
    mix: list[tuple[str, str, bytes, int, float]] = []

    def add(kind: str, path: str, body: Any, expected: int, weight: float) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        mix.append((kind, path, data, expected, weight))

    samples = _samples()
    for parent, related in samples:
        first = _sync_request(parent, related)
        answer = client.post("/sync", json=first).get_json()
        add("valid_first_sync", "/sync", first, 200, 1)
        add("valid_steady", "/sync", _sync_request(parent, related, answer["children"]), 200, 3)
        add("missing_secrets", "/sync", _sync_request(parent, [d for d in related if d["kind"] != "Secret"]), 200, 1)
        add("customize", "/customize", {"controller": {}, "parent": parent}, 200, 1)
    unique_related = [_secret("vllm-creds", "soak", ["token"])]
    add("valid_unique_spec", "/sync", _sync_request(MINIMAL, unique_related), 200, len(samples) * 1.5)
    invalid = {
        "duplicate_provider_ids": lambda s: s["server"]["providers"].update(
            inference=[s["server"]["providers"]["inference"]] * 2
        ),
        "unknown_distribution": lambda s: s["server"].update(distribution={"name": "nope"}),
        "port_out_of_range": lambda s: s["server"].update(port=80),
        "wrong_types": lambda s: s.update(replicas="three", server={"providers": []}),
        "unknown_field": lambda s: s["server"].update(provider={"inference": {}}),
    }
    parent, related = samples[0]
    answer = client.post("/sync", json=_sync_request(parent, related)).get_json()
    for name, change in invalid.items():
        broken = copy.deepcopy(parent)
        change(broken["spec"])
        add(f"invalid_spec:{name}", "/sync", _sync_request(broken, related, answer["children"]), 200, 2)
    for name, body in {
        "not_json": b"this is not json",
        "truncated": json.dumps(_sync_request(parent, related)).encode()[:500],
        "array": b"[]",
        "no_parent_name": b'{"parent": {"metadata": {}}}',
        "children_list": b'{"parent": {"metadata": {"name": "x"}}, "children": []}',
        "empty": b"",
    }.items():
        add(f"malformed:{name}", "/sync", body, 400, 1)
    return mix


# ---- clients -------------------------------------------------------------------------------------


def _client(index: int, port: int, scheme: str, cafile: str | None, seconds: float, mix: list) -> dict[str, Any]:
    """One keep-alive connection sending random requests from the mix until the deadline."""
    rng = random.Random(index)
    weights = [m[4] for m in mix]
    statuses: collections.Counter = collections.Counter()
    unexpected: collections.Counter = collections.Counter()
    errors: list[str] = []
    latencies: list[float] = []
    conn = None
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        kind, path, body, expected, _ = rng.choices(mix, weights)[0]
        if UNIQUE.encode() in body:
            body = body.replace(UNIQUE.encode(), f"model-{index}-{sent}".encode())
        sent += 1
        try:
            if conn is None:
                if scheme == "https":
                    context = ssl.create_default_context(cafile=cafile)
                    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            latencies.append(time.perf_counter() - started)
        except (OSError, http.client.HTTPException) as err:
            errors.append(f"{kind}: {type(err).__name__}: {err}")
            if conn is not None:
                conn.close()
            conn = None
            continue
        statuses[response.status] += 1
        if response.status != expected:
            unexpected[f"{kind} -> {response.status}"] += 1
        elif expected == 200:
            answer = json.loads(payload)
            if path == "/sync" and not isinstance(answer.get("children"), list):
                unexpected[f"{kind} -> 200 without children"] += 1
    if conn is not None:
        conn.close()
    latencies.sort()
    return {
        "statuses": dict(statuses),
        "unexpected": dict(unexpected),
        "errors": errors[:20],
        "error_count": len(errors),
        "latency_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
        "latency_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2) if latencies else None,
        "latency_max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
    }


def _sample_rss(server: HookServer, timeline: list[dict[str, Any]], stop: threading.Event, every: float) -> None:
    started = time.monotonic()
    while True:
        pids = server.worker_pids()
        timeline.append(
            {"t": round(time.monotonic() - started, 1), "rss_mib": {pid: server.rss_mib(pid) for pid in pids}}
        )
        if stop.wait(every):
            return


def _at(timeline: list[dict[str, Any]], t: float) -> dict[str, Any]:
    return min(timeline, key=lambda sample: abs(sample["t"] - t))


def run(seconds: float = 600, clients: int = 4, workers: int = 2) -> dict[str, Any]:
    mix = request_mix()
    with HookServer(workers=workers) as server:
        pids_before = server.worker_pids()
        timeline: list[dict[str, Any]] = []
        stop = threading.Event()
        sampler = threading.Thread(
            target=_sample_rss, args=(server, timeline, stop, max(0.5, min(10.0, seconds / 60))), daemon=True
        )
        sampler.start()
        started = time.monotonic()
        context = multiprocessing.get_context("spawn")
        with context.Pool(clients) as pool:
            results = pool.starmap(
                _client, [(i, server.port, server.scheme, server.cafile, seconds, mix) for i in range(clients)]
            )
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join(timeout=15)
        pids_after = server.worker_pids()
        exit_code = server.stop()
    statuses: collections.Counter = collections.Counter()
    unexpected: collections.Counter = collections.Counter()
    for result in results:
        statuses.update(result["statuses"])
        unexpected.update(result["unexpected"])
    total = sum(statuses.values())
    start, middle, end = (_at(timeline, elapsed * f) for f in (WARMUP_FRACTION, 0.5, 1.0))
    rss = {
        str(pid): {
            "start": start["rss_mib"].get(pid),
            "middle": middle["rss_mib"].get(pid),
            "end": end["rss_mib"].get(pid),
        }
        for pid in pids_before
    }
    growth = {
        pid: (r["end"] - r["middle"]) if r["end"] is not None and r["middle"] is not None else None
        for pid, r in rss.items()
    }
    flat = all(g is not None and g <= max(FLAT_MIB, FLAT_FRACTION * rss[pid]["middle"]) for pid, g in growth.items())
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "workers": workers,
        "requests": total + sum(r["error_count"] for r in results),
        "answered": total,
        "requests_per_second": round(total / elapsed, 1) if elapsed else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "status_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "connection_errors": sum(r["error_count"] for r in results),
        "connection_error_samples": [e for r in results for e in r["errors"]][:10],
        "unexpected": dict(unexpected),
        "worker_pids": {"before": pids_before, "after": pids_after},
        "worker_restarts": len(set(pids_before) ^ set(pids_after)),
        "server_exit_code": exit_code,
        "server_log_lines": server.log_lines,
        "server_log_problems": server.log_problems[:20],
        "latency_p50_ms": max((r["latency_p50_ms"] or 0) for r in results),
        "latency_p99_ms": max((r["latency_p99_ms"] or 0) for r in results),
        "latency_max_ms": max((r["latency_max_ms"] or 0) for r in results),
        "rss_mib": rss,
        "rss_growth_middle_to_end_mib": {pid: round(g, 2) if g is not None else None for pid, g in growth.items()},
        "memory_flat": flat,
        "rss_timeline": timeline,
    }


def passed(report: dict[str, Any]) -> bool:
    return (
        report["status_5xx"] == 0
        and report["connection_errors"] == 0
        and not report["unexpected"]
        and report["worker_restarts"] == 0
        and not report["server_log_problems"]
        and report["server_exit_code"] == 0
    )


def print_report(report: dict[str, Any]) -> None:
    print(f"soak: {report['seconds']} s, {report['clients']} client processes, {report['workers']} workers")
    print(f"  requests            {report['requests']} ({report['requests_per_second']}/s)")
    print(f"  by status           {report['statuses']}")
    print(f"  5xx                 {report['status_5xx']}")
    print(f"  connection errors   {report['connection_errors']} {report['connection_error_samples']}")
    print(f"  unexpected answers  {report['unexpected'] or 0}")
    print(f"  worker restarts     {report['worker_restarts']}  (pids {report['worker_pids']})")
    print(f"  hook log            {report['server_log_lines']} lines, problems: {report['server_log_problems'] or 0}")
    print(
        f"  latency ms          p50 {report['latency_p50_ms']}  p99 {report['latency_p99_ms']}  "
        f"max {report['latency_max_ms']}"
    )
    for pid, rss in report["rss_mib"].items():
        row = "  ".join(f"{k} {v:.1f}" if v is not None else f"{k} -" for k, v in rss.items())
        print(f"  worker {pid:>7} RSS MiB  {row}  (middle->end {report['rss_growth_middle_to_end_mib'][pid]:+})")
    verdict = "flat" if report["memory_flat"] else "GROWING"
    print(f"  memory              {verdict} (limit: +{FLAT_MIB} MiB or +{FLAT_FRACTION:.0%} from middle to end)")
    print(f"  verdict             {'PASS' if passed(report) else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="how long to run (default 600)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--json", help="also write the whole report (with the RSS timeline) here")
    args = parser.parse_args(argv)
    report = run(args.seconds, args.clients, args.workers)
    print_report(report)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if passed(report) else 1


if __name__ == "__main__":
    sys.exit(main())
