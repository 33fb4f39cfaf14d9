"""Generate manifests/crd/llamastackdistributions.yaml from the hook's own marshmallow schema.

One source of truth: the CRD's structural schema is a walk of `generator.schema.LLSDSpecSchema`,
so a field cannot be accepted by the API server and dropped by the hook (or the reverse). CEL
rules (admission-time checks with messages naming the field and the fix) come from RULES below.
Run `make crd`; `tests/manifests/test_crd.py` fails when the committed CRD is stale.

Provider fields accept a single object or a list, which a structural schema cannot say, so they
are `x-kubernetes-preserve-unknown-fields` without a type. The API server exposes no CEL type for
such a node (apiserver `SchemaDeclType` returns nil), so a CRD rule on it, or one reading it from
its parent, would make the CRD fail to install. Their admission checks live in a
ValidatingAdmissionPolicy instead (manifests/admission/), where the object is dynamic data.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from generated import write_or_check  # the sibling module: scripts run as files
from marshmallow import Schema, fields, validate

from generator.schema import IntOrPercent, LLSDSpecSchema, OneOrMany, StringOrObject

OUTPUT = Path(__file__).resolve().parent.parent / "manifests" / "crd" / "llamastackdistributions.yaml"
EXTERNAL_MAX_ITEMS = 32
LIST_MAX_ITEMS = 256
STRING_MAX = 4096


def _string_rules(field: fields.Field, schema: dict[str, Any]) -> None:
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            schema["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Regexp):
            schema["pattern"] = validator.regex.pattern
        elif isinstance(validator, validate.Length) and validator.min:
            schema["minLength"] = validator.min
    if "enum" not in schema:
        schema.setdefault("maxLength", STRING_MAX)


def _number_rules(field: fields.Field, schema: dict[str, Any]) -> None:
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max


def field_schema(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, OneOrMany | StringOrObject):
        return {"x-kubernetes-preserve-unknown-fields": True}
    if isinstance(field, IntOrPercent):
        return {"x-kubernetes-int-or-string": True}
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        schema = object_schema(nested)
    elif isinstance(field, fields.List):
        schema = {"type": "array", "items": field_schema(field.inner)}
        schema["maxItems"] = LIST_MAX_ITEMS
    elif isinstance(field, fields.Dict):
        values = field.value_field
        if isinstance(values, fields.Nested):
            schema = {"type": "object", "additionalProperties": field_schema(values)}
        else:  # free-form: Kubernetes types (resources, env, volumes) and provider `config`
            schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    elif isinstance(field, fields.Boolean):
        schema = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        schema = {"type": "integer"}
        _number_rules(field, schema)
    elif isinstance(field, fields.String):
        schema = {"type": "string"}
        _string_rules(field, schema)
    else:
        raise TypeError(f"no CRD mapping for {type(field).__name__}")
    default = field.load_default
    if default is not None and not callable(default) and default is not fields.missing_:
        schema["default"] = default
    return schema


def object_schema(schema_class: type[Schema]) -> dict[str, Any]:
    declared = schema_class._declared_fields
    properties = {name: field_schema(field) for name, field in declared.items()}
    result: dict[str, Any] = {"type": "object", "properties": properties}
    required = sorted(name for name, field in declared.items() if field.required)
    if required:
        result["required"] = required
    return result


RULES: dict[tuple[str, ...], list[dict[str, str]]] = {
    ("server",): [
        {
            "rule": "!(has(self.providers) && has(self.userConfig))",
            "message": "spec.server.providers and spec.server.userConfig are mutually exclusive; use one",
        },
    ],
    ("server", "distribution"): [
        {
            "rule": "has(self.name) != has(self.image)",
            "message": "spec.server.distribution: give exactly one of name (a registry distribution) or image",
        }
    ],
    ("server", "configStorage"): [
        {
            "rule": "!has(self.type) || self.type != 'postgres' || has(self.connectionString)",
            "message": "spec.server.configStorage.connectionString: required for postgres; reference a Secret key",
        }
    ],
    ("server", "serverTLS"): [
        {
            "rule": "!has(self.enabled) || !self.enabled || has(self.secretName)",
            "message": "spec.server.serverTLS.secretName: required when serverTLS is enabled",
        }
    ],
}


def _at(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for name in path:
        schema = schema["properties"][name]
    return schema


def spec_schema() -> dict[str, Any]:
    spec = object_schema(LLSDSpecSchema)
    for path, rules in RULES.items():
        _at(spec, path)["x-kubernetes-validations"] = rules
    env_from = _at(spec, ("server", "containerSpec", "envFrom"))
    env_from["x-kubernetes-validations"] = [
        {
            "rule": "self.all(e, has(e.secretRef) != has(e.configMapRef))",
            "message": "spec.server.containerSpec.envFrom: give exactly one of secretRef or configMapRef per entry",
        }
    ]
    external = _at(spec, ("server", "externalProviders"))
    for name, section in external["properties"].items():
        if section.get("type") == "array":
            section["maxItems"] = EXTERNAL_MAX_ITEMS
            section["x-kubernetes-validations"] = [
                {
                    "rule": "self.all(p, self.filter(q, q.providerId == p.providerId).size() == 1)",
                    "message": f"spec.server.externalProviders.{name}: providerId values must be unique",
                }
            ]
    return spec


CONDITION = {
    "type": "object",
    "required": ["type", "status"],
    "properties": {
        "type": {"type": "string"},
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "observedGeneration": {"type": "integer"},
    },
}
STATUS = {
    "type": "object",
    "properties": {
        "phase": {"type": "string", "enum": ["Pending", "Initializing", "Ready", "Failed"]},
        "observedGeneration": {"type": "integer"},
        "conditions": {
            "type": "array",
            "items": CONDITION,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
        "availableReplicas": {"type": "integer"},
        "serviceURL": {"type": "string"},
        "routeURL": {"type": "string"},
        "generatedConfigMap": {"type": "string"},
        "configGeneration": {
            "type": "object",
            "properties": {
                "configMapName": {"type": "string"},
                "providerCount": {"type": "integer"},
                "resourceCount": {"type": "integer"},
                "warnings": {"type": "array", "items": {"type": "string"}},
            },
        },
        "version": {
            "type": "object",
            "properties": {"operatorVersion": {"type": "string"}, "llamaStackServerVersion": {"type": "string"}},
        },
        "externalProviderStatus": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "providerId": {"type": "string"},
                    "image": {"type": "string"},
                    "phase": {"type": "string"},
                    "message": {"type": "string"},
                    "initContainerName": {"type": "string"},
                },
            },
        },
    },
}
COLUMNS = [
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
    {"name": "Providers", "type": "integer", "jsonPath": ".status.configGeneration.providerCount"},
    {"name": "Available", "type": "integer", "jsonPath": ".status.availableReplicas"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {"name": "Config", "type": "string", "jsonPath": ".status.generatedConfigMap", "priority": 1},
    {"name": "Server Version", "type": "string", "jsonPath": ".status.version.llamaStackServerVersion", "priority": 1},
]


def crd() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "llamastackdistributions.llamastack.io"},
        "spec": {
            "group": "llamastack.io",
            "names": {
                "kind": "LlamaStackDistribution",
                "listKind": "LlamaStackDistributionList",
                "plural": "llamastackdistributions",
                "singular": "llamastackdistribution",
                "shortNames": ["llsd"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": COLUMNS,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A llama-stack server; see the llsd-hook README for every field.",
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema(),
                                "status": STATUS,
                            },
                        }
                    },
                }
            ],
        },
    }


def render() -> str:
    header = "# Generated by scripts/generate_crd.py from generator/schema.py (make crd). Do not edit.\n"
    return header + yaml.safe_dump(crd(), sort_keys=False, width=120)


def main() -> int:
    return write_or_check(__doc__.splitlines()[0], lambda: {OUTPUT: render()}, "crd")


if __name__ == "__main__":
    sys.exit(main())
