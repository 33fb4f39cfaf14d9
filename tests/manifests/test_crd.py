"""The CRD: generated from the hook's schema, valid, accepting every sample, and its CEL rules
rejecting what they should (evaluated with cel-python, as the API server would evaluate them)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import jsonschema
import kubernetes_validate
import pytest
from marshmallow import fields

from generator.schema import LLSDSpecSchema, OneOrMany, StringOrObject
from tests.generator.crs import VLLM
from tests.manifests.crd import ROOT, load_crd, open_api_schema, rules, samples, to_json_schema, violations

SAMPLES = samples()


def test_crd_is_generated_from_the_hook_schema():
    done = subprocess.run(
        [sys.executable, "scripts/generate_crd.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, "manifests/crd is stale: run `make crd` and review the diff"


def test_crd_is_a_valid_kubernetes_object_with_status_subresource():
    crd = load_crd()
    kubernetes_validate.validate(crd, "1.37.0", strict=True)
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert crd["spec"]["names"]["shortNames"] == ["llsd"]
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert {
        "phase",
        "conditions",
        "availableReplicas",
        "serviceURL",
        "routeURL",
        "generatedConfigMap",
        "configGeneration",
        "version",
        "observedGeneration",
    } <= set(status)


def _marshmallow_paths(schema_class, prefix=()):
    for name, field in schema_class._declared_fields.items():
        path = (*prefix, name)
        yield path
        if isinstance(field, fields.Nested) and not isinstance(field, OneOrMany | StringOrObject):
            nested = field.nested if isinstance(field.nested, type) else type(field.nested)
            yield from _marshmallow_paths(nested, path)
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            yield from _marshmallow_paths(field.inner.nested, (*path, "[]"))


def _crd_paths(schema, prefix=()):
    for name, child in (schema.get("properties") or {}).items():
        path = (*prefix, name)
        yield path
        yield from _crd_paths(child, path)
        if "items" in child:
            yield from _crd_paths(child["items"], (*path, "[]"))


def test_crd_and_hook_accept_the_same_fields():
    """A field accepted by one and dropped by the other would silently do nothing."""
    crd_spec = open_api_schema()["properties"]["spec"]
    assert set(_crd_paths(crd_spec)) == set(_marshmallow_paths(LLSDSpecSchema))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_validates_against_the_schema_and_passes_cel(name):
    cr = SAMPLES[name]
    jsonschema.validate(cr, to_json_schema(open_api_schema()))
    assert violations(cr) == []


def test_there_is_a_sample_per_seed_story():
    expected = {
        "example-minimal-inference",
        "example-multiple-providers",
        "example-custom-config",
        "example-with-resources",
        "example-with-disabled",
        "example-with-providers",
        "example-user-config",
        "example-postgres-storage",
        "example-server-tls",
        "example-ca-bundle",
        "example-hpa",
        "example-network",
    }
    assert expected <= set(SAMPLES)


def cr(**server):
    return {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "metadata": {"name": "x"},
        "spec": {"server": server},
    }


REJECTED = {
    "providers and userConfig": (
        cr(providers={"inference": VLLM}, userConfig={"configMapName": "c"}),
        "spec.server.providers and spec.server.userConfig are mutually exclusive",
    ),
    "list form without id": (
        cr(providers={"inference": [VLLM]}),
        "spec.server.providers.inference: in list form every provider needs an id",
    ),
    "same id across APIs": (
        cr(providers={"inference": {"id": "x", "provider": "vllm"}, "safety": {"id": "x", "provider": "llama-guard"}}),
        "spec.server.providers: two APIs use the same provider id",
    ),
    "same implicit id across APIs": (
        cr(providers={"inference": {"provider": "bedrock", "region": "r"}, "safety": {"provider": "bedrock"}}),
        "spec.server.providers: two APIs use the same provider id",
    ),
    "bedrock without region (single)": (
        cr(providers={"inference": {"provider": "bedrock"}}),
        "spec.server.providers.inference: bedrock needs region",
    ),
    "bedrock without region (list)": (
        cr(providers={"inference": [{"id": "b", "provider": "bedrock"}]}),
        "spec.server.providers.inference: bedrock needs region",
    ),
    "azure without deploymentName": (
        cr(providers={"inference": {"provider": "azure"}}),
        "spec.server.providers.inference: azure needs deploymentName",
    ),
    "provider field neither object nor list": (
        cr(providers={"inference": "vllm"}),
        "spec.server.providers.inference: must be a provider object or a list",
    ),
    "postgres without connectionString": (
        cr(configStorage={"type": "postgres"}),
        "spec.server.configStorage.connectionString: required for postgres",
    ),
    "name and image": (
        cr(distribution={"name": "starter", "image": "x"}),
        "spec.server.distribution: give exactly one of name",
    ),
    "removed API": (
        cr(providers={"telemetry": {"provider": "otel"}}),
        "spec.server.providers.telemetry: the telemetry API does not exist",
    ),
    "tls without secret": (cr(serverTLS={"enabled": True}), "spec.server.serverTLS.secretName: required"),
    "duplicate external ids": (
        cr(externalProviders={"inference": [{"providerId": "a", "image": "i"}, {"providerId": "a", "image": "j"}]}),
        "spec.server.externalProviders.inference: providerId values must be unique",
    ),
}
ACCEPTED = {
    "single object without id": cr(providers={"inference": {"provider": "bedrock", "region": "us-east-1"}}),
    "list with ids": cr(
        providers={"inference": [{"id": "a", **VLLM}, {"id": "b", "provider": "azure", "deploymentName": "d"}]}
    ),
    "distinct ids across APIs": cr(providers={"inference": VLLM, "safety": {"provider": "llama-guard"}}),
    "postgres with connectionString": cr(
        configStorage={"type": "postgres", "connectionString": {"secretKeyRef": {"name": "s", "key": "k"}}}
    ),
    "image only": cr(distribution={"image": "quay.io/me/stack:1"}, userConfig={"configMapName": "c"}),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_cel_rejects_with_a_message_naming_the_field(case):
    obj, message = REJECTED[case]
    assert any(m.startswith(message) for m in violations(obj)), violations(obj)


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_cel_accepts(case):
    assert violations(ACCEPTED[case]) == []


def test_every_rule_is_exercised_by_a_rejected_case():
    messages = {rule["message"] for _, rule in rules(open_api_schema())}
    hit = {m for obj, _ in REJECTED.values() for m in violations(obj)}

    def family(message: str) -> str:  # the same rule on each API is one family
        message = re.sub(r"spec\.server\.(providers|externalProviders)\.\w+", "API", message)
        return re.sub(r"the \w+ API", "the X API", message)

    families = {family(m) for m in messages}
    hit_families = {family(m) for m in hit}
    assert families - hit_families == set()


def test_schema_rejects_what_the_structure_forbids():
    bad = copy.deepcopy(SAMPLES["example-minimal-inference"])
    bad["spec"]["server"]["port"] = 80
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, to_json_schema(open_api_schema()))
    bad = copy.deepcopy(SAMPLES["example-minimal-inference"])
    bad["spec"]["server"]["disabled"] = ["vectorio"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, to_json_schema(open_api_schema()))


# Kubernetes CEL: the standard definitions and macros plus the Kubernetes libraries it enables.
KUBERNETES_CEL_FUNCTIONS = {
    "has",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
    "size",
    "type",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "duration",
    "timestamp",
    "matches",
    "startsWith",
    "endsWith",
    "contains",
    "in",
    "list",
    "isSorted",
    "sum",
    "min",
    "max",
    "indexOf",
    "lastIndexOf",
    "lowerAscii",
    "upperAscii",
    "split",
    "join",
    "replace",
    "trim",
    "substring",
    "charAt",
    "format",
    "quantity",
    "url",
    "ip",
    "cidr",
    "isURL",
    "sets",
}


def test_rules_reference_only_self_and_their_own_macro_variables():
    """An unbound name is a compile error for the API server (cel-python would quietly absorb it)."""
    for _, rule in rules(open_api_schema()):
        text = re.sub(r"'[^']*'", "''", rule["rule"])
        bound = set(re.findall(r"\.(?:all|exists|exists_one|map|filter)\((\w+),", text))
        names = set(re.findall(r"(?<![.\w])([a-z_]\w*)\b(?!\s*\()", text))
        assert names <= {"self", "list", "map", "true", "false", "null"} | bound, (rule["rule"], names)


def test_rules_use_only_functions_kubernetes_cel_has():
    for _, rule in rules(open_api_schema()):
        called = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", rule["rule"]))
        assert called <= KUBERNETES_CEL_FUNCTIONS, called - KUBERNETES_CEL_FUNCTIONS
