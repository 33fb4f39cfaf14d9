"""Pod Security Standards, checked the way the PodSecurity admission controller checks them.

Each check follows one file of `k8s.io/pod-security-admission/policy` (latest version of each
check): the same fields, the same allowed values. `violations(pod_spec, level)` lists every
problem with its field path (relative to the pod spec, prefix it with where the spec sits).

Used three ways: every pod the hook generates must pass "restricted" (a test runs every sample
and golden case through it); `podOverrides` may not add what "restricted" forbids; and the answer
firewall refuses any pod template in an answer that fails "baseline" (the hook never writes host
namespaces, hostPath or privileged containers, so such a template came from a tenant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

BASELINE = "baseline"
RESTRICTED = "restricted"

Violation = tuple[str, str]  # (field path, what is wrong)
PodSpec = dict[str, Any]

# check_capabilities_baseline.go
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
# check_sysctls.go (1.32)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
# check_seLinuxOptions.go
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
# check_restrictedVolumes.go: the only inline volume sources "restricted" allows
RESTRICTED_VOLUME_SOURCES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
RESTRICTED_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def containers(pod: PodSpec) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, container) for every init, main and ephemeral container."""
    for field in CONTAINER_LISTS:
        for index, container in enumerate(_list(pod.get(field))):
            if isinstance(container, dict):
                yield f"{field}[{index}]", container


def _security(container: dict[str, Any]) -> dict[str, Any]:
    return _dict(container.get("securityContext"))


# ---- baseline ---------------------------------------------------------------------------------


def host_namespaces(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [(field, "must not be true") for field in ("hostNetwork", "hostPID", "hostIPC") if pod.get(field) is True]


def privileged(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"{path}.securityContext.privileged", "must not be true")
        for path, container in containers(pod)
        if _security(container).get("privileged") is True
    ]


def capabilities_baseline(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    found = []
    for path, container in containers(pod):
        added = _list(_dict(_security(container).get("capabilities")).get("add"))
        bad = [str(cap) for cap in added if cap not in BASELINE_CAPABILITIES]
        if bad:
            found.append((f"{path}.securityContext.capabilities.add", f"non-default capabilities {bad}"))
    return found


def host_path_volumes(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"volumes[{index}].hostPath", "hostPath volumes are forbidden")
        for index, volume in enumerate(_list(pod.get("volumes")))
        if isinstance(volume, dict) and "hostPath" in volume
    ]


def host_ports(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"{path}.ports[{index}].hostPort", "must be unset or 0")
        for path, container in containers(pod)
        for index, port in enumerate(_list(container.get("ports")))
        if isinstance(port, dict) and port.get("hostPort") not in (None, 0)
    ]


