"""The HTTP surface: status codes, JSON errors, auth, metrics, faults, and logs without secrets."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from hooks import sync as sync_module
from hooks.app import create_app
from hooks.settings import Settings
from tests.hooks.cases import CANARY, MINIMAL, VLLM_SECRET, settings
from tests.support.metacontroller import sync_request


@pytest.fixture
def client():
    return create_app(settings()).test_client()


def test_sync_and_customize_answer_json(client):
    response = client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    customize = client.post("/customize", json={"controller": {}, "parent": MINIMAL})
    assert customize.get_json() == {
        "relatedResources": [{"apiVersion": "v1", "resource": "secrets", "namespace": "ai", "names": ["vllm-creds"]}]
    }


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


def test_a_hook_fault_is_a_500_without_a_stack_trace(client, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sync_module, "generate", explode)
    response = client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    assert response.status_code == 500
    assert set(response.get_json()) == {"error", "request_id"}
    assert "Traceback" not in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


def test_metrics_count_syncs_by_outcome(client):
    client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    client.post("/sync", json=sync_request(MINIMAL, []))
    text = client.get("/metrics").get_data(as_text=True)
    assert 'llsd_hook_requests_total{hook="sync",outcome="ok"' in text
    assert 'llsd_hook_requests_total{hook="sync",outcome="unresolved_references"' in text
    assert "llsd_hook_request_duration_seconds_bucket" in text


def test_log_lines_are_json_and_never_carry_secret_values(client, caplog):
    caplog.set_level(logging.INFO, logger="llsd_hook")
    client.post("/sync", json=sync_request(MINIMAL, [VLLM_SECRET]))
    client.post("/sync", json=sync_request(MINIMAL, []))
    records = [r for r in caplog.records if r.name == "llsd_hook"]
    assert records
    from hooks.logs import JsonFormatter

    for record in records:
        line = JsonFormatter().format(record)
        entry = json.loads(line)
        assert {"request_id", "parent", "outcome", "duration_ms"} <= set(entry)
        assert CANARY not in line
        assert base64.b64encode(CANARY.encode()).decode() not in line
