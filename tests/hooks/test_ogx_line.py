"""An OGXServer through POST /sync and /customize: the OGX 1.5.0 line's pod, config and status.

The same hook answers both CompositeControllers; the parent's kind picks the server line. Here:
what an OGXServer gets that an LLSD does not (upstream's names), the `ogx.io/watch` label its
references need, `spec.baseConfig` read from a related ConfigMap, and the OGX image override key.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from hooks.app import create_app
from hooks.settings import Settings
from tests.support.metacontroller import sync_request
from tests.support.objects import CANARY, NOW, canary_secret, configmap

WATCH = {"ogx.io/watch": "true"}
OPENAI = {"remote": {"openai": [{"id": "openai-primary", "apiKey": {"name": "openai-creds", "key": "api-key"}}]}}


def ogxserver(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "ogx.io/v1beta1",
        "kind": "OGXServer",
        "metadata": {"name": "demo", "namespace": "ai"},
        "spec": {"distribution": {"name": "starter"}, **spec},
    }


def labelled(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["labels"] = dict(WATCH)
    return obj


SECRET = labelled(canary_secret("openai-creds", "api-key"))
GENERATED = ogxserver(
    providers={"inference": OPENAI}, resources={"models": [{"name": "gpt-4o-mini", "provider": "openai-primary"}]}
)


@pytest.fixture
def client():
    return create_app(Settings(clock=lambda: NOW, operator_version="0.1.0")).test_client()


def sync(client, parent, related=(), children=()):
    response = client.post("/sync", json=sync_request(parent, list(related), list(children)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert CANARY not in response.get_data(as_text=True)
    return response.get_json()


def child(answer, kind):
    return next(c for c in answer["children"] if c["kind"] == kind)


def test_an_ogxserver_gets_an_ogx_pod_as_upstream_names_it(client):
    answer = sync(client, GENERATED, [SECRET])
    assert {c["metadata"]["labels"]["app"] for c in answer["children"]} == {"ogx"}
    assert {c["metadata"]["labels"]["app.kubernetes.io/part-of"] for c in answer["children"]} == {"ogx"}
    deployment = child(answer, "Deployment")
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "ogx", "app.kubernetes.io/instance": "demo"}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "ogx"
    assert container["image"] == "docker.io/ogxai/distribution-starter:1.5.0"
    assert container["command"] == ["ogx", "run", "/etc/ogx/config.yaml", "--port", "8321"]
    env = {e["name"]: e for e in container["env"]}
    assert env["OGX_CONFIG"]["value"] == "/etc/ogx/config.yaml"
    assert env["OGX_PORT"]["value"] == "8321"
    assert env["OGX_WORKERS"]["value"] == "1"
    assert not {"LLAMA_STACK_CONFIG", "LLS_PORT", "LLS_WORKERS"} & set(env)
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/etc/ogx", "/.ogx"} <= mounts
    key_env = next(e for e in container["env"] if "valueFrom" in e)
    assert key_env["valueFrom"]["secretKeyRef"] == {"name": "openai-creds", "key": "api-key"}


def test_the_config_is_ogx_1_5s_own(client):
    answer = sync(client, GENERATED, [SECRET])
    config = yaml.safe_load(child(answer, "ConfigMap")["data"]["config.yaml"])
    assert {"interactions", "messages", "skills", "inference"} <= set(config["apis"])
    assert not {"safety", "eval", "scoring", "datasetio"} & set(config["apis"])
    assert config["server"]["insecure"] is True, "OGX refuses plain HTTP unless told; the Service fronts it"
    openai = next(p for p in config["providers"]["inference"] if p["provider_id"] == "openai-primary")
    assert openai["config"]["api_key"].startswith("${env.")
    assert "~/.ogx" not in yaml.safe_dump(config), "state goes under the storage mount"
    assert {"model_id": "gpt-4o-mini", "provider_id": "openai-primary"}.items() <= next(
        m for m in config["registered_resources"]["models"] if m["model_id"] == "gpt-4o-mini"
    ).items()


def test_the_registry_refresh_interval_reaches_the_server_block(client):
    answer = sync(client, {**GENERATED, "spec": {**GENERATED["spec"], "registryRefreshIntervalSeconds": 300}}, [SECRET])
    config = yaml.safe_load(child(answer, "ConfigMap")["data"]["config.yaml"])
    assert config["server"]["registry_refresh_interval_seconds"] == 300
    default = yaml.safe_load(child(sync(client, GENERATED, [SECRET]), "ConfigMap")["data"]["config.yaml"])
    assert "registry_refresh_interval_seconds" not in default["server"]


def test_status_uses_upstreams_names_and_reports_what_runs(client):
    first = sync(client, GENERATED, [SECRET])
    assert "version" not in first["status"] or "serverVersion" not in first["status"]["version"]
    assert "generatedConfigMap" not in first["status"]
    running = sync(client, GENERATED, [SECRET], first["children"])
    status = running["status"]
    assert status["phase"] == "Ready"
    assert status["resolvedDistribution"] == {"image": "docker.io/ogxai/distribution-starter:1.5.0"}
    assert status["version"]["serverVersion"] == "1.5.0"
    assert "llamaStackServerVersion" not in status["version"]
    assert status["configGeneration"]["configMapName"] == child(first, "ConfigMap")["metadata"]["name"]


def test_a_reference_without_the_watch_label_is_refused_and_the_instance_kept(client):
    running = sync(client, GENERATED, [SECRET])["children"]
    unlabelled = canary_secret("openai-creds", "api-key")
    answer = sync(client, GENERATED, [unlabelled], running)
    condition = next(c for c in answer["status"]["conditions"] if c["type"] == "SecretsResolved")
    assert condition["status"] == "False"
    assert 'ogx.io/watch: "true"' in condition["message"]
    assert "spec.providers.inference.remote.openai[0].apiKey" in condition["message"]
    assert {c["metadata"]["name"] for c in answer["children"]} == {c["metadata"]["name"] for c in running}


BASE = """\
version: 2
distro_name: mine
apis: [inference]
providers:
  inference:
  - provider_id: house-vllm
    provider_type: remote::vllm
    config:
      base_url: http://vllm.models:8000/v1
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /.ogx/kv.db}
    sql_default: {type: sql_sqlite, db_path: /.ogx/sql.db}
  stores:
    metadata: {backend: kv_default, namespace: registry}
    inference: {backend: sql_default, table_name: inference_store}
    conversations: {backend: sql_default, table_name: openai_conversations}
    prompts: {backend: kv_default, namespace: prompts}
