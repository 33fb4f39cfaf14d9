"""The sync hook's memo of built children (hooks/built.py): answers byte for byte what building
afresh gives, and never a stale child when anything the children depend on changes."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from generator import parse_spec
from hooks.built import BUILDS, BuildMemo, dumps_plain
from hooks.related import Related
from hooks.request import parse_request
from hooks.sync import build, sync
from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import CA_PEM, CASES, USER_CONFIG_TEXT, VLLM_SECRET, configmap, request_for, settings
from tests.support.metacontroller import sync_request


def _sync(request: dict, hook_settings) -> tuple[bytes, dict]:
    result = sync(parse_request(json.loads(json.dumps(request))), hook_settings)
    body = result.body if result.body is not None else json.dumps(result.response, separators=(",", ":")).encode()
    return body, result.response


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_answer_is_the_same_bytes_built_afresh_or_from_the_memo(case):
    hook_settings = settings()
    request = request_for(case)
    BUILDS._entries.clear()
    first, response = _sync(request, hook_settings)
    assert first == json.dumps(response, separators=(",", ":")).encode(), "assembled exactly as json.dumps writes"
    again, _ = _sync(request, hook_settings)
    assert again == first


def _children(request: dict, hook_settings) -> dict:
    return {(c["kind"], c["metadata"]["name"]): c for c in _sync(request, hook_settings)[1]["children"]}


def test_a_change_of_anything_the_children_depend_on_is_never_answered_from_the_memo():
    hook_settings = settings()
    user = llsd({"userConfig": {"configMapName": "mine"}})
    ca = llsd(
        {
            "providers": {"inference": VLLM},
            "tlsConfig": {"caBundle": {"configMapName": "corp-ca", "configMapKeys": ["root.pem"]}},
        }
    )
    scaled = llsd({"providers": {"inference": VLLM}, "autoscaling": {"maxReplicas": 9}}, replicas=2)
    pairs = {
        "user config text": (
            sync_request(user, [configmap("mine", {"config.yaml": USER_CONFIG_TEXT})]),
            sync_request(user, [configmap("mine", {"config.yaml": USER_CONFIG_TEXT.replace("vllm:8000", "v2:8000")})]),
        ),
        "CA bundle": (
            sync_request(ca, [VLLM_SECRET, configmap("corp-ca", {"root.pem": CA_PEM})]),
            sync_request(ca, [VLLM_SECRET, configmap("corp-ca", {"root.pem": CA_PEM + CA_PEM})]),
        ),
    }
    first = _sync(sync_request(scaled, [VLLM_SECRET]), hook_settings)[1]
    running = sync_request(scaled, [VLLM_SECRET], first["children"])
    hpa_scaled = copy.deepcopy(running)
    next(iter(hpa_scaled["children"]["Deployment.apps/v1"].values()))["spec"]["replicas"] = 7
    pairs["replicas set by the HPA"] = (running, hpa_scaled)
    renamed = copy.deepcopy(running)
    renamed["parent"]["metadata"]["name"] = "other"
    pairs["parent name"] = (running, renamed)
    for what, (before, after) in pairs.items():
        assert _children(before, hook_settings) != _children(after, hook_settings), what
        assert _children(before, hook_settings) == _children(before, hook_settings), what


def test_other_settings_are_other_children():
    request = sync_request(llsd({"providers": {"inference": VLLM}}), [VLLM_SECRET])
    plain = _children(request, settings())
    mirrored = dataclasses.replace(settings(), image_overrides={"starter": "mirror.example.com/starter:1"})
    deployment = _children(request, mirrored)[("Deployment", "demo")]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "mirror.example.com/starter:1"
    assert plain[("Deployment", "demo")] != deployment


def test_the_memo_is_bounded_by_the_bytes_it_holds():
    hook_settings = settings()
    memo = BuildMemo(size=100, max_bytes=30_000)
    requests = [
        sync_request(llsd({"providers": {"inference": {**VLLM, "endpoint": f"http://v{i}:8000/v1"}}}), [VLLM_SECRET])
        for i in range(8)
    ]
    for request in requests:
        hook_request = parse_request(json.loads(json.dumps(request)))
        spec = parse_spec(hook_request.parent)
        related = Related(hook_request)
        memo.get(
            request["parent"]["spec"]["server"]["providers"]["inference"]["endpoint"].encode(),
            spec,
            hook_request,
            related,
            hook_settings,
            None,
            lambda spec=spec, hook_request=hook_request, related=related: build(
                spec, hook_request, related, hook_settings
            ),
        )
    assert 0 < len(memo._entries) < len(requests)
    assert memo._bytes == sum(len(entry.encoded) for entry in memo._entries.values()) <= 30_000


@pytest.mark.parametrize(
    "value",
    [
        {"message": "".join(chr(code) for code in range(128))},  # every ASCII character, DEL included
        {"message": "modèle café ☕ 模型"},  # not ASCII: the standard library escapes it
        {"counts": [0, -1, 2**63 - 1, -(2**63), 2**64, 10**30], "flags": [True, False, None]},
        {"nested": [{"a": []}, {}, [[]]], "empty": ""},
        {1: "a key that is not a string"},
    ],
)
def test_a_status_is_written_byte_for_byte_as_the_standard_library_writes_it(value):
    """The status goes through orjson when that gives the same bytes; whatever it holds, the
    answer is what `json.dumps(value, separators=(",", ":"))` writes (Metacontroller compares
    answers, and golden files are bytes)."""
    assert dumps_plain(value) == json.dumps(value, separators=(",", ":")).encode()
