"""The answer firewall: the one check every /sync answer passes before it leaves.

Metacontroller runs with wide RBAC (`*/*/*`) and creates or updates whatever a 200 answer lists,
in whatever namespace it names: the hook is the only guard. Observed children carry input a
namespace tenant controls (an `edit` role can rewrite their labels, annotations, and the
last-applied annotation Metacontroller reads back), so an answer built from them is checked:

- every child is of a kind the CompositeController declares (`CHILD_RESOURCES`, which a test
  ties to metacontroller/compositecontroller.yaml's childResources);
- it sits in the parent's namespace;
- it bears a name the hook derives from the parent (`NAME_TABLES`, one table per parent kind,
  built from generator/naming.py);
- a pod template in it passes Pod Security "baseline": the hook never writes host namespaces,
  hostPath, privileged or added capabilities, so such a template came from a tenant.

A violation raises `FirewallViolation`; the app answers 500 and logs what was refused
(Metacontroller then changes nothing: the running instance goes on).

`as_applied` is the other half: when an observed child's last-applied annotation may stand for
the child (the failure paths and the ConfigMaps kept during a rollout answer children as they are).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from generator import naming
from hooks import podsecurity
from hooks.children import CHILD_RESOURCES

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
SERVER_OWNED_METADATA = (
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "managedFields",
    "ownerReferences",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
# What the hook writes in a child: anything else in a last-applied annotation was put there by hand.
WRITTEN_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "data", "automountServiceAccountToken"})
WRITTEN_METADATA = frozenset({"name", "namespace", "labels", "annotations"})

DECLARED_TYPES = frozenset((api_version, kind) for api_version, _, kind in CHILD_RESOURCES)

NameRule = Callable[[str, str], bool]  # (parent name, child name) -> is it one the hook gives


def _exactly(derive: Callable[[str], str]) -> NameRule:
    return lambda parent, name: name == derive(parent)


# Child names per parent kind, from generator/naming.py: child kind -> the rules one of which the
# child's name must satisfy. A second parent kind (OGXServer) adds its own table here.
NameTable = dict[str, tuple[NameRule, ...]]
LLSD_NAMES: NameTable = {
    "Deployment": (_exactly(naming.deployment_name),),
    "Service": (_exactly(naming.service_name),),
    "ServiceAccount": (_exactly(naming.service_account_name),),
    "PersistentVolumeClaim": (_exactly(naming.pvc_name),),
    "NetworkPolicy": (_exactly(naming.network_policy_name),),
    "Ingress": (_exactly(naming.ingress_name),),
    "PodDisruptionBudget": (_exactly(naming.pdb_name),),
    "HorizontalPodAutoscaler": (_exactly(naming.hpa_name),),
    "ConfigMap": (
        naming.is_config_map_name,
        _exactly(naming.ca_bundle_name),
        _exactly(naming.user_config_copy_name),
    ),
}
DEFAULT_PARENT_KIND = "LlamaStackDistribution"
# An OGXServer's children are named as upstream's OGX operator names them, which is as an LLSD's.
NAME_TABLES: dict[str, NameTable] = {DEFAULT_PARENT_KIND: LLSD_NAMES, "OGXServer": LLSD_NAMES}


class FirewallViolation(Exception):
    """An answer would reach outside what the parent owns; `problems` say which child and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Parent:
    kind: str
    namespace: str
    name: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _identity(obj: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """(apiVersion, kind, namespace, name); a field that is not a string counts as absent."""
    metadata: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    return (
        _text(obj.get("apiVersion")),
        _text(obj.get("kind")),
        _text(metadata.get("namespace")),
        _text(metadata.get("name")),
    )


def _images(obj: dict[str, Any]) -> set[str]:
    template = podsecurity.pod_template(obj)
    if template is None:
        return set()
    return {str(c.get("image")) for _, c in podsecurity.containers(template[1])}


def _pod_problems(obj: dict[str, Any]) -> list[str]:
    template = podsecurity.pod_template(obj)
    if template is None:
        return []
    metadata, pod = template
    found = podsecurity.violations(pod, podsecurity.BASELINE, metadata)
    return [f"spec.template.spec.{path}: {message}" for path, message in found]


def trusted(applied: Any, observed: dict[str, Any]) -> bool:
    """A last-applied annotation stands for the child only if it names the observed object itself
    and holds nothing the hook would not write."""
    if not isinstance(applied, dict) or not isinstance(applied.get("metadata"), dict):
        return False
    if _identity(applied) != _identity(observed) or None in _identity(applied):
        return False
    if set(applied) - WRITTEN_FIELDS or set(applied["metadata"]) - WRITTEN_METADATA:
        return False
    # a pod template may not bring images the running object does not already use
    return not _pod_problems(applied) and _images(applied) <= _images(observed)


def _stripped(observed: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in observed.items() if k != "status"}
    metadata = {k: v for k, v in (observed.get("metadata") or {}).items() if k not in SERVER_OWNED_METADATA}
    if isinstance(metadata.get("annotations"), dict):
        metadata["annotations"] = {k: v for k, v in metadata["annotations"].items() if k != LAST_APPLIED}
        if not metadata["annotations"]:
            del metadata["annotations"]
    cleaned["metadata"] = metadata
    return cleaned


def as_applied(observed: dict[str, Any]) -> dict[str, Any]:
    """An observed child as we last asked for it: its last-applied annotation when trusted, else
    the object without status and server-owned metadata (what runs now)."""
    annotations = (observed.get("metadata") or {}).get("annotations") or {}
    last = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if isinstance(last, str):
        try:
            applied = json.loads(last)
        except ValueError:
            applied = None
        if trusted(applied, observed):
            return dict(applied)
    return _stripped(observed)


def _child_problems(child: Any, parent: Parent, names: NameTable) -> list[str]:
    if not isinstance(child, dict) or not isinstance(child.get("metadata"), dict):
        return ["a child without metadata"]
    api_version, kind, namespace, name = _identity(child)
    where = f"{kind} {namespace}/{name}"
    if (api_version, kind) not in DECLARED_TYPES:
        return [f"{where}: {api_version} {kind} is not a declared child type"]
    problems = []
    if namespace != parent.namespace:
        problems.append(f"{where}: not in the parent's namespace {parent.namespace!r}")
    if not isinstance(name, str) or not any(rule(parent.name, name) for rule in names.get(kind or "", ())):
        problems.append(f"{where}: not a name the hook gives a {kind} of {parent.kind} {parent.name!r}")
    return problems + [f"{where}: {problem}" for problem in _pod_problems(child)]


def check(parent: dict[str, Any], response: dict[str, Any], verified: Collection[int] = ()) -> None:
    """Raise FirewallViolation unless every child of the answer is the parent's own (module doc).

    `verified`: ids of children this check already passed for this same parent (the memoised
    children of hooks/built.py, held unchanged while their ids are listed): not walked again."""
    metadata = parent.get("metadata") or {}
    kind = _text(parent.get("kind"))
    kind = kind if kind in NAME_TABLES else DEFAULT_PARENT_KIND
    owner = Parent(str(kind), str(metadata.get("namespace") or "default"), str(metadata.get("name")))
    children = response.get("children")
    if not isinstance(children, list):
        raise FirewallViolation(["the answer has no children list (Metacontroller would delete every child)"])
    problems = [
        p
        for child in children
        if id(child) not in verified
        for p in _child_problems(child, owner, NAME_TABLES[owner.kind])
    ]
    if problems:
        raise FirewallViolation(problems)
