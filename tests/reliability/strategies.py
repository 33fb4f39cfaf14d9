"""Hypothesis strategies for hostile hook requests, built from realistic ones and then broken.

Every base is a real parent (the samples in manifests/samples/, the generator's CRs, the hook
test CRs) with its related Secrets and ConfigMaps, and the hook's own first answer to feed back
as observed children (as Metacontroller does). Strategies then mutate the parent (wrong types,
missing fields, null, huge lists, unicode, deep nesting), the children and the related objects,
and use both key forms (v2 `ns/name`, v1 `name`). Every related Secret value is a canary.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st

from hooks.app import create_app
from tests.generator.crs import CASES as GENERATOR_CASES
from tests.hooks.cases import CA_PEM, MINIMAL, USER_CONFIG_TEXT
from tests.support.metacontroller import CHILD_TYPES, sync_request
from tests.support.objects import CANARY_B64, canary_secret, settings
from tests.support.paths import load_sample, sample_names

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"


@dataclass
class Base:
    name: str
    parent: dict[str, Any]
    related: list[dict[str, Any]]
    children: list[dict[str, Any]] = field(default_factory=list)  # the hook's first answer


def _walk(value: Any):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _referenced_secrets(parent: dict[str, Any]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {}
    for node in _walk(parent):
        if isinstance(node, dict) and isinstance(node.get("secretKeyRef"), dict):
            ref = node["secretKeyRef"]
            if isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
                wanted.setdefault(ref["name"], set()).add(ref["key"])
    tls = ((parent.get("spec") or {}).get("server") or {}).get("serverTLS") or {}
    if isinstance(tls.get("secretName"), str):
        wanted.setdefault(tls["secretName"], set()).update({"tls.crt", "tls.key"})
    return wanted


def _referenced_configmaps(parent: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    server = (parent.get("spec") or {}).get("server") or {}
    found = []
    user = server.get("userConfig")
    if isinstance(user, dict):
        found.append(_configmap(user, namespace, {"config.yaml": USER_CONFIG_TEXT}))
    bundle = (server.get("tlsConfig") or {}).get("caBundle")
    if isinstance(bundle, dict):
        keys = bundle.get("configMapKeys") or ["ca-bundle.crt"]
        found.append(_configmap(bundle, namespace, dict.fromkeys(keys, CA_PEM)))
    return found


def _configmap(ref: dict[str, Any], namespace: str, data: dict[str, str]) -> dict[str, Any]:
    """The ConfigMap a reference names; one in another namespace shares itself with the parent's."""
    meta: dict[str, Any] = {"name": ref["configMapName"], "namespace": ref.get("configMapNamespace") or namespace}
    if meta["namespace"] != namespace:
        meta["annotations"] = {"llamastack.io/allowed-namespaces": namespace}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _base(name: str, parent: dict[str, Any], docs: list[dict[str, Any]]) -> Base:
    """The parent with canary Secrets for every reference, and the ConfigMaps it names."""
    namespace = parent["metadata"].get("namespace") or "default"
    configmaps = [d for d in docs if d.get("kind") == "ConfigMap"]
    named = {(c["metadata"]["name"], c["metadata"].get("namespace") or namespace) for c in configmaps}
    configmaps += [
        made
        for made in _referenced_configmaps(parent, namespace)
        if (made["metadata"]["name"], made["metadata"]["namespace"]) not in named
    ]
    secrets = [
        canary_secret(s, *keys, namespace=namespace, string_data=True)
        for s, keys in sorted(_referenced_secrets(parent).items())
    ]
    return Base(name, parent, secrets + configmaps)


@cache
def bases() -> tuple[Base, ...]:
    found = []
    for sample in sample_names():
        parent, docs = load_sample(sample)
        found.append(_base(f"sample:{sample}", parent, docs))
    for name, parent in sorted(GENERATOR_CASES.items()):
        found.append(_base(f"crs:{name}", parent, []))
    found.append(_base("hooks:minimal", MINIMAL, []))
    client = create_app(settings()).test_client()
    for base in found:
        response = client.post("/sync", json=sync_request(base.parent, base.related))
        assert response.status_code == 200, (base.name, response.get_data(as_text=True))
        base.children = response.get_json()["children"]
    return tuple(found)


