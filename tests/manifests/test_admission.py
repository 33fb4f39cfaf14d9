"""The ValidatingAdmissionPolicy for spec.server.providers (manifests/admission/provider-rules.yaml).

The provider fields are untyped in the CRD (a single object or a list), so the CRD cannot carry
CEL rules for them; this policy refuses bad CRs at `kubectl apply` time instead. Every validation
is evaluated here with cel-python on accepted and rejected CRs, the way the API server evaluates a
policy: `object` is dynamic data, variables in order, messageExpression only on failure.
"""

from __future__ import annotations

import re

import kubernetes_validate
import pytest

from tests.generator.crs import VLLM
from tests.manifests.crd import (
    PolicyError,
    kubernetes_version,
    load_policy,
    load_policy_documents,
    policy_messages,
    samples,
)
from tests.manifests.test_crd import KUBERNETES_CEL_FUNCTIONS

POLICY = load_policy()
VALIDATIONS = POLICY["spec"]["validations"]


def cr(providers):
    return {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "metadata": {"name": "x", "namespace": "llama"},
        "spec": {"server": {"providers": providers}},
    }


# (CR, the message the policy must give; the static `message` names the rule it comes from)
REJECTED = {
    "list form without id": (
        cr({"inference": [VLLM]}),
        "spec.server.providers.inference: in list form every provider needs an id; give each entry a unique id",
    ),
    "second list entry without id": (
        cr({"vectorIo": [{"id": "faiss", "provider": "faiss"}, {"provider": "sqlite-vec"}]}),
        "spec.server.providers.vectorIo: in list form every provider needs an id; give each entry a unique id",
    ),
    "same id across APIs": (
        cr({"inference": {"id": "x", "provider": "vllm"}, "safety": {"id": "x", "provider": "llama-guard"}}),
        "spec.server.providers: provider id 'x' is used more than once",
    ),
    "same implicit id across APIs": (
        cr({"inference": {"provider": "bedrock", "region": "r"}, "safety": {"provider": "bedrock", "region": "r"}}),
        "spec.server.providers: provider id 'bedrock' is used more than once",
    ),
    "same id twice in one list": (
        cr({"inference": [{"id": "a", **VLLM}, {"id": "a", "provider": "openai"}]}),
        "spec.server.providers: provider id 'a' is used more than once",
    ),
    "list id equal to another API's implicit id": (
        cr({"inference": [{"id": "llama-guard", **VLLM}], "safety": {"provider": "llama-guard"}}),
        "spec.server.providers: provider id 'llama-guard' is used more than once",
    ),
    "bedrock without region (single)": (
        cr({"inference": {"provider": "bedrock"}}),
        "spec.server.providers.inference: bedrock needs region; set the AWS region, e.g. us-east-1",
    ),
    "bedrock without region (list)": (
        cr({"inference": [{"id": "a", **VLLM}, {"id": "b", "provider": "bedrock"}]}),
        "spec.server.providers.inference: bedrock needs region",
    ),
    "azure without deploymentName (single)": (
        cr({"inference": {"provider": "azure"}}),
        "spec.server.providers.inference: azure needs deploymentName; set the Azure OpenAI deployment name",
    ),
    "azure without deploymentName (list)": (
        cr({"inference": [{"id": "a", **VLLM}, {"id": "z", "provider": "azure"}]}),
        "spec.server.providers.inference: azure needs deploymentName",
    ),
    "provider field is a string": (
        cr({"inference": "vllm"}),
        "spec.server.providers.inference: must be a provider object or a non-empty list of provider objects",
    ),
    "empty provider list": (
        cr({"vectorIo": []}),
        "spec.server.providers.vectorIo: must be a provider object or a non-empty list of provider objects",
    ),
    "list of names instead of objects": (
        cr({"inference": ["vllm"]}),
        "spec.server.providers.inference: must be a provider object or a non-empty list of provider objects",
    ),
    "removed API (telemetry)": (
        cr({"telemetry": {"provider": "otel"}}),
        "spec.server.providers.telemetry: the telemetry API does not exist in llama-stack 0.7.3; remove it",
    ),
    "removed API (memory)": (
        cr({"memory": [{"id": "m", "provider": "faiss"}]}),
        "spec.server.providers.memory: the memory API does not exist in llama-stack 0.7.3; remove it",
    ),
}

