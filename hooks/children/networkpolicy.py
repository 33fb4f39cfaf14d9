"""The NetworkPolicy `<llsd>-network-policy`: every instance gets one by default.

The llama-stack API has no authentication and its pods hold the provider keys, so only the
LLSD's own namespace may reach the server port unless `spec.network.allowedFrom` opens more:
each namespace by name, each namespace carrying a label (`key`: the key exists, `key=value`: it
has that value, as upstream documents), `"*"` for every namespace. An installation that manages
network policy itself sets `LLSD_DEFAULT_NETWORK_POLICY=false`: then only an LLSD with
`allowedFrom` gets one (upstream's behaviour).

Peers are data (`_peers`). With `exposeRoute` the ingress controller is admitted too, or the route
would never reach the pods: OpenShift's router (namespaces labelled
`network.openshift.io/policy-group: ingress`, as upstream) and the namespace the installation
names in `LLSD_INGRESS_CONTROLLER_NAMESPACE` (hooks.exposure).
"""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import network_policy_name
from hooks.children.labels import metadata, selector_labels
from hooks.exposure import Exposure


def namespace_label_selector(label: str) -> dict[str, Any]:
    """`key` -> the key exists; `key=value` -> the label has that value."""
    key, has_value, value = label.partition("=")
    if has_value:
        return {"matchLabels": {key: value}}
    return {"matchExpressions": [{"key": key, "operator": "Exists"}]}


def _peers(allowed: dict[str, Any], controller: list[dict[str, Any]]) -> list[dict[str, Any]]:
    namespaces = allowed.get("namespaces") or []
    if "*" in namespaces:
        return [{"namespaceSelector": {}}]
    peers: list[dict[str, Any]] = [{"podSelector": {}}]  # pods of the LLSD's own namespace
    peers += [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}} for namespace in namespaces
    ]
    peers += [{"namespaceSelector": namespace_label_selector(label)} for label in allowed.get("labels") or []]
    return peers + controller  # an exposed instance's route must reach its pods


def network_policy(spec: Spec, by_default: bool = True, exposure: Exposure | None = None) -> dict[str, Any] | None:
    network = spec.raw.get("network") or {}
    allowed = network.get("allowedFrom")
    if allowed is None and not by_default:
        return None
    controller = (exposure or Exposure()).controller_peers() if network.get("exposeRoute") else []
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(network_policy_name(spec.name), spec.namespace, spec.name, spec.line),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(spec.name, spec.line)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": _peers(allowed or {}, controller), "ports": [{"protocol": "TCP", "port": spec.port}]}],
        },
    }