# ---- values ---------------------------------------------------------------------------------

# Printable unicode without lone surrogates (a JSON encoder in Go replaces those anyway).
UNICODE = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
NAMEISH = st.sampled_from(["demo", "a", "x" * 63, "x" * 300, "Demo", "d-e-m-o", "ünïcode", "", " ", "a/b", "..", "-"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 1, 1024, 65535, 65536, 2**31, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False),
    UNICODE,
    NAMEISH,
)
ODD_STRINGS = (
    st.sampled_from(
        [
            "",
            " ",
            "null",
            "true",
            "~",
            "1e3",
            "0x1F",
            "010",
            "'",
            '"',
            "\\",
            "\n",
            "a: b",
            "# c",
            "- d",
            "&a",
            "*a",
            "!!python/object:os.system",
            "${env.HOME}",
            "${env.X:=y}",
            "{{ x }}",
            "$(rm -rf /)",
            "`id`",
            "a\x00b",
            "\u2028",
            "\ufeff",
            "ünïcode-é",
            "日本語",
            "😀",
            "x" * 300,
            "a/b",
            "../..",
            "http://[::1",
            "%s%n",
        ]
    )
    | UNICODE
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(UNICODE | NAMEISH, inner, max_size=4),
    max_leaves=12,
)


def _nested(depth: int, leaf: Any, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"nested": leaf}
    return leaf


