"""Identical request bodies are answered from a short-lived per-worker cache, safely."""

from __future__ import annotations

import dataclasses
import json
import time

from generator import LLAMA_STACK
from hooks import kinds
from hooks.answers import AnswerCache, CachedAnswer
from hooks.app import create_app
from hooks.settings import Settings
from tests.hooks.cases import MINIMAL, VLLM_SECRET
from tests.support.metacontroller import sync_request

BODY = json.dumps(sync_request(MINIMAL, [VLLM_SECRET]))


def _parse_with(monkeypatch, parse):
    """The LLSD kind's parser replaced (the hook looks the kind up per request)."""
    key = LLAMA_STACK.parent_type
    monkeypatch.setitem(kinds.KINDS, key, dataclasses.replace(kinds.KINDS[key], parse=parse))


def post(client, body: str = BODY):
    return client.post("/sync", data=body, content_type="application/json")


def test_a_repeated_body_gets_the_same_answer_without_recomputing(monkeypatch):
    client = create_app(Settings(answer_cache_seconds=60)).test_client()
    first = post(client)
    assert post(client).get_data() == first.get_data()  # computed again: a body seen twice is kept

    def must_not_run(*args, **kwargs):
        raise AssertionError("recomputed")

    _parse_with(monkeypatch, must_not_run)
    second = post(client)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert post(client, BODY.replace('"generation": 1', '"generation": 2')).status_code == 500  # a new body is computed


def test_switched_off_every_request_is_computed(monkeypatch):
    client = create_app(Settings(answer_cache_seconds=0)).test_client()
    post(client)
    _parse_with(monkeypatch, lambda *a, **k: 1 / 0)
    assert post(client).status_code == 500


def test_errors_are_never_cached(monkeypatch):
    client = create_app(Settings(answer_cache_seconds=60)).test_client()
    _parse_with(monkeypatch, lambda *a, **k: 1 / 0)
    assert post(client).status_code == 500
    monkeypatch.undo()
    assert post(client).status_code == 200


def test_the_token_is_checked_before_the_cache():
    client = create_app(Settings(answer_cache_seconds=60, bearer_token="t")).test_client()
    assert client.post("/sync", data=BODY, headers={"Authorization": "Bearer t"}).status_code == 200
    assert client.post("/sync", data=BODY).status_code == 401


def _keep(cache: AnswerCache, hook: str, body: bytes, answer: CachedAnswer) -> None:
    """What the endpoint does for a request that comes twice: look it up, compute, keep."""
    for _ in range(2):
        key, _ = cache.lookup(hook, body)
        cache.put(key, body, answer)


def _get(cache: AnswerCache, hook: str, body: bytes) -> CachedAnswer | None:
    return cache.lookup(hook, body)[1]


def test_entries_expire_and_the_cache_is_bounded():
    cache = AnswerCache(seconds=0.05, size=2)
    answer = CachedAnswer(b"{}", "ok", "ns/x", '"tag"')
    _keep(cache, "sync", b"a", answer)
    assert _get(cache, "sync", b"a") == answer
    assert _get(cache, "customize", b"a") is None, "each hook has its own answers"
    time.sleep(0.06)
    assert _get(cache, "sync", b"a") is None
    for key in (b"1", b"2", b"3"):
        _keep(cache, "sync", key, answer)
    assert _get(cache, "sync", b"1") is None
    assert _get(cache, "sync", b"3") == answer


def test_a_request_seen_once_is_not_kept_so_a_live_cluster_does_not_churn_the_cache():
    """Live requests all differ (fresh resourceVersions): none is kept; a repeated one is."""
    cache = AnswerCache(seconds=60)
    answer = CachedAnswer(b'{"status":{}}', "ok", "ns/x", '"tag"')
    for number in range(1000):
        body = b'{"resourceVersion":"%d"}' % number
        key, found = cache.lookup("sync", body)
        assert found is None
        cache.put(key, body, answer)
    assert cache._bytes == 0
    assert not cache._entries
    assert len(cache._seen) <= cache.seen_size
    body = b'{"resourceVersion":"999"}'
    cache.put(cache.lookup("sync", body)[0], body, answer)  # its second time
    assert _get(cache, "sync", body) == answer


def test_the_cache_is_bounded_by_the_bytes_it_holds():
    """A busy cluster sends only different bodies: the cache must not grow a worker beyond its bound."""
    cache = AnswerCache(seconds=60, size=100, max_bytes=10_000)
    for index in range(20):
        _keep(cache, "sync", b"%03d" % index, CachedAnswer(b"x" * 997, "ok", "ns/x", '"tag"'))
    held = [index for index in range(20) if _get(cache, "sync", b"%03d" % index) is not None]
    assert held == list(range(10, 20)), "the ten most recent fit (request and answer bytes); older ones went first"
    _keep(cache, "sync", b"huge", CachedAnswer(b"x" * 20_000, "ok", "ns/x", '"tag"'))
    assert _get(cache, "sync", b"huge") is None
    assert _get(cache, "sync", b"019") is not None, "an answer too big to keep evicts nothing"


def test_a_request_whose_hash_collides_never_gets_the_other_requests_answer(monkeypatch):
    """The cache finds entries by a non-cryptographic hash: forced to collide, it still answers
    only the request byte-identical to the one the answer was computed for."""
    cache = AnswerCache(seconds=60)
    monkeypatch.setattr(AnswerCache, "key", staticmethod(lambda hook, body: b"one bucket"))
    theirs = CachedAnswer(b'{"children":["theirs"]}', "ok", "tenant-a/x", '"tag"')
    _keep(cache, "sync", b'{"parent":"tenant-a/x"}', theirs)
    assert _get(cache, "sync", b'{"parent":"tenant-b/y"}') is None
    assert _get(cache, "sync", b'{"parent":"tenant-a/x"}') == theirs
