"""Property tests over /sync and /customize with hostile, mutated and random requests.

Invariants (what Metacontroller and a shared cluster require of the hook):
  (a) a user error never gives a 5xx: a malformed request (or one nested too deep to walk)
      is a 400, everything else a 200, except (e);
  (b) when the spec is invalid (or a reference is missing, or generation fails), the 200 answer
      holds exactly the observed children: nothing is deleted;
  (c) no response, log line or error message carries a related Secret's value (raw or base64);
  (d) the same request gives the same response, whatever was asked in between;
  (e) nothing a 200 answer holds leaves the parent: declared kinds, its namespace, names derived
      from its name. An answer that would (observed children that are not the parent's own, a
      forged last-applied annotation, a privileged pod template) is a 500 from the answer
      firewall, never a 200.

`make test` runs a small fixed budget; `make fuzz` sets LLSD_FUZZ_EXAMPLES for a long run.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import json
import logging
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from generator import SpecError, parse_spec
from hooks.app import create_app
from hooks.children import CHILD_RESOURCES
from hooks.logs import LOGGER_NAME, JsonFormatter
from tests.reliability.strategies import (
    LAST_APPLIED,
    LITERAL_CANARY,
    customize_requests,
    malformed_bodies,
    sync_requests,
)
from tests.support.metacontroller import CHILD_TYPES
from tests.support.objects import CANARY, CANARY_B64
from tests.support.objects import settings as hook_settings

pytestmark = pytest.mark.slow  # hundreds of generated requests per property

EXAMPLES = int(os.environ.get("LLSD_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
V2_RESPONSE_KEYS = {"status", "children", "resyncAfterSeconds", "finalized"}
FAILURE_CONDITIONS = {"ValidationSucceeded", "SecretsResolved", "ConfigReady"}
MAX_BODY = hook_settings().max_body_bytes

APP = create_app(hook_settings())


def _found(parent_spec: dict[str, Any], related: dict[str, Any], children: dict[str, Any] | None = None) -> dict:
    """A request the fuzzer once failed on (kept as an @example so it stays fixed)."""
    parent = {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "metadata": {"name": "demo", "namespace": "ai"},
        "spec": parent_spec,
    }
    return {"parent": parent, "children": children or {}, "related": related, "finalizing": False}


VLLM_SPEC = {
    "server": {
        "providers": {
            "inference": {
                "provider": "vllm",
                "endpoint": "http://vllm:8000/v1",
                "apiKey": {"secretKeyRef": {"name": "vllm-creds", "key": "token"}},
            }
        }
    }
}
# Bug 1 (hooks/related.py): a Secret value that is not ASCII made base64 raise a plain ValueError
# the hook did not catch: a 500 instead of "key not usable" in status.
NON_ASCII_SECRET = _found(
    VLLM_SPEC,
    {"Secret.v1": {"ai/vllm-creds": {"kind": "Secret", "metadata": {"name": "vllm-creds"}, "data": {"token": "é"}}}},
)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.formatter_ = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record))


@contextlib.contextmanager
def captured_logs():
    """Every line the hook logs meanwhile, at debug level (as LLSD_LOG_LEVEL=debug: every request)."""
    log = logging.getLogger(LOGGER_NAME)
    handler, level = _Capture(), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def post(path: str, body: Any) -> tuple[int, str]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = APP.test_client().post(path, data=data, content_type="application/json")
    return response.status_code, response.get_data(as_text=True)


def strict_json(text: str) -> Any:
    """Parse as Go's encoding/json would: NaN and Infinity are not JSON."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"the answer holds {token}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


# No value under this depth is refused as too deep (docs/hooks.md: orjson's 1024 levels, and
# Python's recursion limit for what the hook walks, hundreds of levels)
SHALLOW = 100
# Children of an LLSD `<name>` (README "Children"), written out here independently of the hook.
OWNED_SUFFIXES = {
    "Deployment": r"",
    "Service": r"-service",
    "ServiceAccount": r"-sa",
    "PersistentVolumeClaim": r"-pvc",
    "NetworkPolicy": r"-network-policy",
    "Ingress": r"-ingress",
    "PodDisruptionBudget": r"-pdb",
    "HorizontalPodAutoscaler": r"-hpa",
    "ConfigMap": r"-config-[0-9a-f]{10}|-ca-bundle|-user-config",
}


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def owned(child: dict[str, Any], parent: dict[str, Any]) -> bool:
    """Whether a child is one the LLSD may own: declared type, its namespace, a derived name."""
    metadata = parent["metadata"]
    namespace, name = metadata.get("namespace") or "default", metadata["name"]
    child_meta = child.get("metadata") or {}
    child_name = str(child_meta.get("name"))
    return (
        f"{child.get('kind')}.{child.get('apiVersion')}" in CHILD_TYPES
        and (child_meta.get("namespace") or namespace) == namespace
        and child_name.startswith(name)
        and re.fullmatch(OWNED_SUFFIXES.get(str(child.get("kind")), "(?!)"), child_name[len(name) :]) is not None
    )


