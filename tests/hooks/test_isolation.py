"""Tenant isolation through POST /sync: what a tenant writes in their CR and their ConfigMaps
never reaches another namespace, and never puts a secret into a ConfigMap.

Each attack runs against a running instance (the hook's own first answer fed back as observed,
as Metacontroller does; no API server here): the answer keeps it and stays in the namespace.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hooks.app import create_app
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd, secret
from tests.hooks.cases import CA_PEM, MINIMAL, USER_CONFIG_TEXT, VLLM_SECRET, answer, with_status
from tests.support.metacontroller import sync_request
from tests.support.objects import NOW, configmap

PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nPrivateKeyCanary0000000000000000000000\n-----END PRIVATE KEY-----\n"
NOT_A_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n"


def _running() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    first = answer(sync_request(MINIMAL, [VLLM_SECRET]))
    return with_status(MINIMAL, first), first["children"]


def _edited(parent: dict[str, Any], server: dict[str, Any]) -> dict[str, Any]:
    parent = copy.deepcopy(parent)
    parent["spec"]["server"].update(server)
    parent["metadata"]["generation"] = 2
    return parent


def _post(request: dict[str, Any], **settings: Any) -> dict[str, Any]:
    app = create_app(Settings(clock=lambda: NOW, operator_version="0.1.0", **settings))
    response = app.test_client().post("/sync", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _conditions(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in response["status"]["conditions"]}


def _assert_running_instance_kept(response: dict[str, Any], children: list[dict[str, Any]]) -> None:
    assert response["status"]["phase"] == "Failed"
    assert sorted(json.dumps(c, sort_keys=True) for c in response["children"]) == sorted(
        json.dumps(c, sort_keys=True) for c in children
    ), "exactly the running children, nothing new"


USER_CONFIG_ELSEWHERE = {"userConfig": {"configMapName": "shared", "configMapNamespace": "tenant-b"}}
CA_ELSEWHERE = {"tlsConfig": {"caBundle": {"configMapName": "corp-ca", "configMapNamespace": "tenant-b"}}}


@pytest.mark.parametrize(
    ("server", "source"),
    [
        (USER_CONFIG_ELSEWHERE, configmap("shared", {"config.yaml": USER_CONFIG_TEXT}, namespace="tenant-b")),
        (CA_ELSEWHERE, configmap("corp-ca", {"ca-bundle.crt": CA_PEM}, namespace="tenant-b")),
    ],
    ids=["userConfig", "caBundle"],
)
def test_a_cross_namespace_reference_without_consent_is_refused_alike_whether_the_object_exists(server, source):
    parent, children = _running()
    if "userConfig" in server:
        parent["spec"]["server"] = {"distribution": {"name": "starter"}}
    edited = _edited(parent, server)
    present = _post(sync_request(edited, [VLLM_SECRET, source], children, generation=2))
    absent = _post(sync_request(edited, [VLLM_SECRET], children, generation=2))
    _assert_running_instance_kept(present, children)
    assert present == absent, "the answer must not tell whether another namespace's object exists"
    message = _conditions(present)["ConfigReady"]["message"]
    assert "not found or not shared with namespace 'ai'" in message
    assert "llamastack.io/allowed-namespaces: ai" in message
    assert USER_CONFIG_TEXT[:40] not in json.dumps(present)
    assert "MIIB" not in json.dumps(present), "no byte of tenant-b's ConfigMap is copied"


@pytest.mark.parametrize("consent", ["ai", "team-x, ai", "*"])
def test_a_configmap_that_shares_itself_with_the_namespace_is_used(consent):
    source = configmap("shared", {"config.yaml": USER_CONFIG_TEXT}, namespace="tenant-b", shared_with=consent)
    response = _post(sync_request(llsd(USER_CONFIG_ELSEWHERE), [source]))
    assert _conditions(response)["ConfigReady"]["reason"] == "UserConfig"
    copied = next(c for c in response["children"] if c["metadata"]["name"] == "demo-user-config")
    assert copied["metadata"]["namespace"] == "ai"


def test_sharing_with_another_namespace_is_not_consent_for_this_one():
    source = configmap("shared", {"config.yaml": USER_CONFIG_TEXT}, namespace="tenant-b", shared_with="ai-2,xai")
    response = _post(sync_request(llsd(USER_CONFIG_ELSEWHERE), [source]))
    assert _conditions(response)["ConfigReady"]["reason"] == "ConfigMapNotFound"


def test_the_installation_setting_allows_every_cross_namespace_reference():
    source = configmap("shared", {"config.yaml": USER_CONFIG_TEXT}, namespace="tenant-b")
    request = sync_request(llsd(USER_CONFIG_ELSEWHERE), [source])
    assert _conditions(_post(request))["ConfigReady"]["reason"] == "ConfigMapNotFound"
    allowed = _post(request, allow_cross_namespace_refs=True)
    assert _conditions(allowed)["ConfigReady"]["reason"] == "UserConfig"
    assert Settings.from_env({"LLSD_ALLOW_CROSS_NAMESPACE_REFS": "true"}).allow_cross_namespace_refs
    assert not Settings.from_env({}).allow_cross_namespace_refs


def test_the_ca_bundle_keeps_only_certificates_that_parse_as_x509():
    text = NOT_A_CERTIFICATE + PRIVATE_KEY + CA_PEM
    parent = llsd({"providers": {"inference": VLLM}, "tlsConfig": {"caBundle": {"configMapName": "corp-ca"}}})
    response = _post(sync_request(parent, [VLLM_SECRET, configmap("corp-ca", {"ca-bundle.crt": text})]))
    bundle = next(c for c in response["children"] if c["metadata"]["name"] == "demo-ca-bundle")
    assert bundle["data"]["ca-bundle.crt"] == CA_PEM
    assert "PrivateKeyCanary" not in json.dumps(response)


def test_a_ca_key_without_any_x509_certificate_is_reported_and_the_instance_kept():
    parent, children = _running()
    edited = _edited(parent, {"tlsConfig": {"caBundle": {"configMapName": "corp-ca"}}})
    junk = configmap("corp-ca", {"ca-bundle.crt": NOT_A_CERTIFICATE})
    response = _post(sync_request(edited, [VLLM_SECRET, junk], children, generation=2))
    _assert_running_instance_kept(response, children)
    assert "holds no PEM certificate that parses as X.509" in _conditions(response)["ConfigReady"]["message"]


@pytest.mark.parametrize(
    ("provider", "field", "fix"),
    [
        ({**VLLM, "config": {"api_token": "sk-live-CANARY"}}, "api_token", "apiKey: {secretKeyRef"),
        (
            {"provider": "pgvector", "config": {"password": "CANARY-pw", "host": "pg"}},
            "password",
            "secretRefs: {password: {secretKeyRef",
        ),
    ],
    ids=["vllm-api_token", "pgvector-password"],
)
def test_a_literal_secret_in_provider_config_is_refused_with_the_fix(provider, field, fix):
    parent, children = _running()
    api = "inference" if provider["provider"] == "vllm" else "vectorIo"
    edited = _edited(parent, {"providers": {**parent["spec"]["server"]["providers"], api: provider}})
    response = _post(sync_request(edited, [VLLM_SECRET], children, generation=2))
    _assert_running_instance_kept(response, children)
    message = _conditions(response)["ValidationSucceeded"]["message"]
    assert f"spec.server.providers.{api}.config.{field}: a secret must not be written into the config" in message
    assert fix in message
    assert "CANARY" not in json.dumps(response), "the literal is neither stored nor echoed"


def test_an_env_reference_in_a_secret_field_is_no_literal():
    parent = llsd({"providers": {"inference": {**VLLM, "config": {"api_token": "${env.MY_TOKEN}"}}}})
    del parent["spec"]["server"]["providers"]["inference"]["apiKey"]
    assert _conditions(_post(sync_request(parent, [VLLM_SECRET])))["ValidationSucceeded"]["status"] == "True"


@pytest.mark.parametrize("key", ["x;touch /tmp/pwn", "a b", "ünï", "x=1"])
def test_an_env_var_name_built_from_the_cr_must_be_valid(key):
    parent, children = _running()
    milvus = {"id": "mv", "provider": "milvus", "secretRefs": {key: secret("vllm-creds", "token")}}
    edited = _edited(parent, {"providers": {**parent["spec"]["server"]["providers"], "vectorIo": milvus}})
    response = _post(sync_request(edited, [VLLM_SECRET], children, generation=2))
    _assert_running_instance_kept(response, children)
    message = _conditions(response)["ValidationSucceeded"]["message"]
    assert "which is not valid; use ids and secretRefs keys of letters, digits" in message
