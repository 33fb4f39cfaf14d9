"""The Ingress `<llsd>-ingress`, only with `spec.network.exposeRoute`.

As upstream: one rule without host or ingressClassName (the cluster's default class), `/` to
the Service. Its address, once the controller sets one, becomes `status.routeURL`.
"""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import ingress_name, service_name
from hooks.children.labels import metadata


def ingress(spec: Spec) -> dict[str, Any] | None:
    if not (spec.raw.get("network") or {}).get("exposeRoute"):
        return None
    backend = {"service": {"name": service_name(spec.name), "port": {"number": spec.port}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(ingress_name(spec.name), spec.namespace, spec.name),
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]},
    }
