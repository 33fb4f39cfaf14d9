"""The Flask app Metacontroller calls (app factory; no request state outside the request).

POST /sync, POST /customize: Metacontroller v2 hooks (hooks/routes.py). POST /validate: the
admission webhook for both parent kinds (hooks/admission.py). GET /healthz, /readyz:
probes. GET /metrics: Prometheus text of every worker (hooks/metrics.py). Every error answer is
JSON and carries no stack trace.
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from hooks import metrics
from hooks.admission import admission_routes
from hooks.routes import hook_routes, json_response
from hooks.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("llsd-hook")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.register_blueprint(hook_routes(settings))
    app.register_blueprint(admission_routes(settings))

    @app.get("/healthz")
    def healthz() -> Response:
        return json_response({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        return json_response({"status": "ready"})

    @app.get("/metrics")
    def metrics_route() -> Response:
        return Response(metrics.render(), content_type=metrics.CONTENT_TYPE)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        return json_response({"error": err.description or err.name}, err.code or 500)

    return app
