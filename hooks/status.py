"""The parent's status: what was observed, in a form that does not change while the world doesn't.

A condition keeps its lastTransitionTime while its status stays the same, so an unchanged world
gives byte-identical status and Metacontroller writes nothing (no status storms).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from generator import LLAMA_STACK, OGX, ServerLine, Spec, SpecProblem
from generator.naming import service_name

MAX_MESSAGE = 4000


@dataclass(frozen=True)
class StatusNames:
    """Where each kind's status says a thing: LLSD keeps the seed's names, OGXServer upstream's."""

    server_version: str  # under `version`
    external_url: str  # the Ingress address
    generated_configmap: str | None  # the LLSD's top-level copy of configGeneration.configMapName


STATUS_NAMES: dict[ServerLine, StatusNames] = {
    LLAMA_STACK: StatusNames("llamaStackServerVersion", "routeURL", "generatedConfigMap"),
    OGX: StatusNames("serverVersion", "externalURL", None),
}

# A tag that names a release: `0.7.3`, `v1.5.0`, `1.5.0-rc1`, `0.7.3.post1` (not `latest`, `main`).
RELEASE_TAG = re.compile(r"^v?(?P<version>[0-9]+\.[0-9]+(?:\.[0-9]+)?(?:[-+.][0-9A-Za-z.-]+)?)$")


@lru_cache(maxsize=256)
def image_version(image: str) -> str | None:
    """The server release an image reference names by its tag, or None (no tag, `latest`, a bare
    digest). The hook cannot ask the running server (it makes no calls into tenant pods) nor read
    the image's labels (that needs a registry), so the tag of the image Kubernetes runs is the
    one observable statement of the version; a mirror that retags keeps a release tag to show it."""
    reference = image.split("@", 1)[0]
    name = reference.rsplit("/", 1)[-1]
    if ":" not in name:
        return None
    match = RELEASE_TAG.match(name.rsplit(":", 1)[1])
    return match.group("version") if match else None


def observed_image(observed_deployment: dict[str, Any] | None, container_name: str) -> str | None:
    """The image of the server container in the observed Deployment: what the cluster runs (or
    is rolling out), as opposed to what the hook would ask for."""
    template = ((observed_deployment or {}).get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    images = [c.get("image") for c in containers if isinstance(c, dict) and isinstance(c.get("image"), str)]
    named = [
        c["image"]
        for c in containers
        if isinstance(c, dict) and c.get("name") == container_name and isinstance(c.get("image"), str)
    ]
    return (named or images or [None])[0]


@dataclass(frozen=True)
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str


# The DeploymentReady conditions that say nothing but their reason (built once: read on every sync).
DEPLOYMENT_PENDING = Condition("DeploymentReady", "False", "DeploymentPending", "Deployment is pending")
DEPLOYMENT_INITIALIZING = Condition("DeploymentReady", "False", "DeploymentInitializing", "Deployment is pending")
DEPLOYMENT_READY = Condition("DeploymentReady", "True", "DeploymentReady", "Deployment is ready")


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


@dataclass(frozen=True)
class DeploymentView:
    """What the observed Deployment says about the running instance."""

    exists: bool = False
    desired: int = 0
    ready: int = 0
    available: int = 0
    rolled_out: bool = True
    stuck: bool = False  # the Deployment controller gave up waiting (ProgressDeadlineExceeded)

    def condition(self) -> Condition:
        return self._ready_condition

    @cached_property
    def _ready_condition(self) -> Condition:
        """`DeploymentReady`: asked for three times per sync, computed once (a view is not changed)."""
        if not self.exists:
            return DEPLOYMENT_PENDING
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
            return DEPLOYMENT_INITIALIZING
        if self.ready < self.desired or not self.rolled_out:
            return Condition(
                "DeploymentReady",
                "False",
                "DeploymentScaling" if self.rolled_out else "DeploymentRollingOut",
                f"Deployment is {'scaling' if self.rolled_out else 'rolling out'}: {self.ready}/{self.desired} "
                "replicas ready",
            )
        return DEPLOYMENT_READY

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
    stuck = False
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and c.get("reason") == "ProgressDeadlineExceeded":
            stuck = c.get("type") == "Progressing" and c.get("status") == "False"
            if stuck:
                break
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
    image: str | None = None  # observed: the image the Deployment runs
    line: ServerLine = LLAMA_STACK

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
        names = STATUS_NAMES[self.line]
        if self.spec is not None:
            scheme = "https" if self.spec.tls_secret_name else "http"
            status["serviceURL"] = (
                f"{scheme}://{service_name(self.spec.name)}.{self.spec.namespace}.svc.cluster.local:{self.spec.port}"
            )
        if self.image:
            status["resolvedDistribution"] = {"image": self.image}
            version = image_version(self.image)
            if version:
                status["version"][names.server_version] = version
        if self.route_url is not None:
            status[names.external_url] = self.route_url
        if self.config_map and names.generated_configmap:
            status[names.generated_configmap] = self.config_map
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
