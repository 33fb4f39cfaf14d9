"""The customize hook: ask for exactly the Secrets and ConfigMaps the spec names, and for every
object of a name the hook's children would take (to report one that is not ours, hooks.ownership).

Never an empty selector (that would list every Secret of the cluster): `names`, and for the
pods of an instance with external providers its own selector labels. With v2
the ConfigMaps may live in other namespaces (userConfig, CA bundle). An invalid spec asks for
nothing: the sync hook reports the spec error either way.
"""

from __future__ import annotations

from typing import Any

from generator import SpecError
from hooks.baseconfig import base_config_ref
from hooks.children.labels import selector_labels
from hooks.ownership import child_rules
from hooks.request import HookRequest


def _rule(resource: str, namespace: str, names: set[str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "resource": resource, "namespace": namespace, "names": sorted(names)}


def related_resources(request: HookRequest) -> dict[str, Any]:
    try:
        spec = request.kind.parse(request.parent)
    except SpecError:
        return {"relatedResources": []}
    secrets = {ref.secret_name for ref in spec.secret_refs}
    if spec.tls_secret_name:
        secrets.add(spec.tls_secret_name)
    secrets |= {source.name for source in spec.env_from if source.kind == "Secret"}
    configmaps: dict[str, set[str]] = {}
    for ref in (spec.user_config, spec.ca_bundle, base_config_ref(spec)):
        if ref is not None:
            configmaps.setdefault(ref.namespace, set()).add(ref.name)
    for source in spec.env_from:
        if source.kind == "ConfigMap":
            configmaps.setdefault(spec.namespace, set()).add(source.name)
    rules = [_rule("secrets", spec.namespace, secrets)] if secrets else []
    rules += [_rule("configmaps", namespace, names) for namespace, names in sorted(configmaps.items())]
    if spec.external_providers:  # their install status lives in the pods' init containers
        rules.append(
            {
                "apiVersion": "v1",
                "resource": "pods",
                "namespace": spec.namespace,
                "labelSelector": {"matchLabels": selector_labels(spec.name, spec.line)},
            }
        )
    rules += child_rules(spec.name, spec.namespace)
    return {"relatedResources": rules}
