"""Where the server keeps its state: SQLite files on the storage mount, or PostgreSQL.

llama-stack 0.7 and OGX 1.5 both have `storage.backends` (named kv_*/sql_* backends) and
`storage.stores`, and providers point at backends by name. They take no connection string, only
host/port/db/user/password, so for postgres the container starts through a short Python shim that splits
LLSD_STORAGE_CONNECTION_STRING into LLSD_STORAGE_PG_* variables and execs the server.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from generator import registry
from generator.catalog import load_data
from generator.layout import STORAGE_CONNECTION_ENV
from generator.lines import ServerLine
from generator.model import Draft
from generator.values import replace_in_strings

PG_ENV = "LLSD_STORAGE_PG_"
PG_SHIM_VARS = tuple(f"{PG_ENV}{name}" for name in ("HOST", "PORT", "DB", "USER", "PASSWORD"))
KV_POSTGRES = "kv_postgres"
SQL_POSTGRES = "sql_postgres"


def _pg_fields() -> dict[str, str]:
    def ref(name: str, default: str | None = None) -> str:
        suffix = "" if default is None else f":={default}"
        return "${env." + PG_ENV + name + suffix + "}"

    return {
        "host": ref("HOST"),
        "port": ref("PORT", "5432"),
        "db": ref("DB"),
        "user": ref("USER"),
        "password": ref("PASSWORD", ""),
    }


def _rename_backends(value: Any, renames: dict[str, str]) -> None:
    """Point every `backend: X` reference (stores and provider persistence) at its new backend."""
    if isinstance(value, dict):
        backend = value.get("backend")
        if isinstance(backend, str) and backend in renames:
            value["backend"] = renames[backend]
        for child in value.values():
            _rename_backends(child, renames)
    elif isinstance(value, list):
        for child in value:
            _rename_backends(child, renames)


@cache
def _store_defaults(line: ServerLine) -> dict[str, Any]:
    defaults: dict[str, Any] = load_data(line, "storage.yaml")["store_defaults"]
    return defaults


def _use_sqlite(storage: dict[str, Any], data_dir: str) -> None:
    """Backends of another kind (postgres-demo's) become SQLite files of the same name."""
    for name, backend in (storage.get("backends") or {}).items():
        kind = str(backend.get("type", ""))
        if kind not in ("kv_sqlite", "sql_sqlite"):
            sqlite = "kv_sqlite" if kind.startswith("kv_") else "sql_sqlite"
            storage["backends"][name] = {
                "type": sqlite,
                "db_path": "${env.SQLITE_STORE_DIR:=" + data_dir + "}/" + name + ".db",
            }


def _use_postgres(line: ServerLine, config: dict[str, Any], storage: dict[str, Any]) -> None:
    backends = storage.get("backends") or {}
    renames = {
        name: KV_POSTGRES if str(backend.get("type", "")).startswith("kv_") else SQL_POSTGRES
        for name, backend in backends.items()
    }
    # Stores a config leaves out default to kv_default/sql_default, which are about to go.
    stores = storage.setdefault("stores", {})
    for name, default in _store_defaults(line).items():
        stores.setdefault(name, dict(default))
    storage["backends"] = {
        KV_POSTGRES: {"type": "kv_postgres", **_pg_fields()},
        SQL_POSTGRES: {"type": "sql_postgres", **_pg_fields()},
    }
    _rename_backends(config, {**renames, "kv_default": KV_POSTGRES, "sql_default": SQL_POSTGRES})


def distro_dir(line: ServerLine, distribution_name: str | None) -> str:
    """Where the distribution keeps its files, before `storage` moves the line's state directory
    (`~/.llama`, `~/.ogx`) to the mount."""
    return f"{registry.home(line)}/distributions/{distribution_name or 'custom'}"


def apply_storage(draft: Draft) -> None:
    """Put the state under the storage mount; configStorage.type may switch every backend to
    SQLite files or to PostgreSQL. Without it the base's backends stay."""
    spec = draft.spec
    home = registry.home(spec.line)
    mount = spec.storage_mount_path.rstrip("/") or "/"
    draft.config = config = replace_in_strings(draft.config, home, mount)
    storage = config.setdefault("storage", {})
    kind = (spec.server.get("configStorage") or {}).get("type")
    if kind == "sqlite":
        _use_sqlite(storage, distro_dir(spec.line, spec.distribution_name).replace(home, mount))
    elif kind == "postgres":
        _use_postgres(spec.line, config, storage)


# It never prints the connection string: a malformed one is reported by its shape only.
_POSTGRES_SHIM = f"""\
import os, sys, urllib.parse
raw = os.environ.get("{STORAGE_CONNECTION_ENV}", "")
url = urllib.parse.urlsplit(raw)
if url.scheme not in ("postgres", "postgresql", "postgresql+asyncpg") or not url.hostname:
    sys.exit("{STORAGE_CONNECTION_ENV}: expected postgresql://user:password@host:port/database")
os.environ.update(
    {PG_ENV}HOST=url.hostname,
    {PG_ENV}PORT=str(url.port or 5432),
    {PG_ENV}DB=url.path.lstrip("/") or "llamastack",
    {PG_ENV}USER=urllib.parse.unquote(url.username or "postgres"),
    {PG_ENV}PASSWORD=urllib.parse.unquote(url.password or ""),
)
os.execvp("__SERVER__", ["__SERVER__", *sys.argv[1:]])
"""


def postgres_shim(line: ServerLine) -> str:
    """Runs as `python3 -c SHIM <run args...>` in the server container and execs the line's
    server command (`llama`, `ogx`) with those args."""
    return _POSTGRES_SHIM.replace("__SERVER__", line.run_command[0])
