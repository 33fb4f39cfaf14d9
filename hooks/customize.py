"""The customize hook: ask for exactly the Secrets and ConfigMaps the spec names.

Never an empty selector (that would list every Secret of the cluster); always `names`. With v2
the ConfigMaps may live in other namespaces (userConfig, CA bundle). An invalid spec asks for
nothing: the sync hook reports the spec error either way.
"""

from __future__ import annotations

from typing import Any

from generator import SpecError, parse_spec
from hooks.request import HookRequest


def _rule(resource: str, namespace: str, names: set[str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "resource": resource, "namespace": namespace, "names": sorted(names)}


def related_resources(request: HookRequest) -> dict[str, Any]:
    try:
        spec = parse_spec(request.parent)
    except SpecError:
        return {"relatedResources": []}
    secrets = {ref.secret_name for ref in spec.secret_refs}
    if spec.tls_secret_name:
        secrets.add(spec.tls_secret_name)
    configmaps: dict[str, set[str]] = {}
    for ref in (spec.user_config, spec.ca_bundle):
        if ref is not None:
            configmaps.setdefault(ref.namespace, set()).add(ref.name)
    rules = [_rule("secrets", spec.namespace, secrets)] if secrets else []
    rules += [_rule("configmaps", namespace, names) for namespace, names in sorted(configmaps.items())]
    return {"relatedResources": rules}
