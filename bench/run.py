"""`make bench`: the hook under gunicorn, driven by wrk from a separate process, vs. the floor.

For each workload a realistic v2 sync request is POSTed by 8 concurrent connections for a fixed
time; the table gives syncs/s, p50/p90/p99 latency, errors, peak RSS per worker and the ratio to
the framework floor (a trivial Flask endpoint answering a body of the same size, same gunicorn
settings, same run). Also a single-process microbenchmark of `generate()` per call, and a plot.
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
from pathlib import Path
from typing import Any

from tests.support.metacontroller import sync_request
from tests.support.net import free_port
from tests.support.paths import ROOT, load_sample
from tests.support.workload import scaled_cr

VENV_BIN = Path(sys.executable).parent
GUNICORN_OPTIONS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30"]
SCALE_SERIES = (1, 10, 50, 200)
WARMUP_SECONDS = 2
UNCACHED = ("example-with-providers", "scale-200")
RESULTS = ROOT / "bench-results"
PLOT = ROOT / "docs" / "bench.png"


class Server:
    """A gunicorn master on 127.0.0.1 serving `app`; stopped on exit."""

    def __init__(self, app: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                *GUNICORN_OPTIONS,
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

    def worker_peak_rss_mb(self) -> list[float]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        peaks = []
        for pid in children:
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


def hook_response(request: dict[str, Any]) -> dict[str, Any]:
    from hooks.app import create_app

    response = create_app().test_client().post("/sync", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def steady_state_request(parent: dict[str, Any], objects: list[dict[str, Any]]) -> bytes:
    """The request Metacontroller sends once the hook's children exist: they come back observed."""
    first = hook_response(sync_request(parent, objects, []))
    return json.dumps(sync_request(parent, objects, first["children"])).encode()


def workloads() -> dict[str, tuple[bytes, int]]:
    """name -> (request body, number of providers and models)."""
    found = {}
    for name in ("example-minimal-inference", "example-with-providers"):
        parent, objects = load_sample(name)
        found[name] = (steady_state_request(parent, objects), 0)
    for count in SCALE_SERIES:
        parent, objects = scaled_cr(count)
        found[f"scale-{count}"] = (steady_state_request(parent, objects), count)
    return found


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


def plot(rows: dict[str, dict[str, Any]], floor: dict[str, Any], micro: dict[str, dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = list(SCALE_SERIES)
    series = [rows[f"scale-{n}"] for n in counts]
    fig, (left, right, cost) = plt.subplots(1, 3, figsize=(15, 4))
    left.plot(counts, [r["p99_us"] / 1000 for r in series], "o-", label="p99")
    left.plot(counts, [r["p50_us"] / 1000 for r in series], "o-", label="p50")
    left.axhline(floor["p99_us"] / 1000, color="grey", linestyle="--", label="floor p99")
    left.set(xscale="log", xlabel="providers and models", ylabel="latency (ms)", title="Sync latency")
    left.legend()
    right.plot(counts, [r["syncs_per_s"] for r in series], "o-", label="hook")
    right.axhline(floor["syncs_per_s"], color="grey", linestyle="--", label="floor")
    right.set(xscale="log", xlabel="providers and models", ylabel="syncs/s", title="Throughput (8 clients)")
    right.legend()
    cost.plot(counts, [micro[f"scale-{n}"]["cold_us"] / 1000 for n in counts], "o-", label="new spec (cold)")
    cost.plot(counts, [micro[f"scale-{n}"]["memo_us"] / 1000 for n in counts], "o-", label="resync (memo)")
    cost.set(
        xscale="log", yscale="log", xlabel="providers and models", ylabel="ms per call", title="generate(), one process"
    )
    cost.legend()
    fig.tight_layout()
    PLOT.parent.mkdir(exist_ok=True)
    fig.savefig(PLOT, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="load time per workload")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=200, help="generate() calls per round")
    args = parser.parse_args()

    bodies = workloads()
    rows: dict[str, dict[str, Any]] = {}
    with Server("hooks.app:create_app()") as hook:
        for name, (body, _count) in bodies.items():
            wrk(hook.url, body, WARMUP_SECONDS, args.connections)  # fill both workers' caches first
            rows[name] = wrk(hook.url, body, args.seconds, args.connections)
        hook_rss = hook.worker_peak_rss_mb()
    # The answer cache serves byte-identical resyncs; a changed spec or state is computed in full.
    with Server("hooks.app:create_app()", {"LLSD_ANSWER_CACHE_SECONDS": "0"}) as uncached:
        for name in UNCACHED:
            body = bodies[name][0]
            wrk(uncached.url, body, WARMUP_SECONDS, args.connections)
            rows[f"{name} (no answer cache)"] = wrk(uncached.url, body, args.seconds, args.connections)
    full_response = hook_response(json.loads(bodies["example-with-providers"][0]))
    floor_env = {"FLOOR_RESPONSE_BYTES": str(len(json.dumps(full_response)))}
    with Server("bench.floor_app:create_app()", floor_env) as floor_server:
        wrk(floor_server.url, bodies["example-with-providers"][0], WARMUP_SECONDS, args.connections)
        floor = wrk(floor_server.url, bodies["example-with-providers"][0], args.seconds, args.connections)
        floor_rss = floor_server.worker_peak_rss_mb()
    micro = generate_microbench(args.iterations)

    print(
        f"\n{'workload':38} {'syncs/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'x floor (tput)':>15} {'x floor (p99)':>14}"
    )
    for name, row in [*rows.items(), ("floor (trivial Flask)", floor)]:
        print(
            f"{name:38} {row['syncs_per_s']:9.0f} {row['p50_us'] / 1000:8.2f} {row['p90_us'] / 1000:8.2f} "
            f"{row['p99_us'] / 1000:8.2f} {row['errors'] + row['non2xx']:7d} "
            f"{floor['syncs_per_s'] / row['syncs_per_s']:15.2f} {row['p99_us'] / floor['p99_us']:14.2f}"
        )
    print(
        f"\npeak RSS per worker (MB): hook {', '.join(f'{r:.0f}' for r in hook_rss)}; "
        f"floor {', '.join(f'{r:.0f}' for r in floor_rss)}"
    )
    print("\ngenerate() per call, single process (cold: a new spec; memo: a resync of the same spec):")
    for name, micros in micro.items():
        print(f"  {name:26} cold {micros['cold_us'] / 1000:7.3f} ms   memo {micros['memo_us'] / 1000:7.3f} ms")

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "floor": floor,
                "hook_rss_mb": hook_rss,
                "floor_rss_mb": floor_rss,
                "generate_us": micro,
                "settings": vars(args),
                "gunicorn": GUNICORN_OPTIONS,
            },
            indent=2,
        )
    )
    plot(rows, floor, micro)
    print(f"\nwrote {RESULTS / 'latest.json'} and {PLOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
