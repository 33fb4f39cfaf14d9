"""POST /validate: a validating admission webhook (AdmissionReview v1) for both parent kinds.

The API server asks before it stores a LlamaStackDistribution or an OGXServer; the answer
refuses what the generator would refuse without API access (the spec, the catalog, the
distribution registry, the hook's image settings) and lists every problem with its field path,
so `kubectl apply` says at once what `/sync` would otherwise put in status later. Whatever the
generator warns about (GenerationResult.warnings: any step's, present or future) comes back as
admission `warnings`, which kubectl prints.

Not checked here, because they need the API server: Secrets and ConfigMaps the spec names,
and a `userConfig`/`overrideConfig`/`baseConfig` ConfigMap's content. DELETE and objects being
deleted are always allowed (a finalizer must be removable), and so is a kind the hook does not
serve (a misconfigured webhook must not block other objects).

The API server does not send Metacontroller's bearer token, so this route is outside the
token-checked blueprint; it reads nothing secret and changes nothing (`sideEffects: None`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from generator import Spec, SpecError, SpecProblem, distribution_image
from hooks import metrics
from hooks.kinds import Kind, kind_of
from hooks.logs import logger
from hooks.request import TOO_DEEP, BadRequest, parse_body, read_body
from hooks.settings import Settings

REVIEW_API_VERSION = "admission.k8s.io/v1"
# The API server keeps warnings short; each is capped, and so is their number.
MAX_WARNING_LENGTH = 512
MAX_WARNINGS = 20


@dataclass(frozen=True)
class Verdict:
    errors: list[SpecProblem] = field(default_factory=list)  # {"path", "message"}
    warnings: list[str] = field(default_factory=list)


def _image_problems(kind: Kind, spec: Spec, settings: Settings) -> list[SpecProblem]:
    """A registry distribution must have an image, published or given in the hook's settings."""
    try:
        distribution_image(spec.line, spec.distribution_name or "", settings.image_overrides)
    except LookupError as err:
        problem: SpecProblem = {"path": "spec.server.distribution.name", "message": str(err)}
        return list(kind.errors(SpecError([problem])).errors)  # in the kind's own field path
    return []


def _verdict(kind: Kind, obj: dict[str, Any], settings: Settings) -> Verdict:
    """The kind's own parse; then, for a registry distribution generating its config from the
    shipped base, the whole pipeline (its warnings too). A userConfig/overrideConfig or a
    baseConfig ConfigMap is read by /sync, which has it."""
    spec = kind.parse(obj)
    if spec.distribution_name is None:
        return Verdict()
    problems = _image_problems(kind, spec, settings)
    if spec.user_config is not None or (spec.ogx is not None and spec.ogx.base_config is not None):
        return Verdict(problems)
    return Verdict(problems, kind.generate(obj).warnings)


def judge(obj: Any, settings: Settings) -> Verdict:
    """Every problem of one object, as the generator sees it; kinds the hook does not serve pass."""
    if not isinstance(obj, dict):
        return Verdict([{"path": "", "message": "the object must be a JSON object"}])
    kind = kind_of(obj) if "apiVersion" in obj and "kind" in obj else None
    if kind is None:
        return Verdict()
    try:
        return _verdict(kind, obj, settings)
    except SpecError as err:
        return Verdict(list(err.errors))


def _warnings(items: list[str]) -> list[str]:
    capped = [w if len(w) <= MAX_WARNING_LENGTH else w[: MAX_WARNING_LENGTH - 3] + "..." for w in items]
    if len(capped) > MAX_WARNINGS:
        capped = [*capped[: MAX_WARNINGS - 1], f"... and {len(capped) - MAX_WARNINGS + 1} more warnings"]
    return capped


def review_response(review: Any, settings: Settings) -> dict[str, Any]:
    """The AdmissionReview answer to one AdmissionReview request (BadRequest if malformed)."""
    if not isinstance(review, dict) or review.get("apiVersion") != REVIEW_API_VERSION:
        raise BadRequest(f"expected an AdmissionReview of {REVIEW_API_VERSION}")
    req = review.get("request")
    if not isinstance(req, dict) or not isinstance(req.get("uid"), str):
        raise BadRequest("request.uid is required")
    response: dict[str, Any] = {"uid": req["uid"], "allowed": True}
    obj = req.get("object")
    deleting = isinstance(obj, dict) and (obj.get("metadata") or {}).get("deletionTimestamp")
    if req.get("operation") in ("CREATE", "UPDATE") and not deleting:
        verdict = judge(obj, settings)
        if verdict.errors:
            listed = "; ".join(f"{e['path']}: {e['message']}" if e["path"] else e["message"] for e in verdict.errors)
            response["allowed"] = False
            response["status"] = {
                "code": 422,
                "reason": "Invalid",
                "message": f"{len(verdict.errors)} problem(s): {listed}",
                "details": {
                    "causes": [
                        {"reason": "FieldValueInvalid", "field": e["path"], "message": e["message"]}
                        for e in verdict.errors
                    ]
                },
            }
        if verdict.warnings:
            response["warnings"] = _warnings(verdict.warnings)
    return {"apiVersion": REVIEW_API_VERSION, "kind": "AdmissionReview", "response": response}


def admission_routes(settings: Settings) -> Blueprint:
    routes = Blueprint("admission", __name__)
    log = logger()

    @routes.post("/validate")
    def validate() -> Response:
        started = time.perf_counter()
        code, outcome, fields = 200, "ok", dict[str, Any]()
        try:
            review = parse_body(read_body(request.environ, settings.max_body_bytes))
            answer = review_response(review, settings)
            response = answer["response"]
            outcome = "allowed" if response["allowed"] else "denied"
            req = review["request"]
            fields = {"uid": response["uid"], "parent": f"{req.get('namespace')}/{req.get('name')}"}
            return Response(json.dumps(answer, separators=(",", ":")), mimetype="application/json")
        except BadRequest as err:
            code, outcome = 400, "bad_request"
            return Response(json.dumps({"error": str(err)}), status=400, mimetype="application/json")
        except RecursionError:  # a value nested too deep to walk (hooks/request.py)
            code, outcome = 400, "bad_request"
            return Response(json.dumps({"error": TOO_DEEP}), status=400, mimetype="application/json")
        except HTTPException as err:  # e.g. 413 for an oversized body: the app answers it
            code, outcome = err.code or 500, "http_error"
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.observe("validate", outcome, code, seconds)
            fields |= {"hook": "validate", "outcome": outcome, "status": code, "duration_ms": round(seconds * 1000, 3)}
            log.log(logging.INFO, "request", extra={"fields": fields})

    return routes