def foreign_children(request: dict[str, Any]) -> bool:
    """Observed children (or their last-applied annotations) the parent does not own."""
    parent = request["parent"]
    for group in (request.get("children") or {}).values():
        for child in group.values():
            applied = ((child.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
            if not owned(child, parent) or (isinstance(applied, str) and '"hostPath"' in applied):
                return True
            template = ((child.get("spec") or {}).get("template") or {}).get("spec") or {}
            if template.get("hostPID") or template.get("hostNetwork") or "hostPath" in json.dumps(template):
                return True
    return False


# The parents the hook's CompositeControllers watch; Metacontroller sends no other kind.
SERVED_KINDS = {("llamastack.io/v1alpha1", "LlamaStackDistribution"), ("ogx.io/v1beta1", "OGXServer")}


def well_formed(body: Any) -> bool:
    """A v2 hook request envelope, independently of the hook's own parser."""

    def object_map(value: Any) -> bool:
        return value is None or (
            isinstance(value, dict)
            and all(
                isinstance(group, dict) and all(isinstance(obj, dict) for obj in group.values())
                for group in value.values()
            )
        )

    if not isinstance(body, dict) or not isinstance(body.get("parent"), dict):
        return False
    parent = body["parent"]
    metadata = parent.get("metadata")
    untyped = "apiVersion" not in parent and "kind" not in parent  # what older callers send: an LLSD
    return (
        (untyped or (str(parent.get("apiVersion")), str(parent.get("kind"))) in SERVED_KINDS)
        and isinstance(metadata, dict)
        and isinstance(metadata.get("name"), str)
        and bool(metadata["name"])
        and (metadata.get("namespace") is None or isinstance(metadata["namespace"], str))
        and isinstance(body.get("finalizing", False), bool)
        and object_map(body.get("children"))
        and object_map(body.get("related"))
    )


def assert_no_secret(text: str, where: str) -> None:
    assert LITERAL_CANARY not in text, f"a literal key from a provider's config reached {where}"
    assert CANARY not in text, f"a related Secret's value leaked into {where}"
    assert CANARY_B64 not in text, f"a related Secret's base64 value leaked into {where}"


def identity(obj: dict[str, Any], namespace: str) -> tuple[str, str, str, str]:
    metadata = obj.get("metadata") or {}
    return (
        str(obj.get("apiVersion")),
        str(obj.get("kind")),
        str(metadata.get("namespace") or namespace),
        str(metadata.get("name")),
    )


def observed_identities(request: dict[str, Any], namespace: str) -> collections.Counter:
    return collections.Counter(
        identity(obj, namespace) for group in (request.get("children") or {}).values() for obj in group.values()
    )


def spec_is_invalid(parent: dict[str, Any]) -> bool:
    try:
        parse_spec(copy.deepcopy(parent))
    except SpecError:
        return True
    return False


def check_sync(request: dict[str, Any], status: int, text: str) -> None:
    """Invariants (a), (b) and the v2 response shape for one /sync answer."""
    if len(json.dumps(request)) > MAX_BODY:
        assert status == 413, text
        return
    body = strict_json(text)
    if not well_formed(request):
        assert status == 400, (status, text)
        assert isinstance(body.get("error"), str), (status, text)
        return
    if status == 500 and "reach outside" in body.get("error", ""):
        assert foreign_children(request), f"the firewall refused the hook's own children: {text}"
        return
    if status == 400 and "nests deeper" in body.get("error", ""):
        assert depth(request) > SHALLOW, f"a shallow request was refused as too deep: {text}"
        return
    assert status < 500, f"a hook fault on a user's request: {status} {text}"
    assert status == 200, f"a well-formed request was refused: {status} {text}"
    assert set(body) <= V2_RESPONSE_KEYS, f"v2 strict decoding fails on {set(body) - V2_RESPONSE_KEYS}"
    assert isinstance(body.get("status"), dict), "a missing status wipes the parent's"
    assert body["status"], "an empty status wipes the parent's"
    children = body.get("children")
    assert isinstance(children, list), "missing children delete every child"
    for child in children:
        assert isinstance(child, dict)
        assert child.get("apiVersion")
        assert child.get("kind")
        assert isinstance((child.get("metadata") or {}).get("name"), str)
        assert owned(child, request["parent"]), f"a 200 answer reaches outside the parent: {child['metadata']}"
    namespace = request["parent"]["metadata"].get("namespace") or "default"
    failed = {
        c.get("type")
        for c in body["status"].get("conditions") or []
        if c.get("type") in FAILURE_CONDITIONS and c.get("status") != "True"
    }
    if spec_is_invalid(request["parent"]) or failed:
        assert body["status"].get("phase") == "Failed", body["status"]
        answered = collections.Counter(identity(child, namespace) for child in children)
        assert answered == observed_identities(request, namespace), (
            "with an invalid spec, a missing reference or a failed generation, the answer must hold "
            f"exactly the observed children; failed conditions: {sorted(failed)}"
        )
    else:
        name = request["parent"]["metadata"]["name"]
        kinds = {(child["kind"], child["metadata"]["name"]) for child in children}
        assert ("Deployment", name) in kinds, "a healthy answer lost the Deployment"


@FUZZ
@given(request=sync_requests())
@example(request=NON_ASCII_SECRET)
def test_sync_user_errors_are_200_keep_children_and_never_leak_secrets(request):
    with captured_logs() as lines:
        status, text = post("/sync", request)
    check_sync(request, status, text)
    event(f"status {status}, outcome {json.loads(lines[-1]).get('outcome') if lines else '-'}")
    assert_no_secret(text, "the /sync answer")
    assert lines, "every request is logged"
    for line in lines:
        assert_no_secret(line, "a log line")
        entry = json.loads(line)
        assert {"request_id", "outcome", "status", "duration_ms"} <= set(entry)


def _without_request_id(status: int, text: str) -> tuple[int, Any]:
    body = json.loads(text)
    if isinstance(body, dict):
        body.pop("request_id", None)
    return status, body


def _reversed_keys(value: Any) -> Any:
    """The same JSON with every object's keys in the opposite order (the API server may reorder)."""
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


@FUZZ
@given(request=sync_requests(), other=sync_requests())
def test_sync_same_request_same_response(request, other):
    first = _without_request_id(*post("/sync", request))
    post("/sync", other)  # whatever came in between (caches, shared state) must not matter
    assert _without_request_id(*post("/sync", request)) == first
    assert _without_request_id(*post("/sync", _reversed_keys(request))) == first


@FUZZ
@given(request=customize_requests(), other=customize_requests())
def test_customize_asks_only_for_named_objects_and_is_deterministic(request, other):
    with captured_logs() as lines:
        status, text = post("/customize", request)
    assert status < 500, text
    if len(json.dumps(request)) > MAX_BODY:  # an oversized parent (one of the attack strategies)
        assert status == 413, text
        return
    body = strict_json(text)
    if not well_formed(request):
        assert status == 400, text
        return
    assert status == 200, text
    assert set(body) == {"relatedResources"}
    children = {(api_version, resource) for api_version, resource, _ in CHILD_RESOURCES}
    for rule in body["relatedResources"]:
        assert (rule["apiVersion"], rule["resource"]) in {("v1", "secrets"), ("v1", "configmaps")} | children
        assert isinstance(rule["namespace"], str)
        assert rule["namespace"]
        if rule["resource"] != "configmaps" and (rule["apiVersion"], rule["resource"]) in children:
            assert rule["namespace"] == (request["parent"]["metadata"].get("namespace") or "default")
        names = rule.get("names")
        assert isinstance(names, list), "an empty selector lists every object of the cluster"
        assert names, "an empty selector lists every object of the cluster"
        assert all(isinstance(n, str) and n for n in names), "an empty name selects nothing useful"
        assert "labelSelector" not in rule
    for line in lines:
        assert_no_secret(line, "a log line")
    post("/customize", other)
    assert _without_request_id(*post("/customize", request)) == (status, body)
    assert _without_request_id(*post("/customize", _reversed_keys(request))) == (status, body)


@FUZZ
@given(body=malformed_bodies())
def test_malformed_requests_are_400_with_a_json_error(body):
    for path in ("/sync", "/customize"):
        with captured_logs() as lines:
            status, text = post(path, body)
        for where in [text, *lines]:  # the error message never echoes the body's Secrets
            assert_no_secret(where, f"the {path} answer or its log line")
        answer = strict_json(text)
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if request is not None and well_formed(request):
            if path == "/sync":
                check_sync(request, status, text)  # (e): the firewall may refuse what it was sent
            else:
                assert status < 500, text
            continue
        assert status == 400, (status, text)
        assert isinstance(answer.get("error"), str)
        assert "Traceback" not in text


@settings(max_examples=min(EXAMPLES, 30), deadline=None)
@given(request=sync_requests(), token=st.sampled_from(["", "Bearer", "Bearer x", "Basic s3cret", "Bearer s3cret2"]))
def test_wrong_bearer_token_is_401_whatever_the_body(request, token):
    from hooks.settings import Settings

    app = create_app(Settings(bearer_token="s3cret", clock=lambda: "2026-01-01T00:00:00Z"))
    response = app.test_client().post("/sync", json=request, headers={"Authorization": token} if token else {})
    assert response.status_code == 401
    assert response.get_json()["error"]
    assert_no_secret(response.get_data(as_text=True), "a 401 answer")
