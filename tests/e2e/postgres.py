"""A real, throwaway PostgreSQL server for the E2E suite (postgres storage, pgvector).

Why real: llama-stack's kv_postgres/sql_postgres backends create their tables at startup and
exit when they cannot connect, so only a real server shows that the generated config, the
connection-string shim and the Secret fit together.

How: the Debian binaries (``/usr/lib/postgresql/<v>/bin``) run ``initdb`` in a fresh temp dir and
``pg_ctl start`` on 127.0.0.1 with a free port; the unix socket lives in the same temp dir. initdb
refuses to run as root, so when we are root every server command runs as the ``postgres`` OS user
(``runuser``/``su``) and the temp dir is chowned to it. Local socket connections are ``trust``
(the harness's admin path), TCP connections need a password (scram-sha-256), so a client that
reaches the server over TCP proves the password works. fsync is off: test data only.

``CREATE EXTENSION vector`` is tried in every database we create; ``has_pgvector`` says whether
it worked (Debian 12 does not package pgvector, so it may be False).

Teardown (``stop``) always runs: ``pg_ctl stop -m fast``, then ``-m immediate``, then SIGKILL to
the postmaster pid we started, then the temp dir is removed.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.net import free_port

PG_OS_USER = "postgres"
START_TIMEOUT = 60


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine: tests that need one skip with this reason."""


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/<v>/bin with initdb and pg_ctl, or `pg_config --bindir`."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file() and (bindir / "psql").is_file():
            return bindir
    raise PostgresUnavailable(
        "no PostgreSQL binaries (initdb, pg_ctl, psql) in /usr/lib/postgresql/*/bin or pg_config --bindir; "
        "install the Debian package `postgresql` (`.ci/run` does)"
    )


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    user: str = "llsd"
    password: str = field(default_factory=lambda: secrets.token_hex(12))  # no URL-special characters
    database: str = "llamastack"
    host: str = "127.0.0.1"
    has_pgvector: bool = False
    pgvector_reason: str = ""
    _as_pg_user: bool = False

    # -- connection details -------------------------------------------------------------------
    def dsn(self, database: str | None = None) -> str:
        """postgresql://user:password@127.0.0.1:port/db: the shape a connection-string Secret holds."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database or self.database}"

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    # -- commands -----------------------------------------------------------------------------
    def _cmd(self, args: list[str]) -> list[str]:
        if not self._as_pg_user:
            return args
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if runuser:
            return [runuser, "-u", PG_OS_USER, "--", *args]
        su = shutil.which("su") or "/bin/su"
        return [su, PG_OS_USER, "-s", "/bin/sh", "-c", shlex.join(args)]

    def _run(self, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{self.bindir}:/usr/bin:/bin", "LANG": "C.UTF-8", "PGCONNECT_TIMEOUT": "10"}
        return subprocess.run(self._cmd(args), capture_output=True, text=True, timeout=timeout, env=env, cwd=self.root)

    def psql(self, sql: str, database: str | None = None, check: bool = True) -> str:
        """Run SQL as the superuser over the unix socket; returns unaligned, tuples-only output."""
        out = self._run(
            [
                str(self.bindir / "psql"),
                "-h", str(self.socket_dir), "-p", str(self.port), "-U", PG_OS_USER,
                "-d", database or self.database, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql,
            ],
            timeout=30,
        )  # fmt: skip
        if check and out.returncode != 0:
            raise RuntimeError(f"psql failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout.strip()

    def tables(self, database: str | None = None) -> set[str]:
        """Names of the tables in the public schema: what llama-stack created."""
        rows = self.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database)
        return {r for r in rows.splitlines() if r}

    def create_database(self, name: str) -> str:
        """A fresh database owned by the test user (pgvector enabled when available); returns its DSN."""
        self.psql(f'CREATE DATABASE "{name}" OWNER "{self.user}"', database="postgres")
        self._enable_pgvector(name)
        return self.dsn(name)

    def _enable_pgvector(self, database: str) -> None:
        available = self.psql("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'", database)
        if available != "1":
            self.has_pgvector = False
            self.pgvector_reason = "the pgvector extension is not installed (Debian: postgresql-<v>-pgvector)"
            return
        out = self._run(
            [str(self.bindir / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", PG_OS_USER,
             "-d", database, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-c", "CREATE EXTENSION IF NOT EXISTS vector"],
            timeout=30,
        )  # fmt: skip
        self.has_pgvector = out.returncode == 0
        self.pgvector_reason = "" if self.has_pgvector else f"CREATE EXTENSION vector failed: {out.stderr.strip()}"

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._as_pg_user = os.geteuid() == 0
        if self._as_pg_user:
            pw = pwd.getpwnam(PG_OS_USER)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        init = self._run(
            [str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", PG_OS_USER, "-E", "UTF8", "--no-locale",
             "--auth-local=trust", "--auth-host=scram-sha-256"],
            timeout=120,
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()[-2000:]}")
        options = " ".join(
            [
                f"-c port={self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.socket_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",  # llama-stack pools: up to 30 per sql backend per process
            ]
        )
        started = self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.root / "server.log"),
             "-w", "-t", str(START_TIMEOUT), "-o", options, "start"],
            timeout=START_TIMEOUT + 15,
        )  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}\n{self.server_log()[-3000:]}")
        # The test role and database; the password is passed as SQL, never on a log line.
        self.psql(f"CREATE ROLE \"{self.user}\" LOGIN PASSWORD '{self.password}'", database="postgres")
        self.psql(f'CREATE DATABASE "{self.database}" OWNER "{self.user}"', database="postgres")
        self._enable_pgvector(self.database)

    def server_log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the server by every means needed, then delete its files. Never raises."""
        try:
            if self.datadir.exists():
                pg_ctl = str(self.bindir / "pg_ctl")
                for mode in ("fast", "immediate"):
                    try:
                        out = self._run([pg_ctl, "-D", str(self.datadir), "-m", mode, "-w", "-t", "20", "stop"], 30)
                    except subprocess.TimeoutExpired:
                        continue
                    if out.returncode == 0 or self._postmaster_pid() is None:
                        break
                pid = self._postmaster_pid()
                if pid is not None:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)  # the postmaster this fixture started
                    time.sleep(0.5)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def postgres_server(attempts: int = 3) -> Iterator[PostgresServer]:
    """Start a PostgreSQL server; raises PostgresUnavailable when no binaries exist.

    A free port can be taken by someone else between our probe and the server's bind (other
    test runs share the machine), so a failed start is retried on a new port.
    """
    bindir = find_bindir()
    last: Exception | None = None
    for _ in range(attempts):
        server = PostgresServer(bindir=bindir, root=Path(tempfile.mkdtemp(prefix="llsd-e2e-pg-")), port=free_port())
        try:
            server.start()
        except Exception as exc:
            last = exc
            server.stop()
            continue
        try:
            yield server
        finally:
            server.stop()
        return
    raise RuntimeError(f"PostgreSQL did not start after {attempts} attempts: {last}")
