"""`kubectl apply -k manifests/` installs a valid set of objects, tied to what the hook returns."""

from __future__ import annotations

import re

import jsonschema
import kubernetes_validate
import pytest
import yaml

from generator import LINES
from hooks.children import CHILD_RESOURCES
from hooks.kinds import KINDS
from tests.manifests.cert_manager import CERT_MANAGER
from tests.manifests.crd import ROOT, kubernetes_version
from tests.manifests.kustomize import build, build_with_component, canonical, kubectl, kubectl_build, python_build

pytestmark = pytest.mark.slow  # kubectl kustomize in a subprocess

# kubernetes-validate knows Kubernetes' own kinds; Metacontroller's CompositeController is
# checked against the fields of its v4.17 API that this project relies on.
COMPOSITE_CONTROLLER = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "metacontroller.k8s.io/v1alpha1"},
        "kind": {"const": "CompositeController"},
        "spec": {
            "type": "object",
            "required": ["parentResource", "childResources", "hooks", "generateSelector"],
            "additionalProperties": False,
            "properties": {
                "generateSelector": {"const": True},
                "resyncPeriodSeconds": {"type": "integer", "minimum": 1},
                "parentResource": {
                    "type": "object",
                    "required": ["apiVersion", "resource"],
                    "additionalProperties": False,
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "resource": {"type": "string"},
                        "ignoreStatusChanges": {"type": "boolean"},
                    },
                },
                "childResources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["apiVersion", "resource", "updateStrategy"],
                        "additionalProperties": False,
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "resource": {"type": "string"},
                            "updateStrategy": {
                                "type": "object",
                                "properties": {
                                    "method": {
                                        "enum": ["OnDelete", "Recreate", "InPlace", "RollingRecreate", "RollingInPlace"]
                                    }
                                },
                            },
                        },
                    },
                },
                "hooks": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        name: {
                            "type": "object",
                            "required": ["version", "webhook"],
                            "properties": {
                                "version": {"const": "v2"},
                                "webhook": {
                                    "type": "object",
                                    "required": ["service", "path"],
                                    "properties": {
                                        # v4.17.2 reads cacheCleanupSeconds whenever cacheTimeoutSeconds
                                        # is set (a nil dereference otherwise): both or neither.
                                        "etag": {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "properties": {
                                                "enabled": {"type": "boolean"},
                                                "cacheTimeoutSeconds": {"type": "integer", "minimum": 1},
                                                "cacheCleanupSeconds": {"type": "integer", "minimum": 1},
                                            },
                                            "dependentRequired": {
                                                "cacheTimeoutSeconds": ["cacheCleanupSeconds"],
                                                "cacheCleanupSeconds": ["cacheTimeoutSeconds"],
                                            },
                                        },
                                    },
                                },
                            },
                        }
                        for name in ("sync", "customize")
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def installed() -> list[dict]:
    return build(ROOT / "manifests")


def test_kustomize_builds_crd_policy_hook_and_controller(installed):
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in installed)
    assert kinds == [
        "Certificate/llsd-hook-ca",
        "Certificate/llsd-hook-tls",
        "CompositeController/llamastackdistributions",
        "CompositeController/ogxservers",
        "CustomResourceDefinition/llamastackdistributions.llamastack.io",
        "CustomResourceDefinition/ogxservers.ogx.io",
        "Deployment/llsd-hook",
        "Issuer/llsd-hook-ca",
        "Issuer/llsd-hook-root",
        "Namespace/llsd-system",
        "NetworkPolicy/llsd-hook",
        "PodDisruptionBudget/llsd-hook",
        "Service/llsd-hook",
        "ServiceAccount/llsd-hook",
        "ValidatingAdmissionPolicy/llamastackdistributions.llamastack.io",
        "ValidatingAdmissionPolicyBinding/llamastackdistributions.llamastack.io",
    ]


@pytest.mark.skipif(kubectl() is None, reason="no kubectl: nothing to compare the Python resolver with")
def test_python_resolver_builds_what_kubectl_builds():
    """The fallback used where kubectl is missing must not pass a tree kubectl would refuse."""
    assert canonical(python_build(ROOT / "manifests")) == canonical(kubectl_build(ROOT / "manifests"))


def test_every_object_is_valid(installed):
    for obj in installed:
        if obj["kind"] == "CompositeController":
            jsonschema.validate(obj, COMPOSITE_CONTROLLER)
        elif obj["apiVersion"] == "cert-manager.io/v1":  # not in kubernetes-validate: see cert_manager.py
            jsonschema.validate(obj, CERT_MANAGER[obj["kind"]])
        else:
            kubernetes_validate.validate(obj, kubernetes_version(), strict=True)


def test_one_controller_per_served_kind(installed):
    controllers = [o for o in installed if o["kind"] == "CompositeController"]
    parents = {
        (c["spec"]["parentResource"]["apiVersion"], c["spec"]["parentResource"]["resource"]) for c in controllers
    }
    assert parents == {(line.api_version, line.plural) for line in LINES.values()}
    assert {(line.api_version, line.kind) for line in LINES.values()} == set(KINDS)


