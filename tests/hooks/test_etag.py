"""ETag and 304, as Metacontroller's `webhook.etag` uses them (emulated: it cannot run here).

Metacontroller v4.17.2 (`pkg/hooks/webhook_etag.go`) keeps the last 200 answer and its `ETag` per
parent, sends `If-None-Match: <that ETag>` with the next full request, and on a `304` replays its
copy. So a 304 must come exactly when the answer would be the same bytes.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from hooks.app import create_app
from tests.hooks.cases import MINIMAL, VLLM_SECRET
from tests.support.metacontroller import sync_request
from tests.support.objects import settings

SYNC = sync_request(MINIMAL, [VLLM_SECRET])
CUSTOMIZE = {"controller": {}, "parent": MINIMAL}


class EtagCache:
    """Metacontroller's side of `webhook.etag` for one parent: remember, send, replay."""

    def __init__(self, client, path: str) -> None:
        self.client, self.path = client, path
        self.etag: str | None = None
        self.body: bytes | None = None

    def call(self, request: dict) -> tuple[int, dict]:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        response = self.client.post(self.path, json=request, headers=headers)
        if response.status_code == 304:
            assert self.etag, "a 304 only answers an If-None-Match"
            assert response.get_data() == b"", "a 304 carries no body"
            return 304, json.loads(self.body)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.etag, self.body = response.headers["ETag"], response.get_data()
        return 200, response.get_json()


@pytest.mark.parametrize("cache_seconds", [60, 0], ids=["answer-cache", "no-answer-cache"])
@pytest.mark.parametrize(("path", "request_body"), [("/sync", SYNC), ("/customize", CUSTOMIZE)])
def test_an_unchanged_answer_is_a_304_and_a_changed_request_a_full_answer(cache_seconds, path, request_body):
    client = create_app(dataclasses.replace(settings(), answer_cache_seconds=cache_seconds)).test_client()
    metacontroller = EtagCache(client, path)

    code, first = metacontroller.call(request_body)
    assert code == 200
    assert metacontroller.etag.startswith('"')
    assert metacontroller.etag.endswith('"')
    first_etag = metacontroller.etag

    code, again = metacontroller.call(request_body)
    assert code == 304, "the same request: Metacontroller replays its copy"
    assert again == first, "the same request: Metacontroller replays its copy"

    changed = copy.deepcopy(request_body)
    if path == "/sync":
        changed["parent"]["spec"]["server"]["providers"]["inference"]["endpoint"] = "http://vllm-2:8000/v1"
    else:
        changed["parent"]["spec"]["server"]["providers"]["inference"]["apiKey"]["secretKeyRef"]["name"] = "other"
    code, answer = metacontroller.call(changed)
    assert code == 200
    assert answer != first
    assert metacontroller.etag != first_etag, "a different answer has a different ETag"

    code, _ = metacontroller.call(request_body)
    assert code == 200, "the first answer again: its ETag again"
    assert metacontroller.etag == first_etag, "the first answer again: its ETag again"


def test_a_request_whose_answer_does_not_change_is_a_304_even_if_its_bytes_differ():
    """A fresh resourceVersion on the parent changes the request, not the answer."""
    client = create_app(settings()).test_client()
    metacontroller = EtagCache(client, "/sync")
    metacontroller.call(SYNC)
    touched = copy.deepcopy(SYNC)
    touched["parent"]["metadata"]["resourceVersion"] = "12345"
    assert metacontroller.call(touched)[0] == 304


def test_a_foreign_or_stale_etag_gets_the_full_answer():
    client = create_app(settings()).test_client()
    for header in ('"0123"', "*", ""):
        response = client.post("/sync", json=SYNC, headers={"If-None-Match": header})
        assert response.status_code == 200, header
        assert response.get_json()["children"], header
    etag = client.post("/sync", json=SYNC).headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}'):
        assert client.post("/sync", json=SYNC, headers={"If-None-Match": header}).status_code == 304, header


def test_errors_carry_no_etag():
    client = create_app(settings()).test_client()
    response = client.post("/sync", data=b"not json", content_type="application/json")
    assert response.status_code == 400
    assert "ETag" not in response.headers
