"""What makes every generated pod pass Pod Security Standards "restricted" (docs/security.md).

- The pod runs as a non-root user: `runAsNonRoot`, and `runAsUser`/`runAsGroup`/`fsGroup`
  from the installation (`LLSD_RUN_AS_USER`, default 1001). The llama-stack distribution images
  have no `USER` line (they would run as root) and keep their files readable by every user, so
  any non-zero uid runs them; 1001 is upstream's `fsGroup`. `LLSD_RUN_AS_USER=none` leaves the
  three out for platforms that assign a uid per namespace (OpenShift's restricted SCC).
- Every container (main, external-provider installs, merge) drops ALL capabilities, may not
  escalate, uses the runtime's default seccomp profile and has a read-only root filesystem.
- What llama-stack writes besides the storage mount gets an emptyDir: `/tmp` and `HOME`
  (`~/.llama`, `~/.cache`: Hugging Face, pip, matplotlib), so read-only roots work.

`pod_security_errors` checks the finished pod with the admission controller's own rules
(hooks/podsecurity.py): `podOverrides` may not add what "restricted" forbids.
"""

from __future__ import annotations

from typing import Any

from generator import SpecProblem
from hooks import podsecurity

HOME_DIR = "/home/llama-stack"
# (volume name, mount path) of the writable emptyDirs every container gets
WRITABLE_DIRS = (("tmp", "/tmp"), ("home", HOME_DIR))


def pod_security_context(run_as_user: int | None) -> dict[str, Any]:
    context: dict[str, Any] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if run_as_user is not None:
        context.update(runAsUser=run_as_user, runAsGroup=run_as_user, fsGroup=run_as_user)
    return context


def container_security_context() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def writable_volumes() -> list[dict[str, Any]]:
    return [{"name": name, "emptyDir": {}} for name, _ in WRITABLE_DIRS]


def writable_mounts() -> list[dict[str, Any]]:
    return [{"name": name, "mountPath": path} for name, path in WRITABLE_DIRS]


def pod_security_errors(pod_spec: dict[str, Any], override_volumes: int) -> list[SpecProblem]:
    """Every "restricted" rule the pod breaks, as spec errors. The last `override_volumes`
    volumes came from `spec.server.podOverrides.volumes`: their problems name that field."""
    own = len(pod_spec.get("volumes") or []) - override_volumes
    errors: list[SpecProblem] = []
    for path, message in podsecurity.violations(pod_spec, podsecurity.RESTRICTED):
        if path.startswith("volumes["):
            index = int(path[len("volumes[") : path.index("]")])
            if index >= own:
                errors.append(
                    {
                        "path": f"spec.server.podOverrides.volumes[{index - own}]",
                        "message": f"{message}: Pod Security 'restricted' allows only "
                        f"{', '.join(sorted(podsecurity.RESTRICTED_VOLUME_SOURCES))} volumes; use one of them",
                    }
                )
                continue
        message = f"the generated pod breaks Pod Security 'restricted' at {path}: {message}"
        errors.append({"path": "spec.server", "message": message})
    return errors
