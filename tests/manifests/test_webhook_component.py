"""The optional admission-webhook component: the install plus it builds, every Kubernetes object
is valid, and the pieces point at each other (webhook -> Service -> container port serving TLS
from the Secret of the Certificate whose CA cert-manager injects), for both parent kinds."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest

from tests.e2e.tls import self_signed_cert
from tests.generator.crs import llsd
from tests.manifests.crd import ROOT, kubernetes_version, load_crd, load_ogx_crd
from tests.manifests.kustomize import build, build_with_component, kubectl
from tests.support.admission import review
from tests.support.hook_server import HookServer

pytestmark = pytest.mark.slow  # kubectl kustomize in a subprocess

COMPONENT = ROOT / "manifests" / "components" / "admission-webhook"


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    if kubectl() is None:
        pytest.skip("no kubectl: the Python resolver does not do components")
    return build_with_component(ROOT / "manifests", COMPONENT, tmp_path_factory.mktemp("overlay"))


def one(objects, kind, name=None):
    (found,) = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    return found


def test_the_component_adds_only_the_webhook_pieces(objects):
    added = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in objects)
    base = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in build(ROOT / "manifests"))
    assert sorted(set(added) - set(base)) == [
        "Certificate/llsd-hook-webhook",
        "Issuer/llsd-hook-selfsigned",
        "NetworkPolicy/llsd-hook-webhook",
        "Service/llsd-hook-webhook",
        "ValidatingWebhookConfiguration/llsd-hook",
    ]
    for obj in objects:
        if obj["apiVersion"].startswith("cert-manager.io/"):
            continue  # not a Kubernetes kind: checked piece by piece below
        if obj["kind"] in ("CompositeController",):
            continue  # Metacontroller's, checked in test_install
        kubernetes_validate.validate(obj, kubernetes_version(), strict=True)


def test_the_webhook_reaches_a_tls_container_serving_validate(objects):
    webhook = one(objects, "ValidatingWebhookConfiguration")
    (hook,) = webhook["webhooks"]
    target = hook["clientConfig"]["service"]
    assert target["path"] == "/validate"
    service = one(objects, "Service", target["name"])
    assert service["metadata"]["namespace"] == target["namespace"]
    (port,) = [p for p in service["spec"]["ports"] if p["port"] == target["port"]]
    deployment = one(objects, "Deployment")
    pod = deployment["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    container = next(
        c for c in pod["spec"]["containers"] if port["targetPort"] in {p["name"] for p in c.get("ports", [])}
    )
    command = container["command"]
    certfile = command[command.index("--certfile") + 1]
    mount = next(m for m in container["volumeMounts"] if certfile.startswith(m["mountPath"] + "/"))
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == mount["name"])
    certificate = one(objects, "Certificate", "llsd-hook-webhook")
    assert volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    assert f"{target['name']}.{target['namespace']}.svc" in certificate["spec"]["dnsNames"]
    namespace = certificate["metadata"]["namespace"]
    assert webhook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == (
        f"{namespace}/{certificate['metadata']['name']}"
    )
    assert one(objects, "Issuer", certificate["spec"]["issuerRef"]["name"])["spec"] == {"selfSigned": {}}
    main = next(c for c in pod["spec"]["containers"] if c["name"] != container["name"])
    assert container["image"] == main["image"]
    assert container["env"] == main["env"]  # the same settings: image overrides, the bearer token file
    token_file = next(e["value"] for e in main["env"] if e["name"] == "LLSD_AUTH_TOKEN_FILE")
    main_mount = next(m for m in main["volumeMounts"] if token_file.startswith(m["mountPath"] + "/"))
    assert main_mount in container["volumeMounts"]


def test_the_webhook_covers_both_kinds_on_create_and_update_only(objects):
    (hook,) = one(objects, "ValidatingWebhookConfiguration")["webhooks"]
    assert (hook["sideEffects"], hook["failurePolicy"], hook["admissionReviewVersions"]) == ("None", "Fail", ["v1"])
    assert 1 <= hook["timeoutSeconds"] <= 10
    served = set()
    for crd in (load_crd(), load_ogx_crd()):
        spec = crd["spec"]
        served.add((spec["group"], spec["versions"][0]["name"], spec["names"]["plural"]))
    covered = {
        (group, version, resource)
        for rule in hook["rules"]
        for group in rule["apiGroups"]
        for version in rule["apiVersions"]
        for resource in rule["resources"]
    }
    assert covered == served
    assert all(rule["operations"] == ["CREATE", "UPDATE"] for rule in hook["rules"])


def test_the_api_servers_call_over_tls_gets_a_verdict_without_the_bearer_token(tmp_path):
    """What the API server does: HTTPS to /validate, checking the certificate against the injected
    CA, no Authorization header, while /sync requires Metacontroller's token."""
    self_signed_cert(tmp_path)
    env = {"LLSD_AUTH_TOKEN": "metacontroller-only", "LLSD_AUTH_TOKEN_FILE": ""}
    bad = llsd({"distribution": {"name": "nope"}})
    body = json.dumps(review(bad)).encode()
    with HookServer(
        workers=1, env=env, certfile=str(tmp_path / "tls.crt"), keyfile=str(tmp_path / "tls.key")
    ) as server:
        conn = server.connection()
        try:
            conn.request("POST", "/validate", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            status, answer = response.status, json.loads(response.read())
        finally:
            conn.close()
    assert status == 200
    assert answer["response"]["allowed"] is False
    (cause,) = answer["response"]["status"]["details"]["causes"]
    assert cause["field"] == "spec.server.distribution.name"
