"""Structured JSON log lines: one per request (request id, parent, outcome, duration).

A request that ended well (a 200 or 304 with outcome `ok`) is logged at debug level, every other
one at info (error for a 5xx): a live cluster syncs each instance after every status write, and a
line for each of those would bury the few that say something went wrong (`LLSD_LOG_LEVEL=debug`
shows them all; `llsd_hook_requests_total` counts them all). Only identifiers and outcomes are
logged, never request bodies: related Secrets travel in them.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "llsd_hook"


# One encoder for every line (json.dumps with arguments builds a new one per call).
ENCODER = json.JSONEncoder(sort_keys=True)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # what datetime's isoformat(timespec="milliseconds") gives in UTC, at a third of its cost
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry: dict[str, Any] = {
            "ts": f"{seconds}.{int(record.msecs):03d}+00:00",
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = f"{record.exc_info[0].__name__}"
        return ENCODER.encode(entry)


def logger(level: str | None = None) -> logging.Logger:
    """The hook's logger, with JSON lines on stderr; `level` (debug, info, ...) sets its level."""
    log = logging.getLogger(LOGGER_NAME)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    if level is not None:
        log.setLevel(level.upper())
    return log


def request_level(code: int, outcome: str) -> int:
    """The level of a request's line (module doc): quiet when it ended well."""
    if code >= 500:
        return logging.ERROR
    return logging.DEBUG if code in (200, 304) and outcome == "ok" else logging.INFO


def emit(log: logging.Logger, level: int, message: str, fields: dict[str, Any]) -> None:
    """`log.log(level, message, extra={"fields": fields})` without the stack walk that finds the
    caller (once per request; these lines carry no source location)."""
    if log.isEnabledFor(level):
        log.handle(log.makeRecord(log.name, level, __file__, 0, message, (), None, extra={"fields": fields}))
