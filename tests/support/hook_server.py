"""`llsd-hook serve` (a real gunicorn master) on 127.0.0.1, for tests and the soak benchmark.

The hook's log (JSON lines on stderr) is read by a thread, so a fault or a worker crash shows in
the caller's report or assertion.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.net import free_port
from tests.support.paths import ROOT


class HookServer:
    """`llsd-hook serve` on 127.0.0.1 (a real gunicorn master); always stopped on exit.

    The hook's log (JSON lines on stderr) is read by a thread: lines are counted and every line
    that is not an info line is kept, so a hook fault or a worker crash shows in the report.
    """

    def __init__(
        self,
        workers: int = 2,
        env: dict[str, str] | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        start_timeout: float = 60.0,
        threads: int | None = None,
    ) -> None:
        self.port = free_port()
        self.scheme = "https" if certfile else "http"
        self.cafile = certfile
        argv = [sys.executable, "-m", "hooks.cli", "serve", "--bind", f"127.0.0.1:{self.port}"]
        argv += ["--workers", str(workers)]
        if threads is not None:
            argv += ["--threads", str(threads)]
        if certfile and keyfile:
            argv += ["--certfile", certfile, "--keyfile", keyfile]
        self.log_lines = 0
        self.log_problems: list[str] = []
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        try:
            self._wait_ready(workers, start_timeout)
        except BaseException:
            self.stop()
            raise

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.log_lines += 1
            line = raw.decode("utf-8", "replace").rstrip()
            if '"level": "info"' in line or "[INFO]" in line:
                continue
            if len(self.log_problems) < 100:
                self.log_problems.append(line)

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        if self.scheme == "https":
            context = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def _wait_ready(self, workers: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llsd-hook serve exited with {self.process.returncode}: {self.log_problems}")
            try:
                conn = self.connection(timeout=2)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok and len(self.worker_pids()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("llsd-hook serve did not become ready")

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            return sorted(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        except OSError:
            return []

    @staticmethod
    def rss_mib(pid: int) -> float | None:
        try:
            match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        except OSError:
            return None
        return int(match.group(1)) / 1024 if match else None

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> int:
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        return self.process.returncode

    def __enter__(self) -> HookServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