@st.composite
def replacement(draw: st.DrawFn, current: Any) -> Any:
    """A new value for a field: wrong type, null, unicode, huge list, deep nesting, edge number."""
    kind = draw(
        st.sampled_from(["null", "scalar", "json", "empty", "huge_list", "deep", "long_string"] + ["same_type_odd"] * 4)
    )
    if kind == "null":
        return None
    if kind == "scalar":
        return draw(SCALARS)
    if kind == "json":
        return draw(JSON)
    if kind == "empty":
        return draw(st.sampled_from(["", [], {}, 0, False]))
    if kind == "huge_list":
        size = draw(st.sampled_from([2, 100, 1000, 3000]))
        item = current[0] if isinstance(current, list) and current else current
        return [copy.deepcopy(item) for _ in range(size)] if draw(st.booleans()) else [f"item-{i}" for i in range(size)]
    if kind == "deep":
        return _nested(draw(st.integers(1, 200)), copy.deepcopy(current), draw(st.booleans()))
    if kind == "long_string":
        return draw(st.sampled_from(["x", "é", "\u202e", "\x00", "a:b", "${env.X}", "{{x}}"])) * draw(
            st.sampled_from([1, 64, 10_000, 200_000])
        )
    # same type, odd value
    if isinstance(current, bool):
        return not current
    if isinstance(current, int):
        return draw(st.sampled_from([0, -1, current + 1, 2**63, -(2**63)]))
    if isinstance(current, str):  # still a string: odd for YAML, shells, DNS names, templates
        return draw(st.sampled_from([current.upper(), current + "-", "-" + current, current * 3]) | ODD_STRINGS)
    if isinstance(current, list):
        return current + current if current else [None]
    if isinstance(current, dict):
        return {**current, draw(UNICODE | NAMEISH): draw(JSON)}
    return draw(SCALARS)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:5]):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, value: Any, max_mutations: int = 3, protect: tuple[tuple, ...] = ()) -> Any:
    """`value` with 0..max_mutations fields replaced, deleted or added (never a `protect` path)."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = [p for p in _paths(value) if p and not any(p[: len(q)] == q or q[: len(p)] == p for q in protect)]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        holder = value
        for step in path[:-1]:
            holder = holder[step]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete":
            del holder[last]
        elif action == "add" and isinstance(holder[last], dict):
            holder[last][draw(UNICODE | NAMEISH)] = draw(JSON)
        elif action == "add" and isinstance(holder[last], list):
            holder[last].append(draw(JSON))
        else:
            holder[last] = draw(replacement(holder[last]))
    return value


# ---- parents ------------------------------------------------------------------------------------


LITERAL_CANARY = "CANARY-literal-sk-9d1f"  # a key pasted into a provider's config: never stored


@st.composite
def attacked(draw: st.DrawFn, parent: dict[str, Any]) -> dict[str, Any]:
    """What a tenant writes in their own CR to reach outside their namespace (issue 11)."""
    server = parent.setdefault("spec", {}).setdefault("server", {})
    attack = draw(st.sampled_from(["cross_namespace", "literal_secret", "host_path", "env_name", "bad_label"]))
    if attack == "cross_namespace":  # no ConfigMap of tenant-b shares itself with this namespace
        ref = {"configMapName": draw(st.sampled_from(["shared", "corp-ca"])), "configMapNamespace": "tenant-b"}
        if draw(st.booleans()):
            server["tlsConfig"] = {"caBundle": ref}
        else:
            server.pop("providers", None)
            server["userConfig"] = ref
    elif attack == "literal_secret":
        field = draw(st.sampled_from(["api_token", "password", "api_key"]))
        provider = {"vllm": "api_token", "pgvector": "password", "openai": "api_key"}
        name = next(p for p, f in provider.items() if f == field)
        api = "vectorIo" if name == "pgvector" else "inference"
        server.setdefault("providers", {})[api] = {"provider": name, "config": {field: LITERAL_CANARY}}
    elif attack == "host_path":
        volume = draw(st.sampled_from([{"hostPath": {"path": "/"}}, {"nfs": {"server": "x", "path": "/"}}]))
        server["podOverrides"] = {
            "volumes": [{"name": "x", **volume}],
            "volumeMounts": [{"name": "x", "mountPath": "/x"}],
        }
    elif attack == "env_name":
        key = draw(st.sampled_from(["x;id", "a b", "$(id)", "k=v", "ünï"]))
        server.setdefault("providers", {})["vectorIo"] = {
            "id": "mv",
            "provider": "milvus",
            "secretRefs": {key: {"secretKeyRef": {"name": "s", "key": "k"}}},
        }
    else:
        parent["spec"]["network"] = {"allowedFrom": {"labels": [draw(st.sampled_from(["a b", "x==y", "-x"]))]}}
    return parent


@st.composite
def parents(draw: st.DrawFn, base: Base) -> dict[str, Any]:
    kind = draw(st.sampled_from(["as_is", "mutated", "mutated", "mutated", "random_spec", "random_server", "attack"]))
    parent = copy.deepcopy(base.parent)
    if kind == "attack":
        return draw(attacked(parent))
    if kind == "mutated":
        # metadata.name stays: a parent without a name is a malformed request, fuzzed on its own
        parent = draw(mutated(parent, protect=(("metadata", "name"),)))
    elif kind == "random_spec":
        parent["spec"] = draw(JSON)
    elif kind == "random_server":
        parent["spec"] = {"server": draw(st.dictionaries(st.sampled_from(SERVER_FIELDS), JSON, max_size=4))}
    return parent


SERVER_FIELDS = [
    "distribution",
    "containerSpec",
    "workers",
    "podOverrides",
    "podDisruptionBudget",
    "topologySpreadConstraints",
    "autoscaling",
    "storage",
    "userConfig",
    "tlsConfig",
    "providers",
    "disabled",
    "configStorage",
    "resources",
    "port",
    "serverTLS",
    "externalProviders",
]


# ---- children and related objects ----------------------------------------------------------------


def _with_last_applied(child: dict[str, Any], applied: dict[str, Any] | str) -> dict[str, Any]:
    child = copy.deepcopy(child)
    annotations = child["metadata"].setdefault("annotations", {})
    annotations[LAST_APPLIED] = applied if isinstance(applied, str) else json.dumps(applied)
    return child


PRIVILEGED_POD = {
    "hostPID": True,
    "containers": [{"name": "pwn", "image": "evil.example.com/pwn:1", "securityContext": {"privileged": True}}],
    "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
}


def _elsewhere(child: dict[str, Any]) -> dict[str, Any]:
    child["metadata"]["namespace"] = "kube-system"
    return child


def _renamed(child: dict[str, Any]) -> dict[str, Any]:
    child["metadata"]["name"] = "pwn"
    return child


def _privileged(child: dict[str, Any]) -> dict[str, Any]:
    if child["kind"] == "Deployment":
        child["spec"]["template"]["spec"] = copy.deepcopy(PRIVILEGED_POD)
    else:
        child["metadata"]["finalizers"] = ["example.com/stuck"]
    return child


# The attacks of issue 11 on the last-applied annotation: another namespace, another name, a body
# the hook would never write. The answer must stay in the namespace and keep the running instance.
FORGERIES = {"forged_other_namespace": _elsewhere, "forged_other_name": _renamed, "forged_privileged": _privileged}


@st.composite
def observed_child(draw: st.DrawFn, child: dict[str, Any]) -> dict[str, Any]:
    """A child as the API server might show it: status, server metadata, a last-applied annotation
    (ours, corrupt or another kind's), and odd spec/status/labels. Identity fields stay."""
    child = copy.deepcopy(child)
    how = draw(
        st.sampled_from(["plain", "last_applied", "corrupt_last_applied", "other_kind_last_applied", "odd", *FORGERIES])
    )
    if how == "last_applied":
        child = _with_last_applied(child, child)
    elif how in FORGERIES:  # a tenant with `edit` rewrites the annotation Metacontroller reads back
        child = _with_last_applied(child, FORGERIES[how](copy.deepcopy(child)))
    elif how == "corrupt_last_applied":
        child = _with_last_applied(child, draw(st.sampled_from(["{", "null", "[]", '"x"', "{}"])))
    elif how == "other_kind_last_applied":
        child = _with_last_applied(child, {"kind": "Other", "metadata": {"name": "x"}})
    elif how == "odd":  # what users and controllers can change: labels, annotations, status, fields gone
        metadata = child["metadata"]
        for section in ("labels", "annotations"):
            if draw(st.booleans()):
                extra = draw(st.dictionaries(NAMEISH.filter(bool), UNICODE, max_size=3))
                metadata[section] = {**(metadata.get(section) or {}), **extra}
        spec = child.get("spec")
        if isinstance(spec, dict) and spec and draw(st.booleans()):
            spec.pop(draw(st.sampled_from(sorted(spec))))
    child["metadata"].update(resourceVersion="12345", uid="00000000-0000-4000-8000-0000000000aa")
    if child["kind"] == "Deployment" and draw(st.booleans()):
        replicas = (child.get("spec") or {}).get("replicas", 1)
        child["status"] = {
            "observedGeneration": draw(st.integers(0, 3)),
            "replicas": replicas,
            "readyReplicas": draw(st.sampled_from([0, 1, replicas])),
            "availableReplicas": draw(st.sampled_from([0, 1, replicas])),
            "updatedReplicas": draw(st.sampled_from([0, 1, replicas])),
        }
    return child


@st.composite
def random_child(draw: st.DrawFn, namespace: str) -> dict[str, Any]:
    type_key = draw(st.sampled_from(CHILD_TYPES))
    kind, api_version = type_key.split(".", 1)
    metadata: dict[str, Any] = {"name": draw(NAMEISH.filter(bool)), "namespace": namespace}
    if draw(st.booleans()):
        metadata["labels"] = {"app.kubernetes.io/component": draw(st.sampled_from(["generated-config", "x"]))}
    child: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    if kind == "ConfigMap":
        child["data"] = draw(st.dictionaries(NAMEISH.filter(bool), UNICODE, max_size=2))
    elif kind == "Deployment":
        child["spec"] = {"replicas": draw(st.integers(0, 5))}
        child["status"] = {"readyReplicas": draw(st.integers(0, 5)), "observedGeneration": draw(st.integers(0, 5))}
    return child


def _key(obj: dict[str, Any], namespace: str, v1: bool) -> str:
    name = obj["metadata"]["name"]
    return name if v1 else f"{obj['metadata'].get('namespace') or namespace}/{name}"


@st.composite
def related_objects(draw: st.DrawFn, base: Base) -> list[dict[str, Any]]:
    """The base's Secrets and ConfigMaps, some missing, some missing a key, some odd, plus extras."""
    namespace = base.parent["metadata"].get("namespace") or "default"
    found = []
    for obj in base.related:
        what = draw(st.sampled_from(["keep", "keep", "keep", "drop", "drop_key", "odd"]))
        obj = copy.deepcopy(obj)
        if what == "drop":
            continue
        if what == "drop_key":
            for section in ("data", "stringData"):
                if obj.get(section):
                    obj[section].pop(sorted(obj[section])[0])
                    break
        elif what == "odd":  # typed as the API server serves them (maps of strings), odd values
            section = {"Secret": "data", "ConfigMap": draw(st.sampled_from(["data", "binaryData"]))}[obj["kind"]]
            values = obj.get(section) or {}
            key = sorted(values)[0] if values else "token"
            keep = CANARY_B64 if obj["kind"] == "Secret" else values.get(key, "x")
            odd = draw(st.sampled_from(["", "!!not-base64!!", keep + "=", keep[:-1], keep * 1000, "\u00e9"]))
            obj[section] = {**values, key: odd} if draw(st.booleans()) else {}
        found.append(obj)
    for _ in range(draw(st.integers(0, 2))):
        name = draw(NAMEISH.filter(bool))
        key = draw(st.sampled_from(["token", "key", "tls.crt"]))
        found.append(canary_secret(name, key, namespace=namespace, string_data=True))
    return found


@st.composite
def sync_requests(draw: st.DrawFn) -> dict[str, Any]:
    base = draw(st.sampled_from(bases()))
    parent = draw(parents(base))
    namespace = parent["metadata"].get("namespace")
    namespace = namespace if isinstance(namespace, str) and namespace else "default"
    children_kind = draw(st.sampled_from(["none", "running", "running", "observed", "random"]))
    children: list[dict[str, Any]] = []
    if children_kind == "running":
        children = base.children
    elif children_kind == "observed":
        children = [draw(observed_child(c)) for c in base.children]
    elif children_kind == "random":
        children = draw(st.lists(random_child(namespace), max_size=5))
    request = sync_request(
        parent,
        [],
        [c for c in children if isinstance(c.get("metadata"), dict)],
        deployment_ready=draw(st.booleans()),
        generation=draw(st.integers(1, 3)),
    )
    request["parent"] = parent  # sync_request fills in uid/generation; keep the mutated parent as drawn
    v1_children, v1_related = draw(st.booleans()) and draw(st.booleans()), draw(st.booleans()) and draw(st.booleans())
    if v1_children:
        request["children"] = {
            group: {_key(obj, namespace, True): obj for obj in objects.values()}
            for group, objects in request["children"].items()
        }
    related: dict[str, dict[str, Any]] = {"Secret.v1": {}, "ConfigMap.v1": {}}
    for obj in draw(related_objects(base)):
        related[f"{obj['kind']}.{obj['apiVersion']}"][_key(obj, namespace, v1_related)] = obj
    request["related"] = related
    if draw(st.integers(0, 9)) == 0:
        request["finalizing"] = True
    return request


@st.composite
def customize_requests(draw: st.DrawFn) -> dict[str, Any]:
    base = draw(st.sampled_from(bases()))
    return {
        "controller": {"apiVersion": "metacontroller.k8s.io/v1alpha1", "kind": "CompositeController"},
        "parent": draw(parents(base)),
    }


@st.composite
def malformed_bodies(draw: st.DrawFn) -> bytes:
    """Bodies that are not a v2 request: not JSON, wrong shape, wrong envelope types."""
    kind = draw(st.sampled_from(["bytes", "json", "envelope", "truncated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    good = draw(sync_requests())
    if kind == "truncated":
        text = json.dumps(good).encode()
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    field_name = draw(st.sampled_from(["parent", "metadata", "name", "namespace", "children", "related", "finalizing"]))
    odd = draw(JSON)
    if field_name in ("parent", "children", "related", "finalizing"):
        good[field_name] = odd
    elif field_name == "metadata":
        good["parent"]["metadata"] = odd
    else:
        good["parent"]["metadata"][field_name] = odd
    return json.dumps(good).encode()
