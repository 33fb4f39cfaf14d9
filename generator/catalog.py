"""The provider catalog of each server line: which providers exist and how their config looks.

Loaded once per process per line from data/<line>/providers.yaml, which
scripts/generate_data.py writes from that line's pinned wheel. The catalog's APIs are the APIs
the line has: OGX 1.5 has no safety, eval, scoring or datasetio and adds interactions, messages
and skills. Short names (`vllm`) resolve to full provider types (`remote::vllm`); where both a
remote and an inline provider share a name, the remote one wins, and the qualified form selects
either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from generator.lines import ServerLine

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]


def load_data(line: ServerLine, name: str) -> Any:
    return yaml.load(resources.files("generator").joinpath("data", line.name, name).read_text(), YamlLoader)


@cache
def _catalog(line: ServerLine) -> dict[str, dict[str, dict[str, Any]]]:
    apis: dict[str, dict[str, dict[str, Any]]] = load_data(line, "providers.yaml")["apis"]
    return apis


def has_api(line: ServerLine, api: str) -> bool:
    return api in _catalog(line)


def provider_types(line: ServerLine, api: str) -> dict[str, dict[str, Any]]:
    return _catalog(line).get(api, {})


def provider_info(line: ServerLine, api: str, provider_type: str) -> dict[str, Any]:
    return _catalog(line)[api][provider_type]


def short_name(provider_type: str) -> str:
    return provider_type.split("::", 1)[-1]


@cache
def _short_names(line: ServerLine, api: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for provider_type, info in sorted(provider_types(line, api).items()):
        if info["deprecated"]:
            continue
        name = short_name(provider_type)
        if name not in names or provider_type.startswith("remote::"):
            names[name] = provider_type
    return names


def resolve_provider_type(line: ServerLine, api: str, name: str) -> str | None:
    """`vllm` -> `remote::vllm`; a qualified `inline::x` / `remote::x` is taken as it is."""
    if "::" in name:
        return name if name in provider_types(line, api) else None
    return _short_names(line, api).get(name)


def valid_provider_names(line: ServerLine, api: str) -> list[str]:
    return sorted(_short_names(line, api))


@cache
def toolgroup_providers(line: ServerLine) -> dict[str, tuple[str, ...]]:
    """Tool group id -> provider types that serve it (the server registers them itself)."""
    groups: dict[str, list[str]] = {}
    for provider_type, info in sorted(provider_types(line, "tool_runtime").items()):
        if info["toolgroup_id"]:
            groups.setdefault(info["toolgroup_id"], []).append(provider_type)
    return {group: tuple(types) for group, types in groups.items()}


@dataclass(frozen=True)
class LineCatalog:
    """What a server line's data says, for code that parses a kind of its own (the OGXServer
    translation): its label for messages, its distributions and its provider catalog."""

    line: ServerLine

    @property
    def label(self) -> str:
        from generator.registry import release  # registry reads its data through this module

        return release(self.line)

    def distribution_names(self) -> list[str]:
        from generator.registry import distribution_names

        return distribution_names(self.line)

    def provider_types(self, api: str) -> dict[str, dict[str, Any]]:
        return provider_types(self.line, api)
