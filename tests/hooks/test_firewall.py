"""The answer firewall, attacked through POST /sync as a tenant with the `edit` role would.

The tenant can rewrite anything on the children in their namespace (labels, annotations,
Metacontroller's last-applied annotation, the live spec) and their own LLSD. Metacontroller is
emulated by `tests.support.metacontroller` (no API server here): its observed children are the
hook's own earlier answer, as the API server shows them, then edited by the tenant.
In every case: the running instance is kept and nothing in the answer leaves the namespace.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from hooks.app import create_app
from tests.generator.crs import VLLM
from tests.hooks.cases import MINIMAL, VLLM_SECRET, answer, with_status
from tests.hooks.test_sync import as_the_api_server_shows_it
from tests.support.metacontroller import sync_request
from tests.support.objects import settings

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
PRIVILEGED_POD = {
    "hostPID": True,
    "hostNetwork": True,
    "containers": [
        {"name": "pwn", "image": "evil.example.com/root:1", "securityContext": {"privileged": True}},
    ],
    "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
}


def _forge(child: dict[str, Any], how: str) -> dict[str, Any]:
    """The tenant rewrites the child's last-applied annotation."""
    applied = json.loads(child["metadata"]["annotations"][LAST_APPLIED])
    if how == "other-namespace":
        applied["metadata"]["namespace"] = "kube-system"
        applied["metadata"]["name"] = "pwn"
    elif how == "other-name":
        applied["metadata"]["name"] = "pwn"
    elif how == "privileged-body" and applied["kind"] == "Deployment":
        applied["spec"]["template"]["spec"] = copy.deepcopy(PRIVILEGED_POD)
    elif how == "privileged-body":  # a ConfigMap: a field the hook never writes
        applied["metadata"]["finalizers"] = ["example.com/stuck"]
    child = copy.deepcopy(child)
    child["metadata"]["annotations"][LAST_APPLIED] = json.dumps(applied)
    return child


def _running() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    first = answer(sync_request(MINIMAL, [VLLM_SECRET]))
    return with_status(MINIMAL, first), first["children"]