"""


def test_base_config_comes_from_a_labelled_configmap_and_serves_a_bare_image(client):
    parent = ogxserver(
        baseConfig={"name": "house-base", "key": "config.yaml"},
        providers={"inference": OPENAI},
    )
    parent["spec"]["distribution"] = {"image": "registry.example.com/ogx-house:1.5.0"}
    base = labelled(configmap("house-base", {"config.yaml": BASE}))
    related = client.post("/customize", json={"parent": parent}).get_json()["relatedResources"]
    assert {"apiVersion": "v1", "resource": "configmaps", "namespace": "ai", "names": ["house-base"]} in related
    answer = sync(client, parent, [SECRET, base])
    config = yaml.safe_load(child(answer, "ConfigMap")["data"]["config.yaml"])
    assert [p["provider_id"] for p in config["providers"]["inference"]] == ["house-vllm", "openai-primary"]
    container = child(answer, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/ogx-house:1.5.0"
    assert container["command"][:3] == ["ogx", "run", "/etc/ogx/config.yaml"]

    without_label = configmap("house-base", {"config.yaml": BASE})
    refused = sync(client, parent, [SECRET, without_label], answer["children"])
    ready = next(c for c in refused["status"]["conditions"] if c["type"] == "ConfigReady")
    assert ready["status"] == "False"
    assert "spec.baseConfig" in ready["message"]
    assert "ogx.io/watch" in ready["message"]


def test_the_ogx_line_has_its_own_image_override_key():
    settings = Settings(clock=lambda: NOW, image_overrides={"ogx/starter": "mirror.example.com/ogx:1.5.0"})
    answer = sync(create_app(settings).test_client(), GENERATED, [SECRET])
    container = child(answer, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "mirror.example.com/ogx:1.5.0"
    settings = Settings(clock=lambda: NOW, image_overrides={"starter": "mirror.example.com/llama-stack:0.7.3"})
    answer = sync(create_app(settings).test_client(), GENERATED, [SECRET])
    container = child(answer, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "docker.io/ogxai/distribution-starter:1.5.0", "a bare key is the llama-stack line's"
