"""Pod Security Standards "restricted" for every pod the hook generates.

hooks/podsecurity.py implements the checks of the PodSecurity admission controller
(k8s.io/pod-security-admission/policy, latest version of each check). The first test runs every
sample's and every golden case's pod through them; the others show each check refuses what the
admission controller refuses (so the first test can fail), and that `podOverrides` cannot bring a
forbidden volume into a running instance.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hooks import podsecurity
from hooks.app import create_app
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import MINIMAL, VLLM_SECRET, answer, with_status
from tests.support.metacontroller import sync_request
from tests.support.objects import NOW
from tests.support.paths import GOLDEN, sample_names


def _pods() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(case, pod metadata, pod spec) of every Deployment in every golden answer (samples included)."""
    found = []
    for response in sorted(GOLDEN.glob("*/response.json")):
        for child in json.loads(response.read_text()).get("children") or []:
            if child["kind"] == "Deployment":
                template = child["spec"]["template"]
                found.append((response.parent.name, template.get("metadata") or {}, template["spec"]))
    return found


PODS = _pods()


def test_every_sample_has_a_generated_pod_to_check():
    assert {f"sample-{name}" for name in sample_names()} <= {case for case, _, _ in PODS}


@pytest.mark.parametrize(("case", "metadata", "pod"), PODS, ids=[case for case, _, _ in PODS])
def test_every_generated_pod_passes_restricted(case, metadata, pod):
    assert podsecurity.violations(pod, podsecurity.RESTRICTED, metadata) == []
    for _, container in podsecurity.containers(pod):
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, container["name"]
        assert {"/tmp", "/home/llama-stack"} <= {m["mountPath"] for m in container["volumeMounts"]}


def _external_pod() -> dict[str, Any]:
    return next(pod for case, _, pod in PODS if case == "external-providers")


# (change to a compliant pod, the path the admission controller's check names)
BREAKS = [
    (lambda p: p.update(hostPID=True), "hostPID"),
    (lambda p: p.update(hostNetwork=True), "hostNetwork"),
    (lambda p: p["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "volumes[%d]"),
    (lambda p: p["volumes"].append({"name": "n", "nfs": {"server": "x", "path": "/"}}), "volumes[%d]"),
    (
        lambda p: p["containers"][0]["securityContext"].update(privileged=True),
        "containers[0].securityContext.privileged",
    ),
    (
        lambda p: p["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
        "containers[0].securityContext.capabilities.add",
    ),
    (
        lambda p: p["initContainers"][0]["securityContext"]["capabilities"].update(drop=[]),
        "initContainers[0].securityContext.capabilities.drop",
    ),
    (
        lambda p: p["initContainers"][1]["securityContext"].pop("allowPrivilegeEscalation"),
        "initContainers[1].securityContext.allowPrivilegeEscalation",
    ),
    (lambda p: p["securityContext"].update(runAsUser=0), "securityContext.runAsUser"),
    (lambda p: p["securityContext"].update(runAsNonRoot=False), "securityContext.runAsNonRoot"),
    (lambda p: p["securityContext"].pop("runAsNonRoot"), "containers[0].securityContext.runAsNonRoot"),
    (
        lambda p: p["securityContext"].update(seccompProfile={"type": "Unconfined"}),
        "securityContext.seccompProfile.type",
    ),
    (lambda p: p["securityContext"].pop("seccompProfile"), "initContainers[0].securityContext.seccompProfile.type"),
    (
        lambda p: p["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]),
        "securityContext.sysctls[0].name",
    ),
    (lambda p: p["containers"][0]["ports"][0].update(hostPort=80), "containers[0].ports[0].hostPort"),
    (
        lambda p: p["containers"][0]["securityContext"].update(procMount="Unmasked"),
        "containers[0].securityContext.procMount",
    ),
    (
        lambda p: p["securityContext"].update(seLinuxOptions={"type": "spc_t"}),
        "securityContext.seLinuxOptions.type",
    ),
    (
        lambda p: p["containers"][0]["securityContext"].update(appArmorProfile={"type": "Unconfined"}),
        "containers[0].securityContext.appArmorProfile.type",
    ),
]


@pytest.mark.parametrize(("change", "path"), BREAKS, ids=[path for _, path in BREAKS])
def test_each_check_refuses_what_admission_refuses(change, path):
    pod = copy.deepcopy(_external_pod())
    change(pod)
    if "%d" in path:
        path = path % (len(pod["volumes"]) - 1)
    assert path in [found for found, _ in podsecurity.violations(pod, podsecurity.RESTRICTED)]


def test_baseline_allows_what_only_restricted_forbids():
    pod = copy.deepcopy(_external_pod())
    pod["securityContext"] = {}
    for _, container in podsecurity.containers(pod):
        container.pop("securityContext")
    assert podsecurity.violations(pod, podsecurity.BASELINE) == []
    assert podsecurity.violations(pod, podsecurity.RESTRICTED)


@pytest.mark.parametrize(
    "volume",
    [{"name": "host", "hostPath": {"path": "/var/run/docker.sock"}}, {"name": "git", "gitRepo": {"repository": "x"}}],
    ids=["hostPath", "gitRepo"],
)
def test_pod_overrides_cannot_add_a_forbidden_volume_to_a_running_instance(volume):
    first = answer(sync_request(MINIMAL, [VLLM_SECRET]))
    parent = with_status(MINIMAL, first)
    parent["metadata"]["generation"] = 2
    parent["spec"]["server"]["podOverrides"] = {
        "volumes": [{"name": "data", "emptyDir": {}}, volume],
        "volumeMounts": [{"name": volume["name"], "mountPath": "/host"}],
    }
    response = (
        create_app(Settings(clock=lambda: NOW, operator_version="0.1.0"))
        .test_client()
        .post("/sync", json=sync_request(parent, [VLLM_SECRET], first["children"], generation=2))
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"]["phase"] == "Failed"
    by_name = sorted(first["children"], key=lambda c: (c["kind"], c["metadata"]["name"]))
    assert sorted(body["children"], key=lambda c: (c["kind"], c["metadata"]["name"])) == by_name, "kept as it was"
    ready = next(c for c in body["status"]["conditions"] if c["type"] == "ConfigReady")
    assert ready["message"].startswith("spec.server.podOverrides.volumes[1]: restricted volume type")
    assert "persistentVolumeClaim" in ready["message"]


def test_the_pod_user_is_an_installation_setting():
    def pod_context(settings: Settings) -> dict[str, Any]:
        client = create_app(settings).test_client()
        body = client.post(
            "/sync", json=sync_request(llsd({"providers": {"inference": VLLM}}), [VLLM_SECRET])
        ).get_json()
        return next(c for c in body["children"] if c["kind"] == "Deployment")["spec"]["template"]["spec"][
            "securityContext"
        ]

    assert pod_context(Settings.from_env({}))["runAsUser"] == 1001
    assert pod_context(Settings.from_env({"LLSD_RUN_AS_USER": "4242"}))["runAsUser"] == 4242
    platform = pod_context(Settings.from_env({"LLSD_RUN_AS_USER": "none"}))
    assert "runAsUser" not in platform
    assert platform["runAsNonRoot"] is True
    with pytest.raises(ValueError, match="non-zero uid"):
        Settings.from_env({"LLSD_RUN_AS_USER": "0"})
