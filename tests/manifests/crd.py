"""Helpers to use the CRD like the API server: its schema as JSON Schema, its CEL rules by path."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from fractions import Fraction
from functools import cache
from typing import Any

import celpy
import jsonschema
import yaml

from tests.support.paths import ROOT, load_sample, sample_names

CRD_PATH = ROOT / "manifests" / "crd" / "llamastackdistributions.yaml"


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
    """Sample name -> its LlamaStackDistribution."""
    return {name: load_sample(name)[0] for name in sample_names()}


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


# --- OGXServer: rules sit on nested objects and list items, and defaults apply first --------------

OGX_CRD_PATH = ROOT / "manifests" / "crd" / "ogxservers.yaml"
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def _quantity(text: Any) -> Any:
    """Kubernetes' CEL `quantity()` (the apiserver's library), which cel-python does not have."""
    match = _QUANTITY.match(str(text))
    if match is None:
        return celpy.CELEvalError(f"invalid quantity {text!r}")
    number, suffix = Fraction(match["number"]), match["suffix"]
    if suffix in _BINARY:
        value = number * _BINARY[suffix]
    elif suffix[:1] in ("e", "E"):
        value = number * Fraction(10) ** int(suffix[1:])
    else:
        value = number * Fraction(10) ** _DECIMAL[suffix]
    return celpy.celtypes.DoubleType(float(value))


def _is_greater_than(left: Any, right: Any) -> Any:
    return celpy.celtypes.BoolType(left > right)


K8S_FUNCTIONS = {"quantity": _quantity, "isGreaterThan": _is_greater_than}


def load_ogx_crd() -> dict[str, Any]:
    return yaml.safe_load(OGX_CRD_PATH.read_text())


@cache
def ogx_open_api_schema() -> dict[str, Any]:
    """Parsed once per test session: the CRD is large; callers must not change it."""
    return load_ogx_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


@cache
def _ogx_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(to_json_schema(ogx_open_api_schema()))


def with_defaults(schema: dict[str, Any], value: Any) -> Any:
    """The object as the API server stores it: structural defaults filled in, recursively."""
    if isinstance(value, dict) and "properties" in schema:
        result = dict(value)
        for name, child in schema["properties"].items():
            if name not in result and "default" in child:
                result[name] = copy.deepcopy(child["default"])
            if name in result:
                result[name] = with_defaults(child, result[name])
        return result
    if isinstance(value, list) and "items" in schema:
        return [with_defaults(schema["items"], item) for item in value]
    return value


def _evaluate_k8s(rule: str, value: Any) -> bool:
    key = "k8s:" + rule
    if key not in _PROGRAMS:
        _PROGRAMS[key] = _ENV.program(_ENV.compile(rule), functions=K8S_FUNCTIONS)
    result = _PROGRAMS[key].evaluate({"self": celpy.json_to_cel(value)})
    if isinstance(result, Exception):
        raise result
    return bool(result)


def cel_violations(schema: dict[str, Any], value: Any) -> list[str]:
    """Messages of every rule `value` breaks, at every node where a value is present (object
    properties, list items, map values), evaluated on the defaulted object as the API server does."""
    broken = [
        rule["message"]
        for rule in schema.get("x-kubernetes-validations") or []
        if not _evaluate_k8s(rule["rule"], value)
    ]
    if isinstance(value, dict):
        for name, child in (schema.get("properties") or {}).items():
            if name in value:
                broken += cel_violations(child, value[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for item in value.values():
                broken += cel_violations(extra, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            broken += cel_violations(schema["items"], item)
    return broken


def ogx_admission_errors(cr: dict[str, Any]) -> list[str]:
    """What `kubectl apply` of an OGXServer would be told: schema errors, then CEL messages."""
    schema = ogx_open_api_schema()
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in _ogx_validator().iter_errors(cr)]
    return errors + cel_violations(schema, with_defaults(schema, cr))
