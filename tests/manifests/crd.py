"""Helpers to use the CRD like the API server: its schema as JSON Schema, its CEL rules by path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import celpy
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD_PATH = ROOT / "manifests" / "crd" / "llamastackdistributions.yaml"
SAMPLES = ROOT / "manifests" / "samples"


def load_crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_PATH.read_text())


def open_api_schema() -> dict[str, Any]:
    return load_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def to_json_schema(schema: Any) -> Any:
    """OpenAPI v3 structural schema -> JSON Schema, with Kubernetes' extensions' meaning."""
    if not isinstance(schema, dict):
        return schema
    if schema.get("x-kubernetes-int-or-string"):
        return {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    result = {k: to_json_schema(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if "properties" in schema:
        result["properties"] = {k: to_json_schema(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            result["additionalProperties"] = False  # the API server prunes (and strict clients reject) unknowns
    if "items" in schema:
        result["items"] = to_json_schema(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        result["additionalProperties"] = to_json_schema(schema["additionalProperties"])
    return result


def rules(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, str]]]:
    """Every x-kubernetes-validations rule with the property path it applies to."""
    for rule in schema.get("x-kubernetes-validations") or []:
        yield path, rule
    for name, child in (schema.get("properties") or {}).items():
        yield from rules(child, (*path, name))


def value_at(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(obj, dict) or name not in obj:
            return None
        obj = obj[name]
    return obj


_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def evaluate(rule: str, value: Any) -> bool:
    if rule not in _PROGRAMS:
        _PROGRAMS[rule] = _ENV.program(_ENV.compile(rule))
    result = _PROGRAMS[rule].evaluate({"self": celpy.json_to_cel(value)})
    if isinstance(result, Exception):
        raise result
    return bool(result)


def violations(cr: dict[str, Any]) -> list[str]:
    """Messages of every rule the CR breaks, evaluated where the API server would (present fields)."""
    broken = []
    for path, rule in rules(open_api_schema()):
        value = value_at(cr, path)
        if value is not None and not evaluate(rule["rule"], value):
            broken.append(rule["message"])
    return broken


def samples() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(SAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "LlamaStackDistribution":
                found[path.stem] = doc
    return found


# --- The ValidatingAdmissionPolicy that holds the rules on spec.server.providers -----------------

POLICY_PATH = ROOT / "manifests" / "admission" / "provider-rules.yaml"


def load_policy_documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(POLICY_PATH.read_text()) if doc]


def load_policy() -> dict[str, Any]:
    return next(doc for doc in load_policy_documents() if doc["kind"] == "ValidatingAdmissionPolicy")


class PolicyError(AssertionError):
    """An expression failed at run time: with failurePolicy Fail the API server would refuse the
    CR with a CEL error instead of our message, so every input must evaluate cleanly."""


def _run(expression: str, activation: dict[str, Any]) -> Any:
    if expression not in _PROGRAMS:
        _PROGRAMS[expression] = _ENV.program(_ENV.compile(expression))
    result = _PROGRAMS[expression].evaluate(activation)
    if isinstance(result, Exception):
        raise PolicyError(f"{expression!r}: {result}")
    return result


def policy_messages(obj: dict[str, Any], policy: dict[str, Any] | None = None) -> list[str]:
    """Messages of the policy's failed validations for `obj`, evaluated as the API server does:
    variables in order (each sees the earlier ones as `variables.<name>`), then each validation,
    its messageExpression only when it fails."""
    spec = (policy or load_policy())["spec"]
    variables = celpy.celtypes.MapType({})
    activation: dict[str, Any] = {"object": celpy.json_to_cel(obj), "variables": variables}
    for variable in spec.get("variables", []):
        value = _run(variable["expression"], activation)
        variables = celpy.celtypes.MapType({**variables, celpy.celtypes.StringType(variable["name"]): value})
        activation["variables"] = variables
    messages = []
    for validation in spec["validations"]:
        passed = _run(validation["expression"], activation)
        if not isinstance(passed, celpy.celtypes.BoolType):
            raise PolicyError(f"{validation['expression']!r} gave {type(passed).__name__}, not bool")
        if passed:
            continue
        if "messageExpression" in validation:
            messages.append(str(_run(validation["messageExpression"], activation)))
        else:
            messages.append(validation["message"])
    return messages


def admission_violations(cr: dict[str, Any]) -> list[str]:
    """Everything `kubectl apply` would be told: the CRD's rules, then the policy's."""
    return violations(cr) + policy_messages(cr)


def kubernetes_version() -> str:
    """The newest Kubernetes whose schemas kubernetes-validate ships (1.37.0 with its 1.37 release)."""
    from kubernetes_validate.utils import latest_version

    return latest_version()
