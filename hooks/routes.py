"""The hook endpoints, POST /sync and POST /customize, as a Flask blueprint.

Each request: the credential (hooks/auth.py), the overload check (hooks/overload.py), then the
answer: from the per-worker answer cache for a byte-identical request, else parsed and computed.
Every 200 carries an `ETag`; a matching `If-None-Match` gets `304` with no body. Each request is
counted and logged once with the status it really got (at debug level when it ended well:
hooks/logs.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from hooks import metrics
from hooks.answers import AnswerCache, CachedAnswer, etag, etag_matches
from hooks.auth import authorized, normalised_token
from hooks.built import dumps
from hooks.customize import related_resources
from hooks.firewall import FirewallViolation
from hooks.logs import emit, logger, request_level
from hooks.overload import OVERLOAD
from hooks.request import TOO_DEEP, BadRequest, HookRequest, parse_body, parse_request, read_body
from hooks.settings import Settings
from hooks.sync import sync

# An answer: its payload, its outcome, and its JSON when already serialised (else None).
Answer = Callable[[HookRequest], tuple[dict[str, Any], str, bytes | None]]
JSON = "application/json"


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status=status, mimetype=JSON, headers=headers)


def request_id() -> str:
    """16 hex digits, unique enough to find one request's log line."""
    return os.urandom(8).hex()


@dataclass
class Exchange:
    """What one request came to: logged and counted once, whichever way it ends."""

    hook: str
    code: int = 200
    outcome: str = "ok"
    fields: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def request_id(self) -> str:
        """Drawn when first needed (a log line, an error answer): most requests need none."""
        return request_id()


def hook_routes(settings: Settings) -> Blueprint:
    routes = Blueprint("hooks", __name__)
    answers = AnswerCache(settings.answer_cache_seconds)
    token = normalised_token(settings.bearer_token)
    log = logger(settings.log_level)

    def finish(exchange: Exchange, started: float) -> None:
        seconds = time.perf_counter() - started
        metrics.observe(exchange.hook, exchange.outcome, exchange.code, seconds)
        level = request_level(exchange.code, exchange.outcome)
        if log.isEnabledFor(level):
            fields = {"request_id": exchange.request_id, "hook": exchange.hook, **exchange.fields}
            fields.update(outcome=exchange.outcome, status=exchange.code, duration_ms=round(seconds * 1000, 3))
            emit(log, level, "request", fields)

    def compute(exchange: Exchange, raw: bytes, answer: Answer) -> CachedAnswer | Response:
        try:
            hook_request = parse_request(parse_body(raw))
        except BadRequest as err:
            exchange.code, exchange.outcome = 400, "bad_request"
            return json_response({"error": str(err), "request_id": exchange.request_id}, 400)
        exchange.fields["parent"] = f"{hook_request.namespace}/{hook_request.name}"
        try:
            payload, outcome, body = answer(hook_request)
            body = body or dumps(payload)
        except RecursionError:  # a value nested too deep to walk (hooks/request.py): the caller's error
            exchange.code, exchange.outcome = 400, "bad_request"
            return json_response({"error": TOO_DEEP, "request_id": exchange.request_id}, 400)
        except FirewallViolation as err:  # never a 200: Metacontroller would apply it
            exchange.code, exchange.outcome = 500, "firewall_violation"
            exchange.fields["problems"] = err.problems  # kinds, namespaces, names: no data of any object
            message = "the answer would reach outside what this parent owns: " + str(err)
            return json_response({"error": message, "request_id": exchange.request_id}, 500)
        except Exception:  # a fault of the hook: 5xx makes Metacontroller change nothing
            exchange.code, exchange.outcome = 500, "error"
            log.exception("hook fault", extra={"fields": {"request_id": exchange.request_id, **exchange.fields}})
            fault = {"error": "internal error in the hook; see its log", "request_id": exchange.request_id}
            return json_response(fault, 500)
        return CachedAnswer(body, outcome, exchange.fields["parent"], etag(body))

    def handle(hook: str, answer: Answer) -> Response:
        started = time.perf_counter()
        exchange = Exchange(hook)
        try:
            if not authorized(request.environ.get("HTTP_AUTHORIZATION"), token):
                exchange.code, exchange.outcome = 401, "unauthorized"
                return json_response({"error": "missing or wrong bearer token"}, 401)
            retry_after = OVERLOAD.retry_after(request.environ.get("gunicorn.socket"), settings.max_queue_seconds)
            if retry_after is not None:
                exchange.code, exchange.outcome = 429, "overloaded"
                message = {"error": "the hook is overloaded; Metacontroller retries after Retry-After seconds"}
                return json_response(message, 429, {"Retry-After": str(retry_after)})
            raw = read_body(request.environ, settings.max_body_bytes)
            key, cached = answers.lookup(hook, raw)
            if cached is None:
                computed = compute(exchange, raw, answer)
                if isinstance(computed, Response):
                    return computed
                cached = computed
                answers.put(key, raw, cached)
            exchange.outcome = cached.outcome
            exchange.fields["parent"] = cached.parent
            if etag_matches(request.environ.get("HTTP_IF_NONE_MATCH"), cached.etag):
                exchange.code = 304
                return Response(status=304, headers={"ETag": cached.etag})
            response = Response(cached.body, mimetype=JSON)
            response.headers.add("ETag", cached.etag)  # a third of the cost of a `headers=` argument
            return response
        except HTTPException as err:  # e.g. 413 from reading an oversized body: the app answers it
            exchange.code, exchange.outcome = err.code or 500, "http_error"
            raise
        finally:
            finish(exchange, started)

    def answer_sync(hook_request: HookRequest) -> tuple[dict[str, Any], str, bytes | None]:
        result = sync(hook_request, settings)
        return result.response, result.outcome, result.body

    @routes.post("/sync")
    def sync_route() -> Response:
        return handle("sync", answer_sync)

    @routes.post("/customize")
    def customize_route() -> Response:
        return handle("customize", lambda hook_request: (related_resources(hook_request), "ok", None))

    return routes
