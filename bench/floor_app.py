"""The framework floor: a Flask app that answers every POST with a fixed body of a given size.

Served through the same gunicorn settings as the hook, it measures what HTTP, parsing the request
and the framework cost, so the hook's figures can be read as a ratio to it. It parses with the
same JSON library as the hook (orjson, hooks/request.py): the ratio then measures the hook's
own work, not a difference of parsers.
"""

from __future__ import annotations

import json
import os

import orjson
from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask("llsd-floor")
    body = "x" * int(os.environ.get("FLOOR_RESPONSE_BYTES", "1024"))
    payload = json.dumps({"status": {}, "children": [], "padding": body})

    @app.post("/sync")
    def sync() -> Response:
        orjson.loads(request.get_data(cache=False))  # parse the request, as the hook must
        return Response(payload, mimetype="application/json")

    return app
