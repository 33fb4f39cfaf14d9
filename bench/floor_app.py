"""The framework floor: a Flask app that answers every POST with a fixed body of a given size.

Served through the same gunicorn settings as the hook, it measures what HTTP, JSON parsing of the
request and the framework cost, so the hook's figures can be read as a ratio to it.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask("llsd-floor")
    body = "x" * int(os.environ.get("FLOOR_RESPONSE_BYTES", "1024"))
    payload = json.dumps({"status": {}, "children": [], "padding": body})

    @app.post("/sync")
    def sync() -> Response:
        request.get_json(force=True)  # parse the request, as the hook must
        return Response(payload, mimetype="application/json")

    return app
