"""Golden hook tests: each tests/golden/<case>/request.json gives exactly response.json.

Regenerate with `make golden` and review the diff. Each request.json is what the case table
builds (so a stale request cannot hide behind a matching response). Every response also passes
Metacontroller's strict v2 decoding (only its four top-level keys), every child validates
strictly against the schemas of Kubernetes 1.30 (the oldest release we support) and of the
newest release kubernetes-validate knows, every status fits the CRD's status schema with unknown
fields forbidden (the API server would prune them silently), and no Secret value from the request
appears anywhere in it.
"""

from __future__ import annotations

import base64
import json

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from hooks.children import CHILD_RESOURCES
from tests.hooks.cases import CASES, answer
from tests.hooks.golden import render
from tests.manifests.crd import open_api_schema, to_json_schema
from tests.support.objects import CANARY
from tests.support.paths import GOLDEN, ROOT

V2_RESPONSE_KEYS = {"status", "children", "resyncAfterSeconds", "finalized"}
KUBERNETES_VERSIONS = ("1.30.0", latest_version())
CASE_NAMES = sorted(CASES)


def load(case: str, name: str) -> dict:
    return json.loads((GOLDEN / case / name).read_text())


def test_every_case_has_golden_files():
    on_disk = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
    assert on_disk == CASE_NAMES, "run `make golden` and review the diff"


@pytest.mark.parametrize("case", CASE_NAMES)
def test_response_matches_golden(case):
    assert answer(load(case, "request.json")) == load(case, "response.json")


@pytest.mark.parametrize("case", CASE_NAMES)
def test_request_is_what_the_case_table_builds(case):
    request, _ = render(case)
    assert (GOLDEN / case / "request.json").read_text() == request, "run `make golden` and review the diff"


STATUS_SCHEMA = to_json_schema(open_api_schema()["properties"]["status"])
# Each parent kind's status is checked against its own CRD.
STATUS_SCHEMAS = {
    "LlamaStackDistribution": STATUS_SCHEMA,
    "OGXServer": to_json_schema(
        yaml.safe_load((ROOT / "manifests" / "crd" / "ogxservers.yaml").read_text())["spec"]["versions"][0]["schema"][
            "openAPIV3Schema"
        ]["properties"]["status"]
    ),
}


@pytest.mark.parametrize("case", CASE_NAMES)
def test_status_fits_the_crd_status_schema(case):
    """A status field the CRD does not declare would be pruned by the API server without a word."""
    status = load(case, "response.json")["status"]
    kind = load(case, "request.json")["parent"].get("kind", "LlamaStackDistribution")
    errors = [
        f"status.{'.'.join(map(str, e.path))}: {e.message}"
        for e in jsonschema.Draft7Validator(STATUS_SCHEMAS[kind]).iter_errors(status)
    ]
    assert not errors


def test_the_status_schema_forbids_unknown_fields():
    """Otherwise the test above would prove nothing."""
    status = {**load("create-minimal", "response.json")["status"], "notDeclared": 1}
    assert not jsonschema.Draft7Validator(STATUS_SCHEMA).is_valid(status)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_response_passes_strict_v2_decoding_and_children_are_valid(case):
    response = load(case, "response.json")
    assert set(response) <= V2_RESPONSE_KEYS
    assert isinstance(response["children"], list)
    assert isinstance(response["status"], dict)
    declared = {(api, kind) for api, _, kind in CHILD_RESOURCES}
    for child in response["children"]:
        assert (child["apiVersion"], child["kind"]) in declared
        assert not {"status", "resourceVersion", "uid"} & (set(child) | set(child["metadata"]))
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(child, version, strict=True)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_no_secret_value_in_any_response(case):
    text = (GOLDEN / case / "response.json").read_text()
    assert CANARY not in text
    assert base64.b64encode(CANARY.encode()).decode() not in text


def test_golden_requests_do_carry_the_canary():
    """Otherwise the test above would prove nothing."""
    carrying = [
        c for c in CASE_NAMES if base64.b64encode(CANARY.encode()).decode() in (GOLDEN / c / "request.json").read_text()
    ]
    assert len(carrying) >= 10
