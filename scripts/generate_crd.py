"""Generate manifests/crd/llamastackdistributions.yaml from the hook's own marshmallow schema.

One source of truth: the CRD's structural schema is a walk of `generator.schema.LLSDSpecSchema`,
so a field cannot be accepted by the API server and dropped by the hook (or the reverse). CEL
rules (admission-time checks with messages naming the field and the fix) come from RULES below.
Run `make crd`; `tests/manifests/test_crd.py` fails when the committed CRD is stale.

Provider fields accept a single object or a list, which a structural schema cannot say, so they
are `x-kubernetes-preserve-unknown-fields` without a type and their CEL rules are written for a
dynamic value. Rules on untyped lists stay O(n): Kubernetes cannot bound the cost of comparing
every pair of an untyped list, so uniqueness of ids inside a list is left to the hook (which
checks everything again anyway); across the APIs' single-object forms it is checked here.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, fields, validate

from generator.apis import CR_TO_CONFIG_API, REMOVED_APIS
from generator.schema import IntOrPercent, LLSDSpecSchema, OneOrMany, StringOrObject

OUTPUT = Path(__file__).resolve().parent.parent / "manifests" / "crd" / "llamastackdistributions.yaml"
PROVIDER_APIS = [*CR_TO_CONFIG_API, *REMOVED_APIS]
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
    declared = schema_class._declared_fields  # noqa: SLF001 - marshmallow's public-by-convention field map
    properties = {name: field_schema(field) for name, field in declared.items()}
    result: dict[str, Any] = {"type": "object", "properties": properties}
    required = sorted(name for name, field in declared.items() if field.required)
    if required:
        result["required"] = required
    return result


def _for_each_form(check: str) -> str:
    """`check` (written over `{p}`) for a single provider object or every entry of a list."""
    return f"type(self) == list ? self.all(p, {check.format(p='p')}) : ({check.format(p='self')})"


def provider_rules(api: str) -> list[dict[str, str]]:
    path = f"spec.server.providers.{api}"
    rules = [
        {
            "rule": "type(self) == list || type(self) == map",
            "message": f"{path}: must be a provider object or a list of provider objects",
        },
        {
            "rule": "type(self) != list || self.all(p, type(p) == map && has(p.id))",
            "message": f"{path}: in list form every provider needs an id; give each entry a unique id",
        },
        {
            "rule": _for_each_form(
                "type({p}) != map || !has({p}.provider) || {p}.provider != 'bedrock' || has({p}.region)"
            ),
            "message": f"{path}: bedrock needs region; set the AWS region, e.g. us-east-1",
        },
        {
            "rule": _for_each_form(
                "type({p}) != map || !has({p}.provider) || {p}.provider != 'azure' || has({p}.deploymentName)"
            ),
            "message": f"{path}: azure needs deploymentName; set the Azure OpenAI deployment name",
        },
    ]
    if api in REMOVED_APIS:
        rules.append(
            {"rule": "false", "message": f"{path}: the {api} API does not exist in llama-stack 0.7.3; remove it"}
        )
    return rules


def _single_id(api: str) -> str:
    """The id of a single-object provider: its `id`, else its provider name (as the hook does)."""
    return f"(has(self.{api}.id) ? self.{api}.id : self.{api}.provider)"


def _single(api: str) -> str:
    return f"has(self.{api}) && type(self.{api}) == map && (has(self.{api}.id) || has(self.{api}.provider))"


def cross_api_rule() -> dict[str, str]:
    pairs = [
        f"!({_single(a)} && {_single(b)} && {_single_id(a)} == {_single_id(b)})"
        for a, b in itertools.combinations(CR_TO_CONFIG_API, 2)
    ]
    return {
        "rule": " && ".join(pairs),
        "message": "spec.server.providers: two APIs use the same provider id; ids must be unique across APIs",
    }


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
    ("server", "providers"): [cross_api_rule()],
}


def _at(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for name in path:
        schema = schema["properties"][name]
    return schema


def spec_schema() -> dict[str, Any]:
    spec = object_schema(LLSDSpecSchema)
    for path, rules in RULES.items():
        _at(spec, path)["x-kubernetes-validations"] = rules
    providers = _at(spec, ("server", "providers"))
    for api in PROVIDER_APIS:
        providers["properties"][api]["x-kubernetes-validations"] = provider_rules(api)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed CRD is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        stale = not OUTPUT.exists() or OUTPUT.read_text() != text
        if stale:
            print(f"stale: {OUTPUT}; run make crd", file=sys.stderr)
        return 1 if stale else 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
