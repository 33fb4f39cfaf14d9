"""The generation pipeline: the base config of the distribution, then `STEPS` in order, then
serialization. The order is part of the contract: base -> overlay providers -> disabled ->
storage -> resources -> server -> external-provider warnings -> consistency -> pod-local state
warnings -> serialize.

Every step has one shape, `step(draft: Draft) -> None` (see model.Draft): it changes the
draft's own config and adds warnings and errors to the draft. The whole pipeline is a pure
function of the validated spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import yaml

from generator import naming, registry, yaml_emit
from generator.consistency import check_consistency
from generator.disabled import apply_disabled
from generator.errors import SpecError
from generator.external import warn_external_overrides
from generator.lines import LLAMA_STACK, ServerLine
from generator.memo import memoised
from generator.model import Draft, GenerationResult, Spec
from generator.pod_state import pod_state_warnings, warn_pod_local_state
from generator.provider_ids import is_conditional
from generator.providers import overlay_providers
from generator.resources import apply_resources
from generator.server import apply_server, container_command
from generator.spec import parse_spec
from generator.storage import apply_storage

try:
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

CONFIG_VERSION = 2

__all__ = [
    "UserConfigReport",
    "check_user_config",
    "container_command",
    "generate",
    "generate_spec",
    "inspect_user_config",
    "parse_spec",
]


def serialize(config: dict[str, Any]) -> str:
    """Stable bytes for the same config: key order is the base's, then the order steps add."""
    return yaml_emit.dump(config)


def _version_warning(line: ServerLine, config: dict[str, Any], source: str) -> list[str]:
    version = config.get("version")
    if version == CONFIG_VERSION:
        return []
    return [f"{source} has version {version!r}; {registry.release(line)} reads version {CONFIG_VERSION}"]


def _count_providers(config: dict[str, Any]) -> int:
    return sum(
        1
        for blocks in (config.get("providers") or {}).values()
        if isinstance(blocks, list)
        for block in blocks
        if isinstance(block, dict) and block.get("provider_id") and not is_conditional(block.get("provider_id"))
    )


def check_base_version(draft: Draft) -> None:
    """The shipped base config must be the version this release reads."""
    draft.warnings += _version_warning(
        draft.spec.line, draft.config, f"base config of distribution '{draft.spec.distribution_name}'"
    )


STEPS: tuple[Callable[[Draft], None], ...] = (
    check_base_version,
    overlay_providers,
    apply_disabled,
    apply_storage,
    apply_resources,
    apply_server,
    warn_external_overrides,
    check_consistency,
    warn_pod_local_state,
)


def build_config(spec: Spec, base: dict[str, Any] | None = None) -> Draft:
    """Run the steps over `base` (an OGXServer's baseConfig), else over the distribution's
    shipped config; raise SpecError with everything they found wrong."""
    if spec.user_config is not None or (spec.distribution_name is None and base is None):
        raise SpecError(
            [
                {
                    "path": "spec.server.distribution",
                    "message": "only a registry distribution (distribution.name) "
                    "without userConfig has a config to generate",
                }
            ]
        )
    if base is None:
        base = registry.base_config(spec.line, str(spec.distribution_name))
    draft = Draft(spec, base)
    for step in STEPS:
        step(draft)
    draft.errors.raise_if_any()
    return draft


def generate_spec(spec: Spec, base: dict[str, Any] | None = None) -> GenerationResult:
    """A validated spec of any server line in (its `line` says which); config.yaml text, env vars,
    ConfigMap name and warnings out. The entry point for kinds parsed elsewhere (OGXServer), and
    for a base config of the user's (`base`, a private copy the steps may change)."""
    draft = build_config(spec, base)
    text = serialize(draft.config)
    return GenerationResult(
        config_yaml=text,
        env=[ref.env_var() for ref in spec.secret_refs],
        configmap_name=naming.config_map_name(spec.name, naming.config_hash(text)),
        warnings=draft.warnings,
        provider_count=_count_providers(draft.config),
        resource_count=draft.resource_count,
        command=container_command(spec),
    )


def _generate(llsd: dict[str, Any]) -> GenerationResult:
    return generate_spec(parse_spec(llsd))


_generate_memoised = memoised(_generate)


def generate(llsd: dict[str, Any]) -> GenerationResult:
    """The whole CR in; config.yaml text, env vars, ConfigMap name and warnings out.

    The CR is read in canonical form (keys sorted), so the bytes never depend on the key order
    the API server happens to send. A pure function, so results are memoised per process:
    Metacontroller resyncs every parent with the same spec over and over. Callers get their own
    copies of the mutable fields.
    """
    result = _generate_memoised(llsd)
    return replace(
        result, env=json.loads(json.dumps(result.env)), warnings=list(result.warnings), command=list(result.command)
    )


@dataclass(frozen=True)
class UserConfigReport:
    warnings: list[str]
    provider_count: int  # enabled providers, counted as for a generated config


def inspect_user_config(text: str, spec: Spec | None = None) -> UserConfigReport:
    """Read a user's own config.yaml (userConfig, overrideConfig) so the hook needs no server YAML
    of its own.

    With the `spec` that mounts it, the warnings also name state the config keeps inside one pod
    when several pods (or worker processes) may run. Raises SpecError where the config cannot
    boot at all.
    """
    path = "spec.server.userConfig"
    try:
        config = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(
            [{"path": path, "message": f"config.yaml is not valid YAML{where}; fix the ConfigMap"}]
        ) from None
    if not isinstance(config, dict):
        raise SpecError([{"path": path, "message": "config.yaml must be a YAML mapping with at least `providers`"}])
    if not isinstance(config.get("providers"), dict):
        raise SpecError(
            [{"path": path, "message": "config.yaml has no `providers` mapping, which llama-stack requires"}]
        )
    line = spec.line if spec is not None else LLAMA_STACK
    warnings = _version_warning(line, config, "userConfig config.yaml")
    if spec is not None:
        warnings += pod_state_warnings(config, spec, user_config=True)
    return UserConfigReport(warnings, _count_providers(config))


def check_user_config(text: str, spec: Spec | None = None) -> list[str]:
    """Warnings for a user's own config.yaml; SpecError where it cannot boot at all."""
    return inspect_user_config(text, spec).warnings
