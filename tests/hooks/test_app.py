"""The HTTP surface: status codes, JSON errors, auth, metrics, faults, and logs without secrets."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging

import pytest

from generator import LLAMA_STACK
from hooks import kinds
from hooks.app import create_app
from hooks.ownership import child_rules
from hooks.settings import Settings
from tests.hooks.cases import MINIMAL, VLLM_SECRET
from tests.support.metacontroller import sync_request
from tests.support.objects import CANARY, settings
from tests.support.prometheus import sample_sum


@pytest.fixture
def client():
    return create_app(settings()).test_client()


def test_sync_and_customize_answer_json(client):
    response = client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    customize = client.post("/customize", json={"controller": {}, "parent": MINIMAL})
    rules = customize.get_json()["relatedResources"]
    assert rules[0] == {"apiVersion": "v1", "resource": "secrets", "namespace": "ai", "names": ["vllm-creds"]}
    assert rules[1:] == child_rules("demo", "ai")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the body is not valid JSON"),
        (b"[]", "the request body must be a JSON object"),
        (b'{"parent": {"metadata": {}}}', "`parent.metadata.name` is required"),
        (b'{"parent": {"metadata": {"name": "x"}}, "children": []}', "`children` must map"),
        (b'{"parent": {"metadata": {"name": "x"}}, "finalizing": "yes"}', "`finalizing` must be a boolean"),
    ],
)
def test_malformed_requests_are_400_with_a_json_reason(client, body, message):
    response = client.post("/sync", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(message)


def test_wrong_method_unknown_path_and_oversized_body_are_json(client):
    assert client.get("/sync").status_code == 405
    assert client.get("/sync").get_json()["error"]
    assert client.get("/nope").status_code == 404
    small = create_app(Settings(max_body_bytes=1024)).test_client()
    response = small.post("/sync", data=b"{" + b" " * 2048 + b"}", content_type="application/json")
    assert response.status_code == 413
    assert "error" in response.get_json()


def test_bearer_token_is_required_when_configured():
    client = create_app(Settings(bearer_token="s3cret-token")).test_client()
    request = sync_request(MINIMAL, [VLLM_SECRET])
    assert client.post("/sync", json=request).status_code == 401
    assert client.post("/sync", json=request, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/sync", json=request, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes need no token


@pytest.mark.parametrize(
    ("configured", "header"),
    [
        ("s3cret-token", "bearer s3cret-token"),  # authorization.type typed in lower case is sent as typed
        ("s3cret-token", "BEARER s3cret-token"),
        ("s3cret-token\n", "Bearer s3cret-token"),  # LLSD_AUTH_TOKEN from a Secret with a trailing newline
        ("  s3cret-token  ", "Bearer   s3cret-token "),
    ],
)
def test_the_token_is_accepted_as_metacontroller_builds_the_header(configured, header):
    """Metacontroller v4.17.2 sends `<authorization.type as typed> <trimmed Secret value>`."""
    client = create_app(Settings(bearer_token=configured)).test_client()
    request = sync_request(MINIMAL, [VLLM_SECRET])
    assert client.post("/sync", json=request, headers={"Authorization": header}).status_code == 200
    assert client.post("/customize", json=request, headers={"Authorization": header}).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer s3cret-tokenX",
        "Bearer s3cret",
        "Basic s3cret-token",
        "s3cret-token",
        "Bearers3cret-token",
        "Bearer",
        "",
    ],
)
def test_a_wrong_token_or_scheme_is_401(header):
    client = create_app(Settings(bearer_token="s3cret-token\n")).test_client()
    response = client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]), headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json() == {"error": "missing or wrong bearer token"}


def test_a_token_file_or_variable_with_a_trailing_newline_is_trimmed(tmp_path):
    (tmp_path / "token").write_text("from-file\n")
    assert Settings.from_env({"LLSD_AUTH_TOKEN_FILE": str(tmp_path / "token")}).bearer_token == "from-file"
    assert Settings.from_env({"LLSD_AUTH_TOKEN": "from-env\n"}).bearer_token == "from-env"
    assert Settings.from_env({"LLSD_AUTH_TOKEN": " \n"}).bearer_token is None


def test_a_hook_fault_is_a_500_without_a_stack_trace(client, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    key = LLAMA_STACK.parent_type
    monkeypatch.setitem(kinds.KINDS, key, dataclasses.replace(kinds.KINDS[key], parse=explode))
    response = client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    assert response.status_code == 500
    assert set(response.get_json()) == {"error", "request_id"}
    assert "Traceback" not in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


def test_metrics_count_syncs_by_outcome_and_status(client):
    def count(**labels: str) -> float:
        return sample_sum(client.get("/metrics").get_data(as_text=True), "llsd_hook_requests_total", **labels)

    before = {outcome: count(hook="sync", outcome=outcome, code="200") for outcome in ("ok", "unresolved_references")}
    unauthorized = count(hook="sync", outcome="unauthorized", code="401")
    client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    client.post("/sync", json=sync_request(MINIMAL, []))
    create_app(Settings(bearer_token="t")).test_client().post("/sync", json=sync_request(MINIMAL, []))
    assert count(hook="sync", outcome="ok", code="200") == before["ok"] + 1
    assert count(hook="sync", outcome="unresolved_references", code="200") == before["unresolved_references"] + 1
    assert count(hook="sync", outcome="unauthorized", code="401") == unauthorized + 1
    text = client.get("/metrics").get_data(as_text=True)
    assert sample_sum(text, "llsd_hook_request_duration_seconds_count", hook="sync", outcome="ok") >= 1


def test_log_lines_are_json_and_never_carry_secret_values(caplog):
    client = create_app(Settings(log_level="debug")).test_client()
    caplog.set_level(logging.DEBUG, logger="llsd_hook")
    client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    client.post("/sync", json=sync_request(MINIMAL, []))
    records = [r for r in caplog.records if r.name == "llsd_hook"]
    assert [r.fields["outcome"] for r in records] == ["ok", "unresolved_references"]
    from hooks.logs import JsonFormatter

    for record in records:
        line = JsonFormatter().format(record)
        entry = json.loads(line)
        assert {"request_id", "parent", "outcome", "duration_ms"} <= set(entry)
        assert CANARY not in line
        assert base64.b64encode(CANARY.encode()).decode() not in line


def _logged_outcomes(caplog, log_level: str) -> list[tuple[str, str]]:
    """(level, outcome) of the request lines a hook with `LLSD_LOG_LEVEL=log_level` writes for one
    healthy sync, one with a missing Secret and one without a token."""
    caplog.clear()
    app = create_app(Settings.from_env({"LLSD_LOG_LEVEL": log_level, "LLSD_AUTH_TOKEN": "t"}))
    client, auth = app.test_client(), {"Authorization": "Bearer t"}
    client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]), headers=auth)
    client.post("/sync", json=sync_request(MINIMAL, []), headers=auth)
    client.post("/sync", json=sync_request(MINIMAL, []))
    return [(r.levelname, r.fields["outcome"]) for r in caplog.records if r.getMessage() == "request"]


def test_by_default_only_requests_that_did_not_end_well_are_logged(caplog):
    """A live cluster syncs every instance after each status write: a line per healthy sync would
    bury the ones that matter. Debug shows every request."""
    caplog.set_level(logging.DEBUG, logger="llsd_hook")  # what reaches the handler is the logger's level
    assert _logged_outcomes(caplog, "info") == [("INFO", "unresolved_references"), ("INFO", "unauthorized")]
    assert _logged_outcomes(caplog, "debug") == [
        ("DEBUG", "ok"),
        ("INFO", "unresolved_references"),
        ("INFO", "unauthorized"),
    ]
    assert _logged_outcomes(caplog, "error") == []


def test_an_unknown_log_level_names_the_variable_and_the_choices():
    with pytest.raises(ValueError, match="LLSD_LOG_LEVEL must be one of debug, info, warning, error"):
        Settings.from_env({"LLSD_LOG_LEVEL": "verbose"})
