"""`kubectl apply -k manifests/` is secure by default (issue 11, DESIGN §10): TLS from cert-manager
that Metacontroller trusts, a bearer token both sides read from one Secret, a NetworkPolicy that
admits only Metacontroller, a dedicated ServiceAccount, a `restricted` namespace whose pods pass
the admission controller's rules; and the optional least-privilege RBAC component."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from hooks import podsecurity
from tests.manifests.cert_manager import CERT_MANAGER
from tests.manifests.crd import ROOT, kubernetes_version
from tests.manifests.kustomize import build, build_with_component, kubectl

RBAC_COMPONENT = ROOT / "manifests" / "components" / "metacontroller-rbac"


@pytest.fixture(scope="module")
def installed() -> list[dict]:
    return build(ROOT / "manifests")


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    return found


def test_metacontroller_calls_the_hook_over_tls_it_trusts_with_the_token_the_hook_requires(installed):
    controllers = [o for o in installed if o["kind"] == "CompositeController"]
    assert len(controllers) == 2, "one per parent kind, both guarded alike"
    deployment = one(installed, "Deployment", "llsd-hook")
    pod = deployment["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "hook")
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    serving = one(installed, "Certificate", "llsd-hook-tls")
    service = one(installed, "Service", "llsd-hook")
    for controller, hook in [(c, h) for c in controllers for h in ("sync", "customize")]:
        webhook = controller["spec"]["hooks"][hook]["webhook"]
        assert webhook["service"]["protocol"] == "https"
        assert webhook["service"]["port"] == service["spec"]["ports"][0]["port"] == 443
        host = f"{webhook['service']['name']}.{webhook['service']['namespace']}"
        assert host in serving["spec"]["dnsNames"], "the certificate names the host Metacontroller calls"
        ca = webhook["caBundle"]["secretRef"]
        assert (ca["name"], ca["namespace"], ca["key"]) == (serving["spec"]["secretName"], "llsd-system", "ca.crt")
        auth = webhook["authorization"]
        assert auth["type"] == "Bearer"
        token = auth["secretRef"]
        assert token["namespace"] == deployment["metadata"]["namespace"]
        assert volumes[mounts["/auth"]]["secret"]["secretName"] == token["name"]
        assert volumes[mounts["/auth"]]["secret"]["items"] == [{"key": token["key"], "path": "token"}]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LLSD_AUTH_TOKEN_FILE"] == "/auth/token"
    assert volumes[mounts["/tls"]]["secret"]["secretName"] == serving["spec"]["secretName"]
    assert "--certfile" in container["command"] and container["command"][-1] == "/tls/tls.key"  # noqa: PT018
    # the CA outlives the serving certificate: renewals never change what Metacontroller trusts
    ca_issuer = one(installed, "Issuer", serving["spec"]["issuerRef"]["name"])
    ca_cert = next(c for c in installed if c["kind"] == "Certificate" and c["spec"].get("isCA"))
    assert ca_issuer["spec"]["ca"]["secretName"] == ca_cert["spec"]["secretName"]
    assert int(ca_cert["spec"]["duration"].rstrip("h")) > 10 * int(serving["spec"]["duration"].rstrip("h"))


def test_only_metacontroller_reaches_the_hook(installed):
    policy = one(installed, "NetworkPolicy", "llsd-hook")
    pod_labels = one(installed, "Deployment", "llsd-hook")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "metacontroller"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9443}]


def test_the_hook_runs_in_a_restricted_namespace_as_its_own_tokenless_service_account(installed):
    labels = one(installed, "Namespace", "llsd-system")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    account = one(installed, "ServiceAccount", "llsd-hook")
    assert account["automountServiceAccountToken"] is False
    deployment = one(installed, "Deployment", "llsd-hook")
    template = deployment["spec"]["template"]
    assert template["spec"]["serviceAccountName"] == "llsd-hook"
    assert podsecurity.violations(template["spec"], podsecurity.RESTRICTED, template["metadata"]) == []


@pytest.fixture(scope="module")
def with_rbac(tmp_path_factory) -> list[dict]:
    if kubectl() is None:
        pytest.skip("no kubectl: the Python resolver does not do components")
    return build_with_component(ROOT / "manifests", RBAC_COMPONENT, tmp_path_factory.mktemp("overlay"))


def test_the_least_privilege_component_grants_metacontroller_only_what_the_hook_needs(with_rbac, installed):
    role = one(with_rbac, "ClusterRole", "llsd-metacontroller")
    binding = one(with_rbac, "ClusterRoleBinding", "llsd-metacontroller")
    for obj in (role, binding):
        kubernetes_validate.validate(obj, kubernetes_version(), strict=True)
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "metacontroller", "namespace": "metacontroller"}]
    for rule in role["rules"]:
        assert "*" not in rule["apiGroups"] + rule["resources"] + rule["verbs"], rule
        if "secrets" in rule["resources"]:
            assert set(rule["verbs"]) == {"get", "list", "watch"}, "Secrets are read, never written"
    writable = {
        (g, r)
        for rule in role["rules"]
        if "create" in rule["verbs"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    children = [c for o in installed if o["kind"] == "CompositeController" for c in o["spec"]["childResources"]]
    for child in children:
        group = child["apiVersion"].rpartition("/")[0]
        assert (group, child["resource"]) in writable, child
    assert {r for g, r in writable if g in ("", "apps")} == {
        "configmaps", "services", "serviceaccounts", "persistentvolumeclaims", "deployments", "events"
    }, "no other core kinds: no Secrets, Pods, Roles"  # fmt: skip
    assert not {g for g, _ in writable} & {"rbac.authorization.k8s.io", "admissionregistration.k8s.io"}
    assert sorted(
        {f"{o['kind']}/{o['metadata']['name']}" for o in with_rbac}
        - {f"{o['kind']}/{o['metadata']['name']}" for o in installed}
    ) == ["ClusterRole/llsd-metacontroller", "ClusterRoleBinding/llsd-metacontroller"]


def test_cert_manager_schemas_refuse_what_cert_manager_would():
    serving = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "x", "namespace": "y"},
        "spec": {"secretName": "s", "dnsNames": ["a"], "issuerRef": {"name": "i", "kind": "Issuer"}},
    }
    jsonschema.validate(serving, CERT_MANAGER["Certificate"])
    for broken in (
        {**serving["spec"], "issuerRef": {"name": "i", "kind": "Cluster"}},
        {**serving["spec"], "duration": "90d"},
        {**serving["spec"], "dnsName": ["a"]},
        {"secretName": "s", "issuerRef": {"name": "i"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**serving, "spec": broken}, CERT_MANAGER["Certificate"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**serving, "kind": "Issuer", "spec": {"selfSigned": {}, "ca": {"secretName": "s"}}}, CERT_MANAGER["Issuer"]
        )
