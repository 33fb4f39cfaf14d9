"""The hook's own settings, from the environment (the container) or the CLI."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata

from hooks.exposure import Exposure

# The uid (and gid, fsGroup) of every generated pod: see hooks/children/restricted.py for why.
DEFAULT_RUN_AS_USER = 1001

# prometheus-client's multiprocess directory (hooks/metrics.py, hooks/gunicorn_conf.py).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _utc_now() -> str:
    """The time for condition timestamps, to the second (formatted once per second)."""
    return _format_second(int(time.time()))


@lru_cache(maxsize=4)
def _format_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def operator_version() -> str:
    try:
        return metadata.version("llsd-hook")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+source"


def _flag(env: dict[str, str], name: str, default: bool = False) -> bool:
    value = (env.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be true or false, not {value!r}")


LOG_LEVELS = ("debug", "info", "warning", "error")


def _log_level(env: dict[str, str]) -> str:
    value = (env.get("LLSD_LOG_LEVEL") or "info").strip().lower()
    if value not in LOG_LEVELS:
        raise ValueError(f"LLSD_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return value


def _uid(env: dict[str, str], name: str) -> int | None:
    """A non-zero uid, `none` (leave it to the platform), or unset (the default)."""
    value = (env.get(name) or "").strip().lower()
    if not value:
        return DEFAULT_RUN_AS_USER
    if value == "none":
        return None
    if not value.isdigit() or int(value) == 0:
        raise ValueError(f"{name} must be a non-zero uid or 'none', not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    """`image_overrides` maps a distribution name to an image (upstream's image-overrides).

    `bearer_token`: when set, /sync and /customize require `Authorization: Bearer <token>`
    (Metacontroller v4.16+ `webhook.authorization`; compared as hooks/auth.py says).
    `max_queue_seconds`: a request that waited longer than this for a thread is answered 429
    with Retry-After (hooks/overload.py). `clock` gives condition timestamps; tests fix it so
    golden files are stable.
    """

    image_overrides: dict[str, str] = field(default_factory=dict)
    bearer_token: str | None = None
    # A sync request carries the parent, every child and the related objects: a 1 MiB user config
    # or CA bundle can appear in it three times, so leave room well above the 1 MiB object limit.
    max_body_bytes: int = 16 * 1024 * 1024
    resync_seconds: float = 10.0
    answer_cache_seconds: float = 60.0  # identical request bodies answered from cache (0: off)
    # Air-gapped clusters: every llama-stack pod gets the model hubs' offline switches, so the
    # default embedding/reranker models load from the cache on the volume instead of a download.
    model_hub_offline: bool = False
    max_queue_seconds: float = 5.0  # half of Metacontroller's default 10 s webhook timeout
    # Tenant isolation (docs/security.md): a userConfig / CA bundle ConfigMap in another namespace
    # is read only when it opts in with an annotation, unless this allows every such reference.
    allow_cross_namespace_refs: bool = False
    # every instance gets a NetworkPolicy admitting its own namespace (off: only with allowedFrom)
    default_network_policy: bool = True
    # uid/gid of every generated pod (Pod Security "restricted"); None: the platform assigns one
    run_as_user: int | None = DEFAULT_RUN_AS_USER
    exposure: Exposure = field(default_factory=Exposure)  # exposeRoute's Ingress: LLSD_INGRESS_*
    operator_version: str = field(default_factory=operator_version)
    # info: a line per request that did not end well (a spec problem, 4xx, 5xx); debug: every request
    log_level: str = "info"
    clock: Callable[[], str] = _utc_now

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """LLSD_IMAGE_OVERRIDES (JSON object), LLSD_AUTH_TOKEN or LLSD_AUTH_TOKEN_FILE,
        LLSD_MAX_BODY_BYTES, LLSD_RESYNC_SECONDS, LLSD_ANSWER_CACHE_SECONDS, LLSD_MODEL_HUB_OFFLINE,
        LLSD_MAX_QUEUE_SECONDS, LLSD_ALLOW_CROSS_NAMESPACE_REFS, LLSD_LOG_LEVEL, LLSD_INGRESS_*
        (hooks.exposure).

        The token is trimmed (a Secret or file written with a trailing newline), as Metacontroller
        trims the value it sends."""
        env = dict(os.environ if env is None else env)
        overrides = json.loads(env.get("LLSD_IMAGE_OVERRIDES") or "{}")
        if not isinstance(overrides, dict) or not all(isinstance(v, str) for v in overrides.values()):
            raise ValueError("LLSD_IMAGE_OVERRIDES must be a JSON object of distribution name -> image")
        token = (env.get("LLSD_AUTH_TOKEN") or "").strip() or None
        if not token and env.get("LLSD_AUTH_TOKEN_FILE"):
            with open(env["LLSD_AUTH_TOKEN_FILE"], encoding="utf-8") as handle:
                token = handle.read().strip() or None
        return cls(
            image_overrides=overrides,
            bearer_token=token,
            max_body_bytes=int(env.get("LLSD_MAX_BODY_BYTES") or cls.max_body_bytes),
            resync_seconds=float(env.get("LLSD_RESYNC_SECONDS") or 10.0),
            answer_cache_seconds=float(env.get("LLSD_ANSWER_CACHE_SECONDS") or cls.answer_cache_seconds),
            model_hub_offline=_flag(env, "LLSD_MODEL_HUB_OFFLINE"),
            max_queue_seconds=float(env.get("LLSD_MAX_QUEUE_SECONDS") or cls.max_queue_seconds),
            allow_cross_namespace_refs=_flag(env, "LLSD_ALLOW_CROSS_NAMESPACE_REFS"),
            run_as_user=_uid(env, "LLSD_RUN_AS_USER"),
            default_network_policy=_flag(env, "LLSD_DEFAULT_NETWORK_POLICY", default=True),
            exposure=Exposure.from_env(env),
            log_level=_log_level(env),
        )
