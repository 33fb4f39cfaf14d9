"""exposeRoute that works: the installation's Ingress class, host pattern, TLS and annotations on
every exposed instance, `status.routeURL` from the observed Ingress, and the ingress controller
admitted by the instance's NetworkPolicy."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from hooks.app import create_app
from hooks.exposure import Exposure
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import VLLM_SECRET
from tests.support.metacontroller import sync_request
from tests.support.objects import NOW

EXPOSED = llsd({"providers": {"inference": VLLM}}, network={"exposeRoute": True})
PLATFORM = {
    "LLSD_INGRESS_CLASS": "nginx",
    "LLSD_INGRESS_HOST": "{name}-{namespace}.apps.example.com",
    "LLSD_INGRESS_TLS_SECRET": "{name}-route-tls",
    "LLSD_INGRESS_ANNOTATIONS": '{"cert-manager.io/cluster-issuer": "corp"}',
    "LLSD_INGRESS_CONTROLLER_NAMESPACE": "ingress-nginx",
}


def sync(parent: dict[str, Any], env: dict[str, str], children: list[dict[str, Any]] = ()) -> dict[str, Any]:
    settings = Settings(exposure=Exposure.from_env(env), clock=lambda: NOW)
    secret = copy.deepcopy(VLLM_SECRET)
    secret["metadata"]["namespace"] = parent["metadata"]["namespace"]
    response = create_app(settings).test_client().post("/sync", json=sync_request(parent, [secret], children))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def child(response: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in response["children"] if c["kind"] == kind)


def test_the_installation_s_class_host_tls_and_annotations_reach_the_ingress():
    ingress = child(sync(EXPOSED, PLATFORM), "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"][0]["host"] == "demo-ai.apps.example.com"
    assert ingress["spec"]["tls"] == [{"hosts": ["demo-ai.apps.example.com"], "secretName": "demo-route-tls"}]
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "corp"}
    kubernetes_validate.validate(ingress, "1.30.0", strict=True)


def test_without_settings_the_ingress_is_upstream_s():
    ingress = child(sync(EXPOSED, {}), "Ingress")
    assert set(ingress["spec"]) == {"rules"}
    assert "host" not in ingress["spec"]["rules"][0]
    assert "annotations" not in ingress["metadata"]


def _observed(response: dict[str, Any], address: dict[str, str] | None) -> list[dict[str, Any]]:
    children = copy.deepcopy(response["children"])
    if address:
        child({"children": children}, "Ingress")["status"] = {"loadBalancer": {"ingress": [address]}}
    return children


def test_route_url_is_the_host_with_its_scheme_once_the_controller_admits_the_ingress():
    first = sync(EXPOSED, PLATFORM)
    assert first["status"]["routeURL"] == ""
    admitted = sync(EXPOSED, PLATFORM, _observed(first, {"ip": "203.0.113.7"}))
    assert admitted["status"]["routeURL"] == "https://demo-ai.apps.example.com"
    bare = sync(EXPOSED, {})
    assert sync(EXPOSED, {}, _observed(bare, {"hostname": "lb.example.com"}))["status"]["routeURL"] == (
        "http://lb.example.com"
    )


def test_a_host_too_long_for_dns_is_refused_with_the_field_and_the_fix():
    long_name = copy.deepcopy(EXPOSED)
    long_name["metadata"]["name"] = "a" * 40
    long_name["metadata"]["namespace"] = "b" * 30
    response = sync(long_name, PLATFORM)
    assert response["status"]["phase"] == "Failed"
    ready = next(c for c in response["status"]["conditions"] if c["type"] == "ConfigReady")
    assert ready["message"].startswith("spec.network.exposeRoute: the Ingress host '")
    assert "is not a valid DNS name" in ready["message"]


def peers(response: dict[str, Any]) -> list[dict[str, Any]]:
    return child(response, "NetworkPolicy")["spec"]["ingress"][0]["from"]


ROUTER = {"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "ingress"}}}
CONTROLLER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}


def test_an_exposed_instance_s_network_policy_admits_the_ingress_controller():
    """Else the route never reaches the pods: OpenShift's router always, another controller by
    the namespace the installation names."""
    exposed = llsd(
        {"providers": {"inference": VLLM}}, network={"exposeRoute": True, "allowedFrom": {"namespaces": ["apps"]}}
    )
    found = peers(sync(exposed, PLATFORM))
    assert found[-2:] == [ROUTER, CONTROLLER]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}} in found
    assert peers(sync(exposed, {}))[-1] == ROUTER
    assert peers(sync(EXPOSED, PLATFORM))[-2:] == [ROUTER, CONTROLLER], "the default policy too"
    kubernetes_validate.validate(child(sync(exposed, PLATFORM), "NetworkPolicy"), "1.30.0", strict=True)


def test_an_unexposed_instance_admits_no_ingress_controller():
    internal = llsd({"providers": {"inference": VLLM}}, network={"allowedFrom": {"namespaces": ["apps"]}})
    found = peers(sync(internal, PLATFORM))
    assert ROUTER not in found
    assert CONTROLLER not in found
    everyone = llsd(
        {"providers": {"inference": VLLM}}, network={"exposeRoute": True, "allowedFrom": {"namespaces": ["*"]}}
    )
    assert peers(sync(everyone, PLATFORM)) == [{"namespaceSelector": {}}], "every namespace already"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LLSD_INGRESS_HOST": "{name}.{cluster}.example.com"}, "only {name}, {namespace} may appear"),
        ({"LLSD_INGRESS_HOST": "{name}_x.example.com"}, "does not give a DNS name"),
        ({"LLSD_INGRESS_TLS_SECRET": "{namespace}-tls"}, "only {name} may appear"),
        ({"LLSD_INGRESS_ANNOTATIONS": '["a"]'}, "must be a JSON object"),
        ({"LLSD_INGRESS_CONTROLLER_NAMESPACE": "Ingress Nginx"}, "must be a namespace name"),
    ],
)
def test_a_bad_setting_stops_the_hook_at_start(env, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        Settings.from_env(env)
