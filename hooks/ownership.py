"""Children the hook would create that already exist without being this parent's.

Switching from the Go operator leaves its Deployment `<name>`, Service `<name>-service`, PVC
`<name>-pvc`, ... in place. Metacontroller (v4.17.2, read from its source) claims an existing
object only when it carries the parent's `controller-uid` label (`generateSelector`): one it
finds owned by the parent without that label it *releases* (removes the owner reference), an
orphan without the label it ignores, and when it then creates the hook's child of the same name
it swallows the AlreadyExists error. The old object keeps running unmanaged, and nobody is told.

So the customize hook asks for every child name the hook derives from the parent (`names`, in
the parent's namespace; never a selector), and the sync hook reports each one that exists and
that the hook would create, but that is not this parent's: a condition naming the object and
what to do (delete it; for the PVC, label it so Metacontroller adopts it and its data stays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator import naming
from hooks.children import CHILD_RESOURCES
from hooks.request import HookRequest
from hooks.status import Condition, error_message

CONTROLLER_UID = "controller-uid"  # the label Metacontroller's generated selector matches
# The fixed names of each child kind (the generated ConfigMap's name is a content hash: no clash).
FIXED_NAMES: dict[str, tuple[Callable[[str], str], ...]] = {
    "ConfigMap": (naming.ca_bundle_name, naming.user_config_copy_name),
    "Service": (naming.service_name,),
    "ServiceAccount": (naming.service_account_name,),
    "PersistentVolumeClaim": (naming.pvc_name,),
    "Deployment": (naming.deployment_name,),
    "NetworkPolicy": (naming.network_policy_name,),
    "Ingress": (naming.ingress_name,),
    "PodDisruptionBudget": (naming.pdb_name,),
    "HorizontalPodAutoscaler": (naming.hpa_name,),
}
KUBECTL_RESOURCE = {kind: resource for _, resource, kind in CHILD_RESOURCES}


def child_rules(name: str, namespace: str) -> list[dict[str, Any]]:
    """Customize rules for every child name the hook derives from parent `name`."""
    return [
        {
            "apiVersion": api_version,
            "resource": resource,
            "namespace": namespace,
            "names": sorted(derive(name) for derive in FIXED_NAMES[kind]),
        }
        for api_version, resource, kind in CHILD_RESOURCES
    ]


def is_ours(obj: dict[str, Any], parent_uid: str) -> bool:
    """Metacontroller's claim: the selector label and a controller reference to this parent."""
    metadata = obj.get("metadata") or {}
    labelled = (metadata.get("labels") or {}).get(CONTROLLER_UID) == parent_uid
    owned = any(
        isinstance(ref, dict) and ref.get("uid") == parent_uid and ref.get("controller")
        for ref in metadata.get("ownerReferences") or []
    )
    return labelled and owned


def _other_controller(obj: dict[str, Any], parent_uid: str) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") and ref.get("uid") != parent_uid:
            return f"{ref.get('kind')} '{ref.get('name')}'"
    return None


def _what_to_do(kind: str, obj: dict[str, Any], namespace: str, parent_uid: str) -> str:
    name = obj["metadata"]["name"]
    resource = KUBECTL_RESOURCE[kind]
    owner = _other_controller(obj, parent_uid)
    if kind == "PersistentVolumeClaim":
        label = f"kubectl -n {namespace} label {resource} {name} {CONTROLLER_UID}={parent_uid}"
        adopt = f"keep its data by letting Metacontroller adopt it: `{label}`"
        if owner:
            adopt += f" after removing its owner reference to {owner}"
        return f"{adopt} (or delete it to start empty)"
    return f"delete it (`kubectl -n {namespace} delete {resource} {name}`); the hook's then takes its place"


# A desired child as the request's maps file it: kind, '<Kind>.<apiVersion>', name.
ChildKey = tuple[str, str, str]


def child_keys(desired: list[dict[str, Any]]) -> tuple[ChildKey, ...]:
    """The keys `foreign_children` looks up (the same for every sync of the same children)."""
    return tuple(
        (child["kind"], f"{child['kind']}.{child['apiVersion']}", child["metadata"]["name"]) for child in desired
    )


def foreign_children(request: HookRequest, desired: tuple[ChildKey, ...]) -> list[str]:
    """A message for each desired child (`child_keys`) whose name is taken by an object this
    parent does not own."""
    parent_uid = str((request.parent.get("metadata") or {}).get("uid") or "")
    namespace = request.namespace
    found = []
    for kind, type_key, name in desired:
        key = f"{namespace}/{name}"
        existing = (request.related.get(type_key) or {}).get(key)
        # Metacontroller lists among the children only what it claims for this parent: ours
        if existing is None or key in request.observed(type_key) or is_ours(existing, parent_uid):
            continue
        owner = _other_controller(existing, parent_uid)
        whose = f"is controlled by {owner}" if owner else "has no owner reference to it"
        found.append(
            f"{kind} '{namespace}/{name}' exists but is not managed by this LlamaStackDistribution (it {whose} "
            f"and no {CONTROLLER_UID} label; e.g. left by the llama-stack Go operator), so the hook's {kind} "
            f"cannot be created: {_what_to_do(kind, existing, namespace, parent_uid)}"
        )
    return found


def ownership_condition(problems: list[str]) -> Condition | None:
    """`ChildrenOwned=False` while a child's name is taken; absent otherwise."""
    if not problems:
        return None
    message = error_message([{"path": "", "message": problem} for problem in problems])
    return Condition("ChildrenOwned", "False", "ForeignObjectExists", message)