ACCEPTED = {
    "no spec at all": {"apiVersion": "llamastack.io/v1alpha1", "kind": "LlamaStackDistribution", "metadata": {}},
    "no providers": {"apiVersion": "llamastack.io/v1alpha1", "kind": "LlamaStackDistribution", "spec": {}},
    "userConfig instead of providers": {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "spec": {"server": {"userConfig": {"configMapName": "my-config"}}},
    },
    "single object without id": cr({"inference": {"provider": "bedrock", "region": "us-east-1"}}),
    "list with ids": cr({"inference": [{"id": "a", **VLLM}, {"id": "b", "provider": "azure", "deploymentName": "d"}]}),
    "distinct implicit ids across APIs": cr({"inference": VLLM, "safety": {"provider": "llama-guard"}}),
    "same provider type twice with distinct ids": cr(
        {"inference": [{"id": "vllm-a", **VLLM}, {"id": "vllm-b", **VLLM}], "vectorIo": {"provider": "faiss"}}
    ),
    "explicit id differs from another API's provider name": cr(
        {"inference": {"id": "main", "provider": "vllm"}, "safety": {"id": "guard", "provider": "vllm"}}
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_policy_rejects_with_a_message_naming_the_field_and_the_fix(case):
    obj, message = REJECTED[case]
    found = policy_messages(obj)
    assert any(m.startswith(message) for m in found), found


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_policy_accepts(case):
    assert policy_messages(ACCEPTED[case]) == []


@pytest.mark.parametrize("name", sorted(samples()))
def test_policy_accepts_every_sample(name):
    assert policy_messages(samples()[name]) == []


@pytest.mark.parametrize("index", range(len(VALIDATIONS)), ids=[v["message"][:60] for v in VALIDATIONS])
def test_each_validation_has_a_rejected_case_that_only_it_catches_by_its_own_message(index):
    """Each validation, alone in the policy, rejects at least one case and accepts every
    ACCEPTED case: no rule is dead, and none rejects a valid CR."""
    alone = {"spec": {**POLICY["spec"], "validations": [VALIDATIONS[index]]}}
    hits = [case for case, (obj, _) in REJECTED.items() if policy_messages(obj, alone)]
    assert hits, f"no REJECTED case exercises {VALIDATIONS[index]['message']!r}"
    assert all(policy_messages(obj, alone) == [] for obj in ACCEPTED.values())


# No bare null: the API server prunes a null of a non-nullable field before admission. A null
# inside a list is kept (it is inside an unknown-fields subtree), so `[None]` stays.
ODD_VALUES = [0, 1.5, True, "x", [], [None], [[{"id": "a"}]], {}, {"id": 3, "provider": ["x"]}, {"provider": {}}]


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_odd_values_give_a_message_never_an_evaluation_error(value):
    """failurePolicy is Fail: an expression that errors would refuse the CR with a CEL error
    instead of a message that says what to fix."""
    for obj in (cr({"inference": value}), cr({"inference": VLLM, "safety": value}), cr(value)):
        try:
            policy_messages(obj)
        except PolicyError as err:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{obj['spec']}: {err}")
    assert policy_messages({"spec": {"server": {"providers": "x"}}}) == []  # the CRD schema refuses this one


def test_policy_and_binding_are_valid_kubernetes_objects():
    documents = load_policy_documents()
    for obj in documents:
        kubernetes_validate.validate(obj, kubernetes_version(), strict=True)
    binding = next(d for d in documents if d["kind"] == "ValidatingAdmissionPolicyBinding")
    assert binding["spec"]["policyName"] == POLICY["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    rule = POLICY["spec"]["matchConstraints"]["resourceRules"][0]
    assert rule["resources"] == ["llamastackdistributions"], "never the status subresource Metacontroller writes"
    assert (rule["apiGroups"], rule["apiVersions"]) == (["llamastack.io"], ["v1alpha1"])


def _expressions():
    spec = POLICY["spec"]
    for variable in spec["variables"]:
        yield variable["expression"]
    for validation in spec["validations"]:
        yield validation["expression"]
        yield validation.get("messageExpression", "'x'")


@pytest.mark.parametrize("expression", list(_expressions()))
def test_expressions_use_only_kubernetes_cel_functions_and_known_names(expression):
    """cel-python accepts more than the API server: an undeclared variable or a function Kubernetes
    lacks would only fail on the cluster."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "''", expression)
    called = set(re.findall(r"([A-Za-z_]\w*)\s*\(", text))
    assert called <= KUBERNETES_CEL_FUNCTIONS, called - KUBERNETES_CEL_FUNCTIONS
    bound = set(re.findall(r"\.(?:all|exists|exists_one|map|filter)\((\w+),", text))
    names = set(re.findall(r"(?<![.\w])([a-z_]\w*)\b(?!\s*\()", text))
    assert names <= {"object", "variables", "list", "map", "string", "true", "false", "null", "in"} | bound, names
    declared = [v["name"] for v in POLICY["spec"]["variables"]]
    for used in re.findall(r"\bvariables\.(\w+)", text):
        assert used in declared, f"variables.{used} is not declared"


def test_variables_only_use_variables_declared_before_them():
    seen: list[str] = []
    for variable in POLICY["spec"]["variables"]:
        for used in re.findall(r"\bvariables\.(\w+)", variable["expression"]):
            assert used in seen, f"{variable['name']} uses variables.{used} before it is declared"
        seen.append(variable["name"])
