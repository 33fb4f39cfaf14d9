"""Generate the CRDs in manifests/crd/ (LlamaStackDistribution, OGXServer) from the hook's own marshmallow schemas.

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
from generated import header, write_or_check  # the sibling module: scripts run as files
from marshmallow import Schema, fields, validate

from generator.ogxserver.common import NONEMPTY_RULE
from generator.ogxserver.schema import OGXServerSpecSchema
from generator.schema import IntOrPercent, LLSDSpecSchema, OneOrMany, StringOrObject

CRD_DIR = Path(__file__).resolve().parent.parent / "manifests" / "crd"
OUTPUT = CRD_DIR / "llamastackdistributions.yaml"
OGX_OUTPUT = CRD_DIR / "ogxservers.yaml"
EXTERNAL_MAX_ITEMS = 32
LIST_MAX_ITEMS = 256
STRING_MAX = 4096


def _string_rules(field: fields.Field, schema: dict[str, Any]) -> None:
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            schema["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Regexp):
            schema["pattern"] = validator.regex.pattern
        elif isinstance(validator, validate.Length):
            # An optional non-empty text says so in a CEL rule of its object (upstream's message).
            if validator.min and not field.metadata.get(NONEMPTY_RULE):
                schema["minLength"] = validator.min
            if validator.max:
                schema["maxLength"] = validator.max
    if "enum" not in schema:
        schema.setdefault("maxLength", STRING_MAX)


def _size_rules(field: fields.Field, schema: dict[str, Any], least: str, most: str) -> None:
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            if validator.min:
                schema[least] = validator.min
            if validator.max:
                schema[most] = validator.max


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
        _size_rules(field, schema, "minItems", "maxItems")
    elif isinstance(field, fields.Dict):
        values = field.value_field
        if isinstance(values, fields.Nested | fields.String):
            schema = {"type": "object", "additionalProperties": field_schema(values)}
            _size_rules(field, schema, "minProperties", "maxProperties")
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
    rules = [
        {"rule": f"!has(self.{name}) || self.{name}.size() > 0", "message": f"{name} must not be empty if specified"}
        for name, field in declared.items()
        if field.metadata.get(NONEMPTY_RULE)
    ]
    rules += getattr(schema_class, "all_rules", tuple)()
    if rules:
        result["x-kubernetes-validations"] = [dict(rule) for rule in rules]
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
        # the image the observed Deployment runs (version.llamaStackServerVersion is its release tag)
        "resolvedDistribution": {"type": "object", "properties": {"image": {"type": "string"}}},
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
    {"name": "Image", "type": "string", "jsonPath": ".status.resolvedDistribution.image", "priority": 1},
]


# OGXServer status: upstream's OGXServerStatus fields, plus what the hook reports for both kinds
# (observedGeneration, configGeneration.warnings).
OGX_STATUS = {
    "type": "object",
    "properties": {
        "phase": {"type": "string", "enum": ["Pending", "Initializing", "Ready", "Failed", "Terminating"]},
        "observedGeneration": {"type": "integer"},
        "version": {
            "type": "object",
            "properties": {
                "operatorVersion": {"type": "string"},
                "serverVersion": {"type": "string"},
                "lastUpdated": {"type": "string", "format": "date-time"},
            },
        },
        "distributionConfig": {
            "type": "object",
            "properties": {
                "activeDistribution": {"type": "string"},
                "providers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "api": {"type": "string"},
                            "provider_id": {"type": "string"},
                            "provider_type": {"type": "string"},
                            "config": {"x-kubernetes-preserve-unknown-fields": True},
                            "health": {
                                "type": "object",
                                "properties": {"status": {"type": "string"}, "message": {"type": "string"}},
                            },
                        },
                    },
                },
                "availableDistributions": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "resolvedDistribution": {
            "type": "object",
            "properties": {
                "image": {"type": "string"},
                "configSource": {"type": "string"},
                "configHash": {"type": "string"},
            },
        },
        "configGeneration": {
            "type": "object",
            "properties": {
                "observedGeneration": {"type": "integer"},
                "configMapName": {"type": "string"},
                "generatedAt": {"type": "string", "format": "date-time"},
                "providerCount": {"type": "integer"},
                "resourceCount": {"type": "integer"},
                "configVersion": {"type": "integer"},
                "warnings": {"type": "array", "items": {"type": "string"}},
            },
        },
        "conditions": STATUS["properties"]["conditions"],
        "availableReplicas": {"type": "integer"},
        "serviceURL": {"type": "string"},
        "externalURL": {"type": "string"},
    },
}
OGX_COLUMNS = [
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
    {"name": "Distribution", "type": "string", "jsonPath": ".status.resolvedDistribution.image", "priority": 1},
    {"name": "Config", "type": "string", "jsonPath": ".status.configGeneration.configMapName", "priority": 1},
    {"name": "Providers", "type": "integer", "jsonPath": ".status.configGeneration.providerCount"},
    {"name": "Operator Version", "type": "string", "jsonPath": ".status.version.operatorVersion", "priority": 1},
    {"name": "Server Version", "type": "string", "jsonPath": ".status.version.serverVersion", "priority": 1},
    {"name": "Available", "type": "integer", "jsonPath": ".status.availableReplicas"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def custom_resource_definition(
    group: str,
    version: str,
    kind: str,
    short_name: str,
    description: str,
    spec: dict[str, Any],
    status: dict[str, Any],
    columns: list[dict[str, Any]],
) -> dict[str, Any]:
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": [short_name],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": description,
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


def crd() -> dict[str, Any]:
    return custom_resource_definition(
        "llamastack.io",
        "v1alpha1",
        "LlamaStackDistribution",
        "llsd",
        "A llama-stack server; see the llsd-hook README for every field.",
        spec_schema(),
        STATUS,
        COLUMNS,
    )


def ogx_crd() -> dict[str, Any]:
    spec = object_schema(OGXServerSpecSchema)
    spec["description"] = "An OGX server (upstream's ogx.io/v1beta1 fields); see the llsd-hook README."
    return custom_resource_definition(
        "ogx.io",
        "v1beta1",
        "OGXServer",
        "ogxserver",
        "An OGX server run by llsd-hook; see the llsd-hook README for every field.",
        spec,
        OGX_STATUS,
        OGX_COLUMNS,
    )


def render(definition: dict[str, Any], source: str) -> str:
    return header("generate_crd.py", source, "crd") + yaml.safe_dump(definition, sort_keys=False, width=120)


def main() -> int:
    return write_or_check(
        __doc__.splitlines()[0],
        lambda: {
            OUTPUT: render(crd(), "generator/schema.py"),
            OGX_OUTPUT: render(ogx_crd(), "generator/ogxserver/"),
        },
        "crd",
    )


if __name__ == "__main__":
    sys.exit(main())
