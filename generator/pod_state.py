"""State a llama-stack config keeps inside one pod, and what to use instead when several run.

With `replicas > 1` (or an autoscaler that may add pods) every pod runs its own server. What a
server keeps on its own disk or in its own memory is then split between pods: a vector store
created through one pod is missing on the others, conversations and the model registry differ,
an uploaded file is found one time in three. Several worker processes in one pod split an
in-process vector index the same way, or fight over its file ("database is locked").

Nothing here names a provider: what is pod-local follows from the config and from the provider
catalog generated from the server's own registry:
- a storage backend with a file path (`db_path`: SQLite) lives on the pod's disk;
- an inline provider of an API that keeps an index (vector_io) holds it in the server process,
  and in a file where it has a path field;
- any other provider whose config has a path field (the localfs files provider's
  `storage_dir`) keeps its data on the pod's disk.
The fix for a provider is a remote provider of the same API, listed from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator import catalog
from generator.lines import ServerLine
from generator.model import Draft, Spec
from generator.provider_ids import plain_id
from generator.providers import is_enabled
from generator.resources import user_env_names

# Config keys that hold a file or directory on the pod (sqlite, sqlite-vec, milvus-lite, chromadb's
# and qdrant's local modes, localfs files).
PATH_FIELDS = ("db_path", "storage_dir", "path")
# APIs whose inline providers hold an index in the server process.
IN_PROCESS_APIS = ("vector_io",)
STORAGE_EFFECT = "are SQLite files on each pod's disk (registry, conversations, responses differ per pod)"
PROVIDER_EFFECT = "keep their data inside each pod (what one pod stores the others do not see)"


@dataclass(frozen=True)
class LocalState:
    """One part of a config whose state stays in one pod (or one worker process)."""

    group: str  # storage | <api>: what the fix is the same for
    name: str  # backend name or provider id
    kind: str  # backend type or provider type
    in_memory: bool  # the state lives in the process (faiss), not only in a file


def _referenced_backends(config: dict[str, Any], providers: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("backend"), str):
                found.add(value["backend"])
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk((config.get("storage") or {}).get("stores"))
    walk(providers)
    return found


def _enabled_providers(config: dict[str, Any], env_names: set[str]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (api, block)
        for api, blocks in sorted((config.get("providers") or {}).items())
        if isinstance(blocks, list)
        for block in blocks
        if isinstance(block, dict) and block.get("provider_id") and is_enabled(block["provider_id"], env_names)
    ]


def local_state(line: ServerLine, config: dict[str, Any], env_names: set[str]) -> list[LocalState]:
    """Every backend and enabled provider of `config` whose state stays in one pod.

    `env_names`: the variables the pod sets, which enable `${env.X:+id}` providers.
    """
    providers = _enabled_providers(config, env_names)
    used = _referenced_backends(config, [block for _, block in providers])
    found = [
        LocalState("storage", name, str(backend.get("type", "")), in_memory=False)
        for name, backend in sorted(((config.get("storage") or {}).get("backends") or {}).items())
        if isinstance(backend, dict) and name in used and backend.get("db_path")
    ]
    for api, block in providers:
        provider_type = str(block.get("provider_type", ""))
        fields = (catalog.provider_types(line, api).get(provider_type) or {}).get("fields") or []
        settings = block.get("config")
        config_keys: dict[str, Any] = settings if isinstance(settings, dict) else {}
        has_path = any(key in fields or key in config_keys for key in PATH_FIELDS)
        index = api in IN_PROCESS_APIS and provider_type.startswith("inline::")
        if index or has_path:
            found.append(
                LocalState(api, plain_id(block["provider_id"]), provider_type, in_memory=index and not has_path)
            )
    return found


def possible_pods(raw: dict[str, Any]) -> int:
    """The most pods that may run at once (`raw`: the validated spec): the autoscaler's maximum,
    else `replicas`."""
    autoscaling = raw["server"].get("autoscaling")
    return int(autoscaling["maxReplicas"]) if autoscaling else int(raw["replicas"])


def pods_reason(raw: dict[str, Any]) -> str:
    """Which field lets more than one pod run, for messages."""
    if raw["server"].get("autoscaling"):
        return f"spec.server.autoscaling.maxReplicas: up to {possible_pods(raw)} pods can run"
    return f"spec.replicas: {possible_pods(raw)} pods run"


def _remote_alternatives(line: ServerLine, api: str) -> str:
    names = sorted(
        catalog.short_name(t)
        for t, info in catalog.provider_types(line, api).items()
        if t.startswith("remote::") and not info.get("deprecated")
    )
    return ", ".join(names) or "none in this release"


def _listed(items: list[LocalState]) -> str:
    return ", ".join(f"{item.name} ({item.kind})" for item in items)


def _fix(line: ServerLine, group: str, items: list[LocalState], user_config: bool) -> str:
    if group == "storage":
        if user_config:
            return "use kv_postgres/sql_postgres backends in your config.yaml"
        return "set spec.server.configStorage.type: postgres"
    remote = f"a remote {group} provider ({_remote_alternatives(line, group)})"
    if user_config:
        return f"use {remote} in your config.yaml"
    cr_api = next((cr for cr, api in line.apis.cr_to_config.items() if api == group), group)
    return (
        f"use {remote}: an entry with the same id replaces a provider of the distribution, e.g. "
        f"spec.server.providers.{cr_api}: [{{id: {items[0].name}, provider: <remote one>, ...}}]"
    )


def replica_warnings(config: dict[str, Any], spec: Spec, env_names: set[str], user_config: bool) -> list[str]:
    """One warning per kind of pod-local state when more than one pod may run."""
    if possible_pods(spec.raw) <= 1:
        return []
    groups: dict[str, list[LocalState]] = {}
    for item in local_state(spec.line, config, env_names):
        groups.setdefault(item.group, []).append(item)
    warnings = []
    for group, items in groups.items():
        kind = "storage backends" if group == "storage" else f"{group} providers"
        what = STORAGE_EFFECT if group == "storage" else PROVIDER_EFFECT
        warnings.append(
            f"{pods_reason(spec.raw)}, but {kind} {_listed(items)} {what}; {_fix(spec.line, group, items, user_config)}"
        )
    return warnings


def worker_warnings(config: dict[str, Any], spec: Spec, env_names: set[str]) -> list[str]:
    """Several worker processes in one pod and an in-process index: split or locked."""
    workers = spec.server.get("workers") or 1
    indexes = [item for item in local_state(spec.line, config, env_names) if item.group in IN_PROCESS_APIS]
    if workers <= 1 or not indexes:
        return []
    return [
        f"spec.server.workers: {workers} worker processes share the in-process indexes of {_listed(indexes)}: "
        "each process keeps its own in-memory index, and an index file opened by several processes fails "
        "(sqlite-vec: 'database is locked'; milvus-lite admits one process); use workers: 1 or a remote "
        f"vector_io provider ({_remote_alternatives(spec.line, 'vector_io')})"
    ]


def pod_state_warnings(config: dict[str, Any], spec: Spec, user_config: bool) -> list[str]:
    env_names = user_env_names(spec)
    return replica_warnings(config, spec, env_names, user_config) + worker_warnings(config, spec, env_names)


def warn_pod_local_state(draft: Draft) -> None:
    """Pipeline step (after consistency, on the final config): pod-local state under several pods."""
    draft.warnings += pod_state_warnings(draft.config, draft.spec, user_config=False)
