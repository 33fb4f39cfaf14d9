"""How `spec.network.exposeRoute` reaches an instance on this cluster: installation settings.

Upstream's Ingress has no host, class or TLS, and with `allowedFrom` its NetworkPolicy admits no
ingress controller, so the route never reaches the pods. Here the platform team says once, in
the hook's environment, what every exposed instance gets:

- `LLSD_INGRESS_CLASS`: `spec.ingressClassName` (else the cluster's default class);
- `LLSD_INGRESS_HOST`: a host pattern with `{name}` and `{namespace}`, e.g.
  `{name}-{namespace}.apps.example.com` (else no host: the controller's default backend);
- `LLSD_INGRESS_TLS_SECRET`: the TLS Secret of the Ingress in the instance's namespace, a pattern
  with `{name}` (e.g. `{name}-tls`, issued by cert-manager through an annotation) or one name;
- `LLSD_INGRESS_ANNOTATIONS`: a JSON object of annotations (e.g. `cert-manager.io/cluster-issuer`);
- `LLSD_INGRESS_CONTROLLER_NAMESPACE`: the ingress controller's namespace, admitted by the
  instance's NetworkPolicy. OpenShift's router (namespaces labelled
  `network.openshift.io/policy-group: ingress`) is always admitted for an exposed instance.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDERS = ("name", "namespace")
OPENSHIFT_ROUTER_PEER = {"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "ingress"}}}
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _check_pattern(variable: str, pattern: str, allowed: tuple[str, ...]) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    if not fields <= set(allowed):
        placeholders = ", ".join("{" + name + "}" for name in allowed)
        raise ValueError(f"{variable}: only {placeholders} may appear in {pattern!r}")


@dataclass(frozen=True)
class Exposure:
    """The installation's Ingress settings; defaults give upstream's bare Ingress."""

    ingress_class: str | None = None
    host_pattern: str | None = None
    tls_secret_pattern: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    controller_namespace: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Exposure:
        """Read and check the settings: a typo stops the hook at start instead of every Ingress."""
        annotations = json.loads(env.get("LLSD_INGRESS_ANNOTATIONS") or "{}")
        if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
            raise ValueError("LLSD_INGRESS_ANNOTATIONS must be a JSON object of annotation -> string")
        exposure = cls(
            ingress_class=env.get("LLSD_INGRESS_CLASS") or None,
            host_pattern=env.get("LLSD_INGRESS_HOST") or None,
            tls_secret_pattern=env.get("LLSD_INGRESS_TLS_SECRET") or None,
            annotations=annotations,
            controller_namespace=env.get("LLSD_INGRESS_CONTROLLER_NAMESPACE") or None,
        )
        if exposure.host_pattern:
            _check_pattern("LLSD_INGRESS_HOST", exposure.host_pattern, PLACEHOLDERS)
            if not DNS_SUBDOMAIN.match(exposure.host("a", "b") or ""):
                raise ValueError(f"LLSD_INGRESS_HOST: {exposure.host_pattern!r} does not give a DNS name")
        if exposure.tls_secret_pattern:
            _check_pattern("LLSD_INGRESS_TLS_SECRET", exposure.tls_secret_pattern, ("name",))
        if exposure.controller_namespace and not DNS_LABEL.match(exposure.controller_namespace):
            raise ValueError("LLSD_INGRESS_CONTROLLER_NAMESPACE must be a namespace name")
        return exposure

    def host(self, name: str, namespace: str) -> str | None:
        return self.host_pattern.format(name=name, namespace=namespace) if self.host_pattern else None

    def tls_secret(self, name: str) -> str | None:
        return self.tls_secret_pattern.format(name=name) if self.tls_secret_pattern else None

    def controller_peers(self) -> list[dict[str, Any]]:
        """NetworkPolicy peers for the ingress controller of an exposed instance."""
        peers: list[dict[str, Any]] = [OPENSHIFT_ROUTER_PEER]
        if self.controller_namespace:
            selector = {"matchLabels": {"kubernetes.io/metadata.name": self.controller_namespace}}
            peers.append({"namespaceSelector": selector})
        return peers
