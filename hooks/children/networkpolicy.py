"""The NetworkPolicy `<llsd>-network-policy`, only when `spec.network.allowedFrom` is set.

Peers as upstream (HEAD): every pod of the LLSD's namespace, then each allowed namespace by name,
then each namespace carrying an allowed label; `"*"` opens the port to every namespace.
"""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import network_policy_name
from hooks.children.labels import metadata, selector_labels


def _peers(allowed: dict[str, Any]) -> list[dict[str, Any]]:
    namespaces = allowed.get("namespaces") or []
    if "*" in namespaces:
        return [{"namespaceSelector": {}}]
    peers: list[dict[str, Any]] = [{"podSelector": {}}]  # pods of the LLSD's own namespace
    peers += [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}} for namespace in namespaces
    ]
    peers += [
        {"namespaceSelector": {"matchExpressions": [{"key": label, "operator": "Exists"}]}}
        for label in allowed.get("labels") or []
    ]
    return peers


def network_policy(spec: Spec) -> dict[str, Any] | None:
    allowed = (spec.raw.get("network") or {}).get("allowedFrom")
    if allowed is None:
        return None
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(network_policy_name(spec.name), spec.namespace, spec.name),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(spec.name)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": _peers(allowed), "ports": [{"protocol": "TCP", "port": spec.port}]}],
        },
    }
