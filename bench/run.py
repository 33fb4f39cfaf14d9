"""`make bench`: the hook under gunicorn, driven by wrk from a separate process, vs. the floor.

For each workload a realistic v2 sync request is POSTed by 8 concurrent connections for a fixed
time; the table gives syncs/s, p50/p90/p99 latency, errors, peak RSS per worker and the ratio to
the framework floor (a trivial Flask endpoint answering a body of the same size, same gunicorn
settings, same run). The full sample's two shapes are measured twice, floor and hook in turn, and
the best of each counts; a run in which one worker got every connection is repeated
(`balanced_run`). Each row also gives the workers' CPU time per sync, the steadiest figure on a
shared machine. Also a single-process microbenchmark of `generate()` per call, and a plot.
Loopback only; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.live import live_template
from tests.support.metacontroller import sync_request
from tests.support.net import free_port
from tests.support.paths import ROOT, load_sample
from tests.support.workload import scaled_cr

VENV_BIN = Path(sys.executable).parent
GUNICORN_OPTIONS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30"]
SCALE_SERIES = (1, 10, 50, 200)
COUNTS = {f"scale-{count}": count for count in SCALE_SERIES}
WARMUP_SECONDS = 2
SHAPES = ("resync", "live")
FLOOR_CASE = "example-with-providers"  # the full sample: what the targets are measured on
RESYNC_SECONDS = 60  # Metacontroller's resyncPeriodSeconds in metacontroller/compositecontroller.yaml
# Entries per worker of the answer cache (hooks/answers.py) and the build memo (hooks/built.py)
MEMO_ENTRIES = 256
HEADROOM = 0.5  # a replica planned to run at half its measured capacity
OVERLOAD_CONNECTIONS = 128
# A run in which a worker used less than this share of the busiest worker's CPU is repeated
# (balanced_run), at most ATTEMPTS times; the full sample's shapes are measured ROUNDS times,
# floor and hook in turn, and the best round of each counts.
BALANCED = 0.25
ATTEMPTS = 4
ROUNDS = 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RESULTS = ROOT / "bench-results"
PLOT = ROOT / "docs" / "bench.png"


@dataclass(frozen=True)
class Workload:
    resync: bytes  # one body, sent again and again
    live: bytes  # a template: every @RV@ becomes a fresh number in each request (load.lua)
    count: int  # providers and models


class Server:
    """A gunicorn master on 127.0.0.1 serving `app`; stopped on exit."""

    def __init__(self, app: str, env: dict[str, str] | None = None, hook: bool = False) -> None:
        """`hook`: with the hook's gunicorn settings (hooks/gunicorn_conf.py), as `llsd-hook serve`."""
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                *GUNICORN_OPTIONS,
                *(["--config", "python:hooks.gunicorn_conf"] if hook else []),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn for {app} did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sync"

    def _workers(self) -> list[str]:
        return Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()

    def worker_cpu_seconds(self) -> list[float]:
        """CPU time (user + system) each worker has used so far."""
        used = []
        for pid in self._workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used.append((int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
        return used

    def worker_peak_rss_mb(self) -> list[float]:
        peaks = []
        for pid in self._workers():
            match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return peaks

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wrk(url: str, body: bytes, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as body_file:
        body_file.write(body)
        body_file.flush()
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "5s",
                "-s",
                str(ROOT / "bench" / "load.lua"),
                url,
            ],
            env={**os.environ, "BODY_FILE": body_file.name},
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        )
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["syncs_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def balanced_run(server: Server, body: bytes, connections: int, seconds: int) -> dict[str, Any]:
    """A wrk run (after a warm-up) in which both workers took a share of the load.

    wrk opens its connections once, and which worker accepts each is a race: now and then one
    worker takes every connection and the run measures one core, not the server (seen here as a
    worker with 0.0 s of CPU and half the throughput, for the floor and the hook alike). Such a
    run is repeated, with fresh connections, up to `ATTEMPTS` times; the result says how many it
    took and each worker's CPU seconds. `cpu_us_per_sync` is the workers' CPU time per request:
    the cost of a sync, whatever else the machine is doing."""
    wrk(server.url, body, WARMUP_SECONDS, connections)
    result: dict[str, Any] = {}
    for attempt in range(1, ATTEMPTS + 1):
        before = server.worker_cpu_seconds()
        result = wrk(server.url, body, seconds, connections)
        used = [after - start for start, after in zip(before, server.worker_cpu_seconds(), strict=True)]
        result.update(worker_cpu_s=used, attempts=attempt, cpu_us_per_sync=sum(used) / result["requests"] * 1e6)
        if min(used) >= BALANCED * max(used):
            break
    return result


def hook_response(request: dict[str, Any]) -> dict[str, Any]:
    from hooks.app import create_app

    response = create_app().test_client().post("/sync", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def steady_state_request(parent: dict[str, Any], objects: list[dict[str, Any]]) -> bytes:
    """The resync shape: the request Metacontroller sends once the hook's children exist (they come
    back observed), byte-identical every time while nothing changes."""
    first = hook_response(sync_request(parent, objects, []))
    return json.dumps(sync_request(parent, objects, first["children"])).encode()


def live_request(parent: dict[str, Any], objects: list[dict[str, Any]], cold: bool = False) -> bytes:
    """The live shape (bench/live.py): every request different, as stored objects carry them;
    `cold`: the spec too."""
    return live_template(parent, objects, hook_response(sync_request(parent, objects, [])), cold)


def workloads() -> dict[str, Workload]:
    """name -> both shapes of one LLSD."""
    cases = {name: load_sample(name) for name in ("example-minimal-inference", "example-with-providers")}
    cases.update({f"scale-{count}": scaled_cr(count) for count in SCALE_SERIES})
    return {
        name: Workload(steady_state_request(parent, objects), live_request(parent, objects), COUNTS.get(name, 0))
        for name, (parent, objects) in cases.items()
    }


def _best_of_3(call: Callable[[], object], iterations: int) -> float:
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(iterations):
            call()
        rounds.append((time.perf_counter() - start) / iterations * 1e6)
    return min(rounds)


def generate_microbench(iterations: int) -> dict[str, dict[str, float]]:
    """Microseconds per `generate()` call in this process, best of 3 rounds: cold (the per-process
    memo cleared before each call: a spec seen for the first time) and memoised (a resync)."""
    from generator import generate, pipeline

    def cold(parent: dict[str, Any]) -> None:
        pipeline.parse_spec.cache_clear()
        pipeline._generate_memoised.cache_clear()
        generate(parent)

    timings = {}
    cases = {"example-with-providers": load_sample("example-with-providers")[0]}
    cases.update({f"scale-{n}": scaled_cr(n)[0] for n in SCALE_SERIES})
    for name, parent in cases.items():
        generate(parent)  # base configs and catalog parsed once, as in a long-running worker
        timings[name] = {
            "cold_us": _best_of_3(lambda parent=parent: cold(parent), max(iterations // 10, 5)),
            "memo_us": _best_of_3(lambda parent=parent: generate(parent), iterations),
        }
    return timings


def plot(rows: dict[str, dict[str, dict[str, Any]]], floors: dict[str, dict[str, Any]], micro: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = list(SCALE_SERIES)
    fig, (left, right, cost) = plt.subplots(1, 3, figsize=(15, 4))
    for shape, colour in zip(SHAPES, ("tab:blue", "tab:orange"), strict=True):
        series = [rows[shape][f"scale-{n}"] for n in counts]
        left.plot(counts, [r["p99_us"] / 1000 for r in series], "o-", color=colour, label=f"{shape} p99")
        left.axhline(floors[shape]["p99_us"] / 1000, color=colour, linestyle="--", label=f"floor {shape} p99")
        right.plot(counts, [r["syncs_per_s"] for r in series], "o-", color=colour, label=f"hook, {shape}")
        right.axhline(floors[shape]["syncs_per_s"], color=colour, linestyle="--", label=f"floor, {shape}")
    left.set(xscale="log", xlabel="providers and models", ylabel="latency (ms)", title="Sync latency (p99)")
    left.legend(fontsize="small")
    right.set(xscale="log", xlabel="providers and models", ylabel="syncs/s", title="Throughput (8 clients, 2 workers)")
    right.legend(fontsize="small")
    cost.plot(counts, [micro[f"scale-{n}"]["cold_us"] / 1000 for n in counts], "o-", label="new spec (cold)")
    cost.plot(counts, [micro[f"scale-{n}"]["memo_us"] / 1000 for n in counts], "o-", label="same spec (memo)")
    cost.set(
        xscale="log", yscale="log", xlabel="providers and models", ylabel="ms per call", title="generate(), one process"
    )
    cost.legend()
    fig.tight_layout()
    PLOT.parent.mkdir(exist_ok=True)
    fig.savefig(PLOT, dpi=100)


def _row(name: str, row: dict[str, Any], floor: dict[str, Any] | None) -> str:
    ratio = (
        f"{floor['syncs_per_s'] / row['syncs_per_s']:15.2f} {row['p99_us'] / floor['p99_us']:14.2f} "
        f"{row['cpu_us_per_sync'] / floor['cpu_us_per_sync']:14.2f}"
        if floor
        else ""
    )
    return (
        f"{name:44} {row['syncs_per_s']:9.0f} {row['p50_us'] / 1000:8.2f} {row['p90_us'] / 1000:8.2f} "
        f"{row['p99_us'] / 1000:8.2f} {row['errors']:7d} {row['non2xx']:7d} {row['cpu_us_per_sync']:8.0f} {ratio}"
    )


def measure(args: argparse.Namespace, bodies: dict[str, Workload]) -> dict[str, Any]:
    """Hook and floor run side by side (both idle unless measured), so the ratios of the full
    sample compare runs seconds apart: floor, hook, per shape; then the scale series."""
    answer_bytes = len(json.dumps(hook_response(json.loads(bodies[FLOOR_CASE].resync))))
    rows: dict[str, dict[str, dict[str, Any]]] = {shape: {} for shape in SHAPES}
    floors: dict[str, dict[str, Any]] = {}

    def run(server: Server, body: bytes, connections: int = args.connections, seconds: int = args.seconds) -> Any:
        return balanced_run(server, body, connections, seconds)

    def best(results: list[dict[str, Any]]) -> dict[str, Any]:
        return max(results, key=lambda result: result["syncs_per_s"])

    with (
        Server("hooks.app:create_app()", hook=True) as hook,
        Server("bench.floor_app:create_app()", {"FLOOR_RESPONSE_BYTES": str(answer_bytes)}) as floor,
    ):
        for shape in SHAPES:
            body = getattr(bodies[FLOOR_CASE], shape)
            turns = [(run(floor, body), run(hook, body)) for _ in range(ROUNDS)]
            floors[shape] = best([floor_result for floor_result, _ in turns])
            rows[shape][FLOOR_CASE] = best([hook_result for _, hook_result in turns])
        cold = run(hook, live_request(*load_sample(FLOOR_CASE), cold=True))
        for shape in SHAPES:
            for name, work in bodies.items():
                if name != FLOOR_CASE:
                    rows[shape][name] = run(hook, getattr(work, shape))
        hook_rss, floor_rss = hook.worker_peak_rss_mb(), floor.worker_peak_rss_mb()
    overload = {}
    # 1 s, not the default 5 s: with 128 connections the queue holds a second or two of work here
    for label, limit in (("429 after 1 s in the queue", "1"), ("no shedding", "1000000")):
        with Server("hooks.app:create_app()", {"LLSD_MAX_QUEUE_SECONDS": limit}, hook=True) as hook:
            # long enough for wrk's 5 s timeout to show: without shedding, waits grow past it
            overload[label] = run(hook, bodies["scale-200"].live, OVERLOAD_CONNECTIONS, max(args.seconds, 10))
    return {
        "rows": rows,
        "floors": floors,
        "overload": overload,
        "hook_rss_mb": hook_rss,
        "floor_rss_mb": floor_rss,
        "cold": cold,
        # LLSDs per replica at a 60 s resync, at HEADROOM of the measured rate: while a worker's
        # instances fit its memos (live), and beyond (every sync computed from the spec up: cold)
        "capacity": {
            "memoised": HEADROOM * rows["live"][FLOOR_CASE]["syncs_per_s"] * RESYNC_SECONDS,
            "cold": HEADROOM * cold["syncs_per_s"] * RESYNC_SECONDS,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="load time per workload")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=200, help="generate() calls per round")
    args = parser.parse_args()

    results = measure(args, workloads())
    rows, floors = results["rows"], results["floors"]
    micro = generate_microbench(args.iterations)

    columns = f"{'syncs/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7} {'non2xx':>7} {'cpu us':>8}"
    print(f"\n{'workload':44} {columns} {'x floor (tput)':>15} {'x floor (p99)':>14} {'x floor (cpu)':>14}")
    for shape in SHAPES:
        print(_row(f"floor (trivial Flask), {shape}", floors[shape], None))
        for name, row in rows[shape].items():
            print(_row(f"{name}, {shape}", row, floors[shape] if name == FLOOR_CASE else None))
    print(f"\noverload: scale-200 live, {OVERLOAD_CONNECTIONS} connections (non2xx are 429 + Retry-After):")
    for label, row in results["overload"].items():
        print(_row(label, row, None))
    print(_row(f"{FLOOR_CASE}, cold (spec new in every request)", results["cold"], None))
    capacity = results["capacity"]
    print(
        f"\ncapacity of one hook replica (2 workers) at a {RESYNC_SECONDS} s resync, running at "
        f"{HEADROOM:.0%} of the measured rate: {capacity['memoised']:,.0f} LLSDs while each worker's "
        f"instances fit its memos ({MEMO_ENTRIES} entries: live shape), {capacity['cold']:,.0f} when "
        f"every sync is computed from the spec up (cold)"
    )
    print(
        f"\npeak RSS per worker (MB): hook {', '.join(f'{r:.0f}' for r in results['hook_rss_mb'])}; "
        f"floor {', '.join(f'{r:.0f}' for r in results['floor_rss_mb'])}"
    )
    print("\ngenerate() per call, single process (cold: a new spec; memo: a resync of the same spec):")
    for name, micros in micro.items():
        print(f"  {name:26} cold {micros['cold_us'] / 1000:7.3f} ms   memo {micros['memo_us'] / 1000:7.3f} ms")

    RESULTS.mkdir(exist_ok=True)
    results.update(generate_us=micro, settings=vars(args), gunicorn=GUNICORN_OPTIONS)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    plot(rows, floors, micro)
    print(f"\nwrote {RESULTS / 'latest.json'} and {PLOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
