"""The CRD: generated from the hook's schema, valid, accepting every sample, and its CEL rules
rejecting what they should (evaluated with cel-python, as the API server would evaluate them).

What `kubectl apply` reports for a bad CR is the CRD's rules plus the ValidatingAdmissionPolicy's
(manifests/admission/): the rules on provider fields live there because the CRD cannot type them.
The cases below check the union, so each message is found wherever its rule lives."""

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
from tests.manifests.crd import (
    ROOT,
    admission_violations,
    kubernetes_version,
    load_crd,
    open_api_schema,
    rules,
    samples,
    to_json_schema,
    violations,
)

SAMPLES = samples()


@pytest.mark.slow  # the generator script in a subprocess
def test_crd_is_generated_from_the_hook_schema():
    done = subprocess.run(
        [sys.executable, "scripts/generate_crd.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, "manifests/crd is stale: run `make crd` and review the diff"


def test_crd_is_a_valid_kubernetes_object_with_status_subresource():
    crd = load_crd()
    kubernetes_validate.validate(crd, kubernetes_version(), strict=True)
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
    assert admission_violations(cr) == []


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
    "postgres without connectionString": (
        cr(configStorage={"type": "postgres"}),
        "spec.server.configStorage.connectionString: required for postgres",
    ),
    "name and image": (
        cr(distribution={"name": "starter", "image": "x"}),
        "spec.server.distribution: give exactly one of name",
    ),
    "tls without secret": (cr(serverTLS={"enabled": True}), "spec.server.serverTLS.secretName: required"),
    "duplicate external ids": (
        cr(externalProviders={"inference": [{"providerId": "a", "image": "i"}, {"providerId": "a", "image": "j"}]}),
        "spec.server.externalProviders.inference: providerId values must be unique",
    ),
    "envFrom entry with both refs": (
        cr(containerSpec={"envFrom": [{"secretRef": {"name": "s"}, "configMapRef": {"name": "c"}}]}),
        "spec.server.containerSpec.envFrom: give exactly one of secretRef or configMapRef",
    ),
}
ACCEPTED = {
    "providers without userConfig": cr(providers={"inference": VLLM, "safety": {"provider": "llama-guard"}}),
    "postgres with connectionString": cr(
        configStorage={"type": "postgres", "connectionString": {"secretKeyRef": {"name": "s", "key": "k"}}}
    ),
    "image only": cr(distribution={"image": "quay.io/me/stack:1"}, userConfig={"configMapName": "c"}),
    "userConfig alone": cr(userConfig={"configMapName": "c", "configMapNamespace": "other"}),
    "tls with secret": cr(serverTLS={"enabled": True, "secretName": "tls"}),
    "tls disabled without secret": cr(serverTLS={"enabled": False}),
    "same provider twice with distinct ids": cr(
        providers={
            "inference": [{"id": "vllm-a", **VLLM}, {"id": "vllm-b", **VLLM}],
            "safety": {"provider": "llama-guard"},
        }
    ),
    "distinct external provider ids": cr(
        externalProviders={"inference": [{"providerId": "a", "image": "i"}, {"providerId": "b", "image": "i"}]}
    ),
    "disabled telemetry (a warning, not an error)": cr(disabled=["telemetry", "eval"]),
    "envFrom of a Secret and a ConfigMap": cr(
        containerSpec={"envFrom": [{"secretRef": {"name": "s"}}, {"configMapRef": {"name": "c"}, "prefix": "A_"}]}
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_cel_rejects_with_a_message_naming_the_field(case):
    obj, message = REJECTED[case]
    found = admission_violations(obj)
    assert any(m.startswith(message) for m in found), found


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_cel_accepts(case):
    assert admission_violations(ACCEPTED[case]) == []


def _exposed_to_cel(schema: dict) -> bool:
    """The API server gives a node a CEL type only if it is typed (or int-or-string): apiserver
    SchemaDeclType. A rule on an untyped node, or naming one, makes the CRD fail to install."""
    return "type" in schema or bool(schema.get("x-kubernetes-int-or-string"))


def _nodes(schema, path=()):
    yield path, schema
    for name, child in (schema.get("properties") or {}).items():
        yield from _nodes(child, (*path, name))
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], (*path, "[]"))


def test_rules_sit_on_and_name_only_nodes_the_api_server_exposes_to_cel():
    for path, node in _nodes(open_api_schema()):
        for rule in node.get("x-kubernetes-validations") or []:
            assert _exposed_to_cel(node), f"rule on untyped node {'.'.join(path)}"
            for name in re.findall(r"\bself\.(\w+)\b(?!\s*\()", rule["rule"]):
                child = (node.get("properties") or {}).get(name)
                assert child is not None, f"{'.'.join(path)}: self.{name} is not a property"
                assert _exposed_to_cel(child), f"{'.'.join(path)}: self.{name} has no CEL type"


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
