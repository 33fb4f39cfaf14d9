"""The provider catalog: which providers exist in llama-stack 0.7.3 and how their config looks.

Loaded once per process from data/providers.yaml, which scripts/generate_data.py writes from the
pinned llama-stack registry. Short names (`vllm`) resolve to full provider types
(`remote::vllm`); where both a remote and an inline provider share a name, the remote one wins,
and the qualified form selects either.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]


def load_data(name: str) -> Any:
    return yaml.load(resources.files("generator").joinpath("data", name).read_text(), YamlLoader)


@cache
def _catalog() -> dict[str, dict[str, dict[str, Any]]]:
    apis: dict[str, dict[str, dict[str, Any]]] = load_data("providers.yaml")["apis"]
    return apis


def provider_types(api: str) -> dict[str, dict[str, Any]]:
    return _catalog().get(api, {})


def provider_info(api: str, provider_type: str) -> dict[str, Any]:
    return _catalog()[api][provider_type]


def short_name(provider_type: str) -> str:
    return provider_type.split("::", 1)[-1]


@cache
def _short_names(api: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for provider_type, info in sorted(provider_types(api).items()):
        if info["deprecated"]:
            continue
        name = short_name(provider_type)
        if name not in names or provider_type.startswith("remote::"):
            names[name] = provider_type
    return names


def resolve_provider_type(api: str, name: str) -> str | None:
    """`vllm` -> `remote::vllm`; a qualified `inline::x` / `remote::x` is taken as it is."""
    if "::" in name:
        return name if name in provider_types(api) else None
    return _short_names(api).get(name)


def valid_provider_names(api: str) -> list[str]:
    return sorted(_short_names(api))


@cache
def toolgroup_providers() -> dict[str, tuple[str, ...]]:
    """Tool group id -> provider types that serve it (llama-stack registers them itself)."""
    groups: dict[str, list[str]] = {}
    for provider_type, info in sorted(provider_types("tool_runtime").items()):
        if info["toolgroup_id"]:
            groups.setdefault(info["toolgroup_id"], []).append(provider_type)
    return {group: tuple(types) for group, types in groups.items()}
