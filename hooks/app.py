"""The Flask app Metacontroller calls (app factory; no request state outside the request).

POST /sync, POST /customize: Metacontroller v2 hooks. GET /healthz, /readyz: probes.
GET /metrics: Prometheus text. Every error answer is JSON and carries no stack trace.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from hooks.answers import AnswerCache, CachedAnswer
from hooks.customize import related_resources
from hooks.firewall import FirewallViolation
from hooks.logs import logger
from hooks.metrics import Metrics
from hooks.request import BadRequest, HookRequest, parse_body, parse_request
from hooks.settings import Settings
from hooks.sync import sync


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("llsd-hook")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    metrics = Metrics()
    answers = AnswerCache(settings.answer_cache_seconds)
    log = logger()

    def authorized() -> bool:
        if not settings.bearer_token:
            return True
        header = request.headers.get("Authorization", "")
        return hmac.compare_digest(header.encode(), f"Bearer {settings.bearer_token}".encode())

    def handle(hook: str, answer: Callable[[HookRequest], tuple[dict[str, Any], str]]) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        fields: dict[str, Any] = {"request_id": request_id, "hook": hook}
        status_code, outcome = 200, "ok"
        try:
            if not authorized():
                status_code, outcome = 401, "unauthorized"
                return _json({"error": "missing or wrong bearer token"}, 401)
            raw = request.get_data(cache=False)
            key = answers.key(hook, raw)
            cached = answers.get(key)
            if cached is not None:
                fields["parent"], outcome = cached.parent, cached.outcome
                return Response(cached.body, mimetype="application/json")
            try:
                hook_request = parse_request(parse_body(raw))
            except BadRequest as err:
                status_code, outcome = 400, "bad_request"
                return _json({"error": str(err), "request_id": request_id}, 400)
            fields["parent"] = f"{hook_request.namespace}/{hook_request.name}"
            try:
                payload, outcome = answer(hook_request)
            except FirewallViolation as err:  # never a 200: Metacontroller would apply it
                status_code, outcome = 500, "firewall_violation"
                fields["problems"] = err.problems  # kinds, namespaces, names: no data of any object
                message = "the answer would reach outside what this parent owns: " + str(err)
                return _json({"error": message, "request_id": request_id}, 500)
            except Exception:  # a fault of the hook: 5xx makes Metacontroller change nothing
                status_code, outcome = 500, "error"
                log.exception("hook fault", extra={"fields": fields})
                return _json({"error": "internal error in the hook; see its log", "request_id": request_id}, 500)
            response = _json(payload)
            answers.put(key, CachedAnswer(response.get_data(), outcome, fields["parent"]))
            return response
        except HTTPException as err:  # e.g. 413 from reading a body over the limit
            status_code, outcome = err.code or 500, "http_error"
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.observe(hook, outcome, seconds)
            fields.update(outcome=outcome, status=status_code, duration_ms=round(seconds * 1000, 3))
            log.log(logging.ERROR if status_code >= 500 else logging.INFO, "request", extra={"fields": fields})

    def answer_sync(hook_request: HookRequest) -> tuple[dict[str, Any], str]:
        result = sync(hook_request, settings)
        return result.response, result.outcome

    @app.post("/sync")
    def sync_route() -> Response:
        return handle("sync", answer_sync)

    @app.post("/customize")
    def customize_route() -> Response:
        return handle("customize", lambda hook_request: (related_resources(hook_request), "ok"))

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        return _json({"status": "ready"})

    @app.get("/metrics")
    def metrics_route() -> Response:
        return Response(metrics.render(), mimetype="text/plain; version=0.0.4")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        return _json({"error": err.description or err.name}, err.code or 500)

    return app