def _broken(parent: dict[str, Any], path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parent and related objects of a failure path."""
    parent = copy.deepcopy(parent)
    parent["metadata"]["generation"] = 2
    if path == "invalid-spec":
        parent["spec"]["server"]["providers"]["inference"] = [VLLM, VLLM]
        return parent, [VLLM_SECRET]
    if path == "missing-secret":
        return parent, []
    parent["spec"]["server"]["providers"]["inference"]["endpoint"] = "http://vllm-2:8000/v1"  # rollout
    return parent, [VLLM_SECRET]


def _assert_kept_in_namespace(response: dict[str, Any], children: list[dict[str, Any]]) -> None:
    for child in response["children"]:
        assert child["metadata"]["namespace"] == "ai", child["metadata"]
        spec = (child.get("spec") or {}).get("template", {}).get("spec", {})
        assert not spec.get("hostPID"), child
        assert "evil" not in json.dumps(child), child
        assert "finalizers" not in child["metadata"]
    answered = {(c["kind"], c["metadata"]["name"]) for c in response["children"]}
    assert {(c["kind"], c["metadata"]["name"]) for c in children} <= answered, "the running instance is kept"


@pytest.mark.parametrize("path", ["invalid-spec", "missing-secret", "rollout"])
@pytest.mark.parametrize("how", ["other-namespace", "other-name", "privileged-body"])
def test_a_forged_last_applied_annotation_never_leaves_the_namespace(path, how):
    parent, children = _running()
    observed = [_forge(as_the_api_server_shows_it(c), how) for c in children]
    broken, related = _broken(parent, path)
    request = sync_request(broken, related, observed, deployment_ready=path != "rollout", generation=2)
    response = create_app(settings()).test_client().post("/sync", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    _assert_kept_in_namespace(body, children)
    if path != "rollout":
        assert body["status"]["phase"] == "Failed"
        by_kind = {c["kind"]: c for c in body["children"]}
        original = next(c for c in children if c["kind"] == "Deployment")
        assert by_kind["Deployment"]["spec"]["template"] == original["spec"]["template"], "what runs now"
    else:  # the old generated ConfigMap is kept while the rollout runs, as the hook wrote it
        old = next(c for c in children if c["kind"] == "ConfigMap")
        kept = [c for c in body["children"] if c["metadata"]["name"] == old["metadata"]["name"]]
        assert kept == [old]


def _firewall_answer(request: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    """(status, answer, the /metrics text after it)."""
    client = create_app(settings()).test_client()
    response = client.post("/sync", json=request)
    return response.status_code, response.get_json(), client.get("/metrics").get_data(as_text=True)


def test_a_live_privileged_deployment_on_a_failure_path_is_a_500_not_applied(caplog):
    """The tenant edits the live Deployment itself (their right) and breaks the spec: the hook
    will not be the one to apply that pod again; Metacontroller changes nothing on a 5xx."""
    parent, children = _running()
    observed = [as_the_api_server_shows_it(c) for c in children]
    for child in observed:
        if child["kind"] == "Deployment":
            child["spec"]["template"]["spec"] = copy.deepcopy(PRIVILEGED_POD)
            del child["metadata"]["annotations"]
    broken, related = _broken(parent, "invalid-spec")
    with caplog.at_level("INFO", logger="llsd_hook"):
        status, body, metrics = _firewall_answer(sync_request(broken, related, observed))
    assert status == 500
    assert "spec.template.spec.hostPID: must not be true" in body["error"]
    assert 'outcome="firewall_violation"' in metrics
    assert any(getattr(r, "fields", {}).get("outcome") == "firewall_violation" for r in caplog.records)
    assert any(getattr(r, "fields", {}).get("status") == 500 for r in caplog.records)


@pytest.mark.parametrize(
    ("namespace", "name", "expected"),
    [
        ("kube-system", "demo", "not in the parent's namespace 'ai'"),
        ("ai", "pwn", "not a name the hook gives a Deployment"),
        ("ai", "demo-servicex", "not a name the hook gives a Deployment"),
    ],
)
def test_an_observed_child_outside_what_the_parent_owns_is_refused(namespace, name, expected):
    parent, children = _running()
    stray = copy.deepcopy(next(c for c in children if c["kind"] == "Deployment"))
    stray["metadata"].update(namespace=namespace, name=name)
    broken, related = _broken(parent, "missing-secret")
    status, body, _ = _firewall_answer(sync_request(broken, related, [*children, stray]))
    assert status == 500
    assert expected in body["error"], body


def test_an_undeclared_kind_never_leaves_the_hook():
    parent, children = _running()
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "demo"}}
    broken, related = _broken(parent, "invalid-spec")
    status, body, _ = _firewall_answer(sync_request(broken, related, [*children, role]))
    assert status == 500
    assert "Role is not a declared child type" in body["error"]


@pytest.mark.parametrize("depth", [1_025, 5_000, 200_000])
def test_deeply_nested_bodies_are_a_400_logged_and_counted_as_such(depth, caplog):
    body = b'{"parent": ' + b"[" * depth + b"]" * depth + b"}"
    app = create_app(settings())
    client = app.test_client()
    with caplog.at_level("INFO", logger="llsd_hook"):
        response = client.post("/sync", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.get_json()["error"]
    assert 'outcome="bad_request"' in client.get("/metrics").get_data(as_text=True)
    assert [getattr(r, "fields", {}).get("status") for r in caplog.records if r.getMessage() == "request"] == [400]


DEEP_MARK = '"@deep@"'


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """The hook's process runs at Python's default recursion limit; cel-python, which other tests
    import, raises it for the whole test process."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


def _deep_values(levels: int) -> dict[str, str]:
    """JSON values nested `levels` deep (written as text: the standard library cannot write them),
    including the shape that fooled the old bracket-counting check: a string "]" after each
    opening bracket and "[" before each closing one, so every bracket in the text pairs up at once."""
    return {
        "objects": '{"a":' * levels + "1" + "}" * levels,
        "lists": "[" * levels + "]" * levels,
        "brackets-in-strings": '["]",' * levels + '"x"' + ',"["]' * levels,
    }


def _with_deep_value(request: dict[str, Any], value: str) -> bytes:
    return json.dumps(request).replace(DEEP_MARK, value, 1).encode()


@pytest.mark.parametrize("shape", ["objects", "lists", "brackets-in-strings"])
@pytest.mark.parametrize(
    ("where", "code"), [("spec", 400), ("provider-config", 400), ("observed-child", 200), ("last-applied", 400)]
)
@pytest.mark.usefixtures("default_recursion_limit")
def test_a_value_too_deep_to_walk_is_a_400_wherever_it_hides_and_the_worker_goes_on(shape, where, code):
    """orjson refuses bodies nested over 1024 levels; a value a little less deep (forged: no API
    server stores one; or JSON text inside an annotation, which the hook parses on a failure path)
    makes a walk of it raise RecursionError. That is the caller's error: a 400 that names it, never
    a 5xx, never a crashed worker; the next request is answered as usual. A deep value the hook
    never walks (in the live Deployment, which its trusted last-applied annotation stands for) is
    no error: the running children are answered as they are."""
    parent, children = _running()
    parent = copy.deepcopy(parent)
    observed = [as_the_api_server_shows_it(c) for c in children]
    deployment = next(c for c in observed if c["kind"] == "Deployment")
    related = [VLLM_SECRET]
    value = _deep_values(990)[shape]
    if where == "spec":
        parent["spec"]["server"]["podOverrides"] = {"volumes": [{"name": "x", "emptyDir": json.loads(DEEP_MARK)}]}
    elif where == "provider-config":
        parent["spec"]["server"]["providers"]["inference"]["config"] = {"deep": json.loads(DEEP_MARK)}
    elif where == "observed-child":  # the tenant edits their live Deployment; a failure path echoes it
        deployment["spec"]["template"]["metadata"]["annotations"] = {"x": json.loads(DEEP_MARK)}
        parent, related = _broken(parent, "missing-secret")
    else:  # JSON text: the body itself is shallow, so only a walk of the parsed annotation is deep
        value = _deep_values(100_000)[shape]
        deployment["metadata"]["annotations"][LAST_APPLIED] = json.loads(DEEP_MARK)
        parent, related = _broken(parent, "missing-secret")
        value = json.dumps(value)
    client = create_app(settings()).test_client()
    body = _with_deep_value(sync_request(parent, related, observed), value)
    response = client.post("/sync", data=body, content_type="application/json")
    assert response.status_code == code, response.get_data(as_text=True)
    if code == 400:
        assert "nests deeper than the hook reads" in response.get_json()["error"]
    else:
        assert {c["kind"] for c in response.get_json()["children"]} == {c["kind"] for c in children}
    healthy = client.post("/sync", json=sync_request(*_running()[:1], [VLLM_SECRET], observed))
    assert healthy.status_code == 200


def test_a_body_over_the_limit_is_logged_and_counted_as_413(caplog):
    from hooks.settings import Settings

    app = create_app(Settings(max_body_bytes=1000, clock=lambda: "2026-01-01T00:00:00Z"))
    client = app.test_client()
    with caplog.at_level("INFO", logger="llsd_hook"):
        response = client.post("/sync", data=b"{" + b" " * 2000 + b"}", content_type="application/json")
    assert response.status_code == 413
    assert 'outcome="http_error"' in client.get("/metrics").get_data(as_text=True)
    assert [getattr(r, "fields", {}).get("status") for r in caplog.records if r.getMessage() == "request"] == [413]
