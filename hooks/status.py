"""The parent's status: what was observed, in a form that does not change while the world doesn't.

A condition keeps its lastTransitionTime while its status stays the same, so an unchanged world
gives byte-identical status and Metacontroller writes nothing (no status storms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator import Spec, SpecProblem, llama_stack_version
from generator.naming import service_name

MAX_MESSAGE = 4000


@dataclass(frozen=True)
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str


def error_message(errors: list[SpecProblem]) -> str:
    """`path: message; path: message` within a size Kubernetes conditions take comfortably."""
    text = "; ".join(f"{e['path']}: {e['message']}" if e.get("path") else e["message"] for e in errors)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 20].rsplit("; ", 1)[0] + f"; ({len(errors)} problems in all)"
    return text


def _previous_conditions(parent: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status = parent.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if not isinstance(conditions, list):
        return {}
    return {c["type"]: c for c in conditions if isinstance(c, dict) and isinstance(c.get("type"), str)}


def render_conditions(parent: dict[str, Any], conditions: list[Condition], now: str) -> list[dict[str, Any]]:
    previous = _previous_conditions(parent)
    generation = (parent.get("metadata") or {}).get("generation")
    rendered = []
    for condition in conditions:
        before = previous.get(condition.type) or {}
        same = before.get("status") == condition.status and isinstance(before.get("lastTransitionTime"), str)
        item = {
            "type": condition.type,
            "status": condition.status,
            "reason": condition.reason,
            "message": condition.message,
            "lastTransitionTime": before["lastTransitionTime"] if same else now,
        }
        if isinstance(generation, int):
            item["observedGeneration"] = generation
        rendered.append(item)
    return rendered


@dataclass
class DeploymentView:
    """What the observed Deployment says about the running instance."""

    exists: bool = False
    desired: int = 0
    ready: int = 0
    available: int = 0
    rolled_out: bool = True
    stuck: bool = False  # the Deployment controller gave up waiting (ProgressDeadlineExceeded)

    def condition(self) -> Condition:
        if not self.exists:
            return Condition("DeploymentReady", "False", "DeploymentPending", "Deployment is pending")
        if self.stuck and not self.rolled_out:
            return Condition(
                "DeploymentReady",
                "False",
                "DeploymentRolloutStuck",
                f"the new pods did not become ready in time (ProgressDeadlineExceeded), {self.ready}/{self.desired} "
                "replicas ready; pods of the previous template keep running with their ConfigMap: see the new "
                "pods' events and logs",
            )
        if self.ready == 0:
            return Condition("DeploymentReady", "False", "DeploymentInitializing", "Deployment is pending")
        if self.ready < self.desired or not self.rolled_out:
            return Condition(
                "DeploymentReady",
                "False",
                "DeploymentScaling" if self.rolled_out else "DeploymentRollingOut",
                f"Deployment is {'scaling' if self.rolled_out else 'rolling out'}: {self.ready}/{self.desired} "
                "replicas ready",
            )
        return Condition("DeploymentReady", "True", "DeploymentReady", "Deployment is ready")

    def phase(self) -> str:
        if not self.exists:
            return "Pending"
        if self.condition().reason == "DeploymentRolloutStuck":
            return "Failed"
        return "Ready" if self.condition().status == "True" else "Initializing"


def deployment_view(observed: dict[str, Any] | None, rolled_out: bool) -> DeploymentView:
    if not observed:
        return DeploymentView()
    status = observed.get("status") or {}
    stuck = any(
        isinstance(c, dict)
        and c.get("type") == "Progressing"
        and c.get("status") == "False"
        and c.get("reason") == "ProgressDeadlineExceeded"
        for c in status.get("conditions") or []
    )
    return DeploymentView(
        exists=True,
        desired=int((observed.get("spec") or {}).get("replicas", 1) or 0),
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        rolled_out=rolled_out,
        stuck=stuck,
    )


def route_url(spec: Spec, observed_ingress: dict[str, Any] | None) -> str | None:
    """With exposeRoute: "" until the controller gives the Ingress an address; then its host (the
    address where it has none), https where it has TLS."""
    if not (spec.raw.get("network") or {}).get("exposeRoute"):
        return None
    observed = observed_ingress or {}
    ingress = ((observed.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    address = (ingress[0].get("hostname") or ingress[0].get("ip")) if ingress and isinstance(ingress[0], dict) else None
    if not address:
        return ""
    body = observed.get("spec") or {}
    rules = body.get("rules") or [{}]
    host = (rules[0] if isinstance(rules[0], dict) else {}).get("host") or address
    return f"{'https' if body.get('tls') else 'http'}://{host}"


@dataclass
class StatusReport:
    """Everything the status says; `render` turns it into the object Metacontroller writes."""

    phase: str
    conditions: list[Condition]
    deployment: DeploymentView
    operator_version: str
    spec: Spec | None = None
    config_map: str | None = None
    provider_count: int | None = None
    resource_count: int | None = None
    warnings: list[str] = field(default_factory=list)
    route_url: str | None = None
    previous_generation: dict[str, Any] | None = None
    external_providers: list[dict[str, Any]] = field(default_factory=list)

    def render(self, parent: dict[str, Any], now: str) -> dict[str, Any]:
        status: dict[str, Any] = {
            "phase": self.phase,
            "conditions": render_conditions(parent, self.conditions, now),
            "availableReplicas": self.deployment.available,
            "version": {"operatorVersion": self.operator_version},
        }
        generation = (parent.get("metadata") or {}).get("generation")
        if isinstance(generation, int):
            status["observedGeneration"] = generation
        if self.spec is not None:
            scheme = "https" if self.spec.tls_secret_name else "http"
            status["serviceURL"] = (
                f"{scheme}://{service_name(self.spec.name)}.{self.spec.namespace}.svc.cluster.local:{self.spec.port}"
            )
            if self.spec.distribution_name:
                status["version"]["llamaStackServerVersion"] = llama_stack_version()
        if self.route_url is not None:
            status["routeURL"] = self.route_url
        if self.config_map:
            status["generatedConfigMap"] = self.config_map
        if self.provider_count is not None:
            status["configGeneration"] = {
                "configMapName": self.config_map or "",
                "providerCount": self.provider_count,
                "resourceCount": self.resource_count or 0,
                "warnings": list(self.warnings),
            }
        elif self.previous_generation is not None:  # a failed sync: the running config's figures
            status["configGeneration"] = self.previous_generation
        if self.external_providers:
            status["externalProviderStatus"] = self.external_providers
        return status
