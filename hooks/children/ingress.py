"""The Ingress `<llsd>-ingress`, only with `spec.network.exposeRoute`.

As upstream, one rule sends `/` to the Service; the installation's settings (hooks.exposure) add
the Ingress class, a host from the pattern, TLS and annotations. Its address, once the
controller sets one, becomes `status.routeURL`.
"""

from __future__ import annotations

import copy
from typing import Any

from generator import Spec, SpecError
from generator.naming import ingress_name, service_name
from hooks.children.labels import metadata
from hooks.exposure import DNS_SUBDOMAIN, Exposure


def _host(spec: Spec, exposure: Exposure) -> str | None:
    host = exposure.host(spec.name, spec.namespace)
    if host is not None and not DNS_SUBDOMAIN.match(host):
        raise SpecError(
            [
                {
                    "path": "spec.network.exposeRoute",
                    "message": f"the Ingress host '{host}' made from the installation's LLSD_INGRESS_HOST is not a "
                    "valid DNS name (each part at most 63 characters); use a shorter name or ask for another pattern",
                }
            ]
        )
    return host


def ingress(spec: Spec, exposure: Exposure | None = None) -> dict[str, Any] | None:
    if not (spec.raw.get("network") or {}).get("exposeRoute"):
        return None
    exposure = exposure or Exposure()
    backend = {"service": {"name": service_name(spec.name), "port": {"number": spec.port}}}
    rule: dict[str, Any] = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
    host = _host(spec, exposure)
    if host:
        rule = {"host": host, **rule}
    body: dict[str, Any] = {"rules": [rule]}
    if exposure.ingress_class:
        body = {"ingressClassName": exposure.ingress_class, **body}
    secret = exposure.tls_secret(spec.name)
    if secret:
        if not DNS_SUBDOMAIN.match(secret):
            raise SpecError(
                [
                    {
                        "path": "spec.network.exposeRoute",
                        "message": f"the Ingress TLS Secret name '{secret}' is not valid",
                    }
                ]
            )
        body["tls"] = [{"hosts": [host], "secretName": secret} if host else {"secretName": secret}]
    meta = metadata(ingress_name(spec.name), spec.namespace, spec.name, spec.line)
    if exposure.annotations:
        meta["annotations"] = copy.deepcopy(exposure.annotations)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": body}
