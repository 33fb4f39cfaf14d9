"""Per external provider: its install phase, read from the pods' init-container statuses.

Metacontroller gives the hook no pods as children, so with external providers the customize
hook also asks for the instance's pods (by its selector labels) as related objects. The newest
pod running the current template speaks for the instance.
"""

from __future__ import annotations

import re
from typing import Any

from generator import ExternalProvider, Spec
from hooks.request import HookRequest
from hooks.status import Condition

MERGE_CONTAINER = "merge-config"
BLAMED = re.compile(r"Provider '([^']+)'")


def _newest_pod(request: HookRequest, spec: Spec) -> dict[str, Any] | None:
    pods = [
        pod
        for pod in (request.related.get("Pod.v1") or {}).values()
        if ((pod.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/instance") == spec.name
    ]
    return max(
        pods,
        key=lambda p: ((p.get("metadata") or {}).get("creationTimestamp") or "", p["metadata"].get("name", "")),
        default=None,
    )


def _phase(provider: ExternalProvider, status: dict[str, Any] | None) -> tuple[str, str]:
    if status is None:
        return "Pending", "Waiting for init container to start"
    state = status.get("state") or {}
    if "waiting" in state:
        reason = (state["waiting"] or {}).get("reason") or "Waiting"
        if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
            return (
                "Failed",
                f"Failed to pull provider image {provider.image} ({reason}); check the image and pull secrets",
            )
        return "Pending", reason
    if "running" in state:
        return "Installing", "Installing provider packages"
    terminated = state.get("terminated") or {}
    if terminated.get("exitCode") == 0:
        return "Ready", "Provider installed successfully"
    if terminated:
        detail = (terminated.get("message") or terminated.get("reason") or "").strip()[:500]
        return "Failed", f"Init container failed with exit code {terminated.get('exitCode')}: {detail}; see its log"
    return "Pending", "Waiting for init container to start"


def external_provider_status(request: HookRequest, spec: Spec) -> list[dict[str, Any]]:
    if not spec.external_providers:
        return []
    pod = _newest_pod(request, spec)
    statuses = {s.get("name"): s for s in ((pod or {}).get("status") or {}).get("initContainerStatuses") or []}
    report = []
    for provider in spec.external_providers:
        phase, message = _phase(provider, statuses.get(provider.init_container_name))
        report.append(
            {
                "providerId": provider.provider_id,
                "image": provider.image,
                "phase": phase,
                "message": message,
                "initContainerName": provider.init_container_name,
            }
        )
    merge = statuses.get(MERGE_CONTAINER)
    terminated = ((merge or {}).get("state") or {}).get("terminated") or {}
    if terminated and terminated.get("exitCode") != 0:
        detail = (terminated.get("message") or "").strip()[:500]
        named = set(BLAMED.findall(detail))  # the merge names the provider at fault when it can
        for item in report:
            if item["phase"] == "Ready" and (not named or item["providerId"] in named):
                item.update(phase="Failed", message=f"merge-config failed: {detail or 'see its log'}")
    return report


def external_providers_condition(report: list[dict[str, Any]]) -> Condition | None:
    """One condition over all external providers, so a failed install shows in `kubectl describe`."""
    if not report:
        return None
    failed = [f"{item['initContainerName']}: {item['message']}" for item in report if item["phase"] == "Failed"]
    if failed:
        return Condition("ExternalProvidersReady", "False", "ExternalProviderFailed", "; ".join(failed))
    if all(item["phase"] == "Ready" for item in report):
        return Condition(
            "ExternalProvidersReady", "True", "ExternalProvidersInstalled", "all external providers installed"
        )
    return Condition(
        "ExternalProvidersReady", "Unknown", "ExternalProvidersInstalling", "installing external providers"
    )