@pytest.mark.parametrize("name", ["llamastackdistributions", "ogxservers"])
def test_child_resources_match_what_the_hook_returns(installed, name):
    controller = next(o for o in installed if o["kind"] == "CompositeController" and o["metadata"]["name"] == name)
    declared = [(c["apiVersion"], c["resource"]) for c in controller["spec"]["childResources"]]
    assert sorted(declared) == sorted((api, resource) for api, resource, _ in CHILD_RESOURCES)
    methods = {c["resource"]: c["updateStrategy"]["method"] for c in controller["spec"]["childResources"]}
    assert methods.pop("persistentvolumeclaims") == "OnDelete"
    assert set(methods.values()) == {"InPlace"}


@pytest.mark.parametrize("name", ["llamastackdistributions", "ogxservers"])
def test_hooks_point_at_the_hook_service(installed, name):
    controller = next(o for o in installed if o["kind"] == "CompositeController" and o["metadata"]["name"] == name)
    service = next(o for o in installed if o["kind"] == "Service")
    for hook, path in (("sync", "/sync"), ("customize", "/customize")):
        webhook = controller["spec"]["hooks"][hook]["webhook"]
        assert webhook["path"] == path
        assert webhook["service"]["name"] == service["metadata"]["name"]
        assert webhook["service"]["namespace"] == service["metadata"]["namespace"]
        assert webhook["etag"]["enabled"] is True, "the hook answers ETag/304: Metacontroller must use them"


def test_hook_deployment_is_hardened_and_highly_available(installed):
    deployment = next(o for o in installed if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["command"][:2] == ["llsd-hook", "serve"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"requests", "limits"} <= set(container["resources"])
    # a read-only root filesystem still needs a writable /tmp (gunicorn's worker heartbeat files)
    tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
    assert next(v for v in pod["volumes"] if v["name"] == tmp["name"])["emptyDir"] == {}


def test_service_and_pdb_select_the_hook_pods_and_reach_its_port(installed):
    deployment = next(o for o in installed if o["kind"] == "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    bind = container["command"][container["command"].index("--bind") + 1]
    assert ports["https"] == int(bind.rsplit(":", 1)[1]) == 9443
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ("https", 9443)
        assert container[probe]["httpGet"]["scheme"] == "HTTPS"
    service = next(o for o in installed if o["kind"] == "Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == 443
    assert ports.get(port["targetPort"], port["targetPort"]) == 9443
    pdb = next(o for o in installed if o["kind"] == "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"], "the PDB must allow a drain"


def test_dockerfile_runs_the_hook_as_the_non_root_user_the_deployment_expects(installed):
    dockerfile = (ROOT / "manifests" / "Dockerfile").read_text()
    assert dockerfile.startswith("#")
    assert "FROM python:3.12-slim" in dockerfile
    user = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user, "the image sets a USER"
    assert user[-1].isdigit(), "a numeric USER lets runAsNonRoot verify it"
    assert int(user[-1]) != 0, "the USER is not root"
    deployment = next(o for o in installed if o["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(user[-1])


def test_sample_secrets_and_configmaps_are_valid_and_hold_only_placeholders():
    """Every sample brings what it references; nothing in them may look like a real secret."""
    for path in sorted((ROOT / "manifests" / "samples").glob("*.yaml")):
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        (llsd,) = [d for d in documents if d["kind"] == "LlamaStackDistribution"]
        for obj in documents:
            if obj["kind"] == "LlamaStackDistribution":
                continue
            kubernetes_validate.validate(obj, kubernetes_version(), strict=True)
            if obj["kind"] == "Secret":  # secretKeyRef is namespace-local: the LLSD's namespace
                assert obj["metadata"].get("namespace") == llsd["metadata"].get("namespace"), path.name
                for key, value in obj.get("stringData", {}).items():
                    assert "replace-me" in value, f"{path.name}: {obj['metadata']['name']}.{key}"
                assert "data" not in obj, f"{path.name}: use stringData with placeholders"
        referenced = set(re.findall(r"secretKeyRef: \{name: ([\w-]+)", path.read_text()))
        referenced |= set(re.findall(r"secretName: ([\w-]+)", path.read_text()))
        shipped = {d["metadata"]["name"] for d in documents if d["kind"] == "Secret"}
        assert referenced <= shipped, f"{path.name}: Secrets referenced but not shipped: {referenced - shipped}"


@pytest.mark.skipif(kubectl() is None, reason="no kubectl: the Python resolver does not do components")
def test_the_prometheus_component_scrapes_the_hook_service_metrics(tmp_path):
    """An overlay of the install plus the optional component: a ServiceMonitor that selects the
    hook's Service and scrapes a port the Service names, at the hook's /metrics."""
    objects = build_with_component(ROOT / "manifests", ROOT / "manifests" / "components" / "prometheus", tmp_path)
    service = next(o for o in objects if o["kind"] == "Service")
    (monitor,) = [o for o in objects if o["kind"] == "ServiceMonitor"]
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert len(objects) == len(build(ROOT / "manifests")) + 1, "the component only adds the ServiceMonitor"