def _contexts(pod: PodSpec) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, securityContext) of the pod and of every container."""
    yield "securityContext", _dict(pod.get("securityContext"))
    for path, container in containers(pod):
        yield f"{path}.securityContext", _security(container)


def app_armor(pod: PodSpec, metadata: dict[str, Any]) -> list[Violation]:
    found = [
        (f"{path}.appArmorProfile.type", "must be RuntimeDefault or Localhost")
        for path, context in _contexts(pod)
        if "appArmorProfile" in context and _dict(context["appArmorProfile"]).get("type") not in APPARMOR_TYPES
    ]
    for key, value in _dict(metadata.get("annotations")).items():
        if str(key).startswith(APPARMOR_ANNOTATION) and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            found.append((f"metadata.annotations[{key}]", "must be runtime/default or localhost/*"))
    return found


def selinux(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    found = []
    for path, context in _contexts(pod):
        options = _dict(context.get("seLinuxOptions"))
        if options.get("type", "") not in SELINUX_TYPES:
            found.append((f"{path}.seLinuxOptions.type", f"must be one of {sorted(SELINUX_TYPES)}"))
        found += [(f"{path}.seLinuxOptions.{key}", "must be unset") for key in ("user", "role") if options.get(key)]
    return found


def proc_mount(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"{path}.securityContext.procMount", "must be Default")
        for path, container in containers(pod)
        if _security(container).get("procMount") not in (None, "Default")
    ]


def seccomp_baseline(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"{path}.seccompProfile.type", "must not be Unconfined")
        for path, context in _contexts(pod)
        if _dict(context.get("seccompProfile")).get("type") == "Unconfined"
    ]


def sysctls(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"securityContext.sysctls[{index}].name", f"forbidden sysctl {item.get('name')!r}")
        for index, item in enumerate(_list(_dict(pod.get("securityContext")).get("sysctls")))
        if isinstance(item, dict) and item.get("name") not in SAFE_SYSCTLS
    ]


def windows_host_process(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"{path}.windowsOptions.hostProcess", "must not be true")
        for path, context in _contexts(pod)
        if _dict(context.get("windowsOptions")).get("hostProcess") is True
    ]


def host_probes_and_lifecycle(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    """Probe and lifecycle handlers may not name another host (check_hostProbesAndhostLifecycle.go)."""
    found = []
    for path, container in containers(pod):
        handlers = {name: container.get(name) for name in ("livenessProbe", "readinessProbe", "startupProbe")}
        lifecycle = _dict(container.get("lifecycle"))
        handlers.update({f"lifecycle.{name}": lifecycle.get(name) for name in ("postStart", "preStop")})
        found += [
            (f"{path}.{name}.{action}.host", "must be unset")
            for name, handler in handlers.items()
            for action in ("httpGet", "tcpSocket")
            if _dict(_dict(handler).get(action)).get("host")
        ]
    return found


# ---- restricted -------------------------------------------------------------------------------


def restricted_volumes(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    found = []
    for index, volume in enumerate(_list(pod.get("volumes"))):
        sources = set(_dict(volume)) - {"name"}
        bad = sorted(sources - RESTRICTED_VOLUME_SOURCES)
        if bad or not sources:
            found.append((f"volumes[{index}]", f"restricted volume type {bad or 'unknown'}"))
    return found


def allow_privilege_escalation(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [
        (f"{path}.securityContext.allowPrivilegeEscalation", "must be false")
        for path, container in containers(pod)
        if _security(container).get("allowPrivilegeEscalation") is not False
    ]


def run_as_non_root(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    pod_level = _dict(pod.get("securityContext")).get("runAsNonRoot")
    found = [("securityContext.runAsNonRoot", "must not be false")] if pod_level is False else []
    for path, container in containers(pod):
        value = _security(container).get("runAsNonRoot")
        if value is False or (value is None and pod_level is not True):
            found.append((f"{path}.securityContext.runAsNonRoot", "must be true (here or on the pod)"))
    return found


def run_as_user(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    return [(f"{path}.runAsUser", "must not be 0") for path, context in _contexts(pod) if context.get("runAsUser") == 0]


def seccomp_restricted(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    pod_type = _dict(_dict(pod.get("securityContext")).get("seccompProfile")).get("type")
    found = []
    if pod_type is not None and pod_type not in RESTRICTED_SECCOMP:
        found.append(("securityContext.seccompProfile.type", "must be RuntimeDefault or Localhost"))
    for path, container in containers(pod):
        kind = _dict(_security(container).get("seccompProfile")).get("type")
        if (kind is not None and kind not in RESTRICTED_SECCOMP) or (kind is None and pod_type is None):
            found.append((f"{path}.securityContext.seccompProfile.type", "must be RuntimeDefault or Localhost"))
    return found


def capabilities_restricted(pod: PodSpec, _: dict[str, Any]) -> list[Violation]:
    found = []
    for path, container in containers(pod):
        capabilities = _dict(_security(container).get("capabilities"))
        if "ALL" not in _list(capabilities.get("drop")):
            found.append((f"{path}.securityContext.capabilities.drop", "must include ALL"))
        bad = [str(cap) for cap in _list(capabilities.get("add")) if cap != "NET_BIND_SERVICE"]
        if bad:
            found.append((f"{path}.securityContext.capabilities.add", f"only NET_BIND_SERVICE may be added, not {bad}"))
    return found


Check = Callable[[PodSpec, dict[str, Any]], list[Violation]]
CHECKS: dict[str, tuple[Check, ...]] = {
    BASELINE: (
        host_namespaces,
        privileged,
        capabilities_baseline,
        host_path_volumes,
        host_ports,
        app_armor,
        selinux,
        proc_mount,
        seccomp_baseline,
        sysctls,
        windows_host_process,
        host_probes_and_lifecycle,
    ),
    RESTRICTED: (
        restricted_volumes,
        allow_privilege_escalation,
        run_as_non_root,
        run_as_user,
        seccomp_restricted,
        capabilities_restricted,
    ),
}
LEVELS = {BASELINE: (BASELINE,), RESTRICTED: (BASELINE, RESTRICTED)}
# As in the admission controller, restrictedVolumes replaces hostPathVolumes at "restricted".
OVERRIDDEN: dict[str, frozenset[Check]] = {BASELINE: frozenset(), RESTRICTED: frozenset({host_path_volumes})}


def violations(pod: Any, level: str, metadata: Any = None) -> list[Violation]:
    """Every rule of `level` the pod spec breaks (empty: admitted). `metadata` is the pod's (for
    AppArmor annotations)."""
    if not isinstance(pod, dict):
        return [("", "the pod spec must be an object")]
    checks = [check for name in LEVELS[level] for check in CHECKS[name] if check not in OVERRIDDEN[level]]
    return [found for check in checks for found in check(pod, _dict(metadata))]


def pod_template(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(pod metadata, pod spec) of a workload object's `spec.template`, or None."""
    template = _dict(_dict(obj.get("spec")).get("template"))
    if "spec" not in template:
        return None
    return _dict(template.get("metadata")), _dict(template.get("spec"))
