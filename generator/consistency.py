"""The last pass: every provider id the config refers to must exist.

Disabling an API or replacing a provider can leave the base config pointing at something gone
(vector_stores defaults, registered resources, the default shield, providers that depend on a
removed API). What came from the base is dropped with a warning; what the user wrote is an error.
"""

from __future__ import annotations

import re
from typing import Any

from generator import catalog
from generator.errors import ErrorList
from generator.model import Draft, Spec
from generator.provider_ids import plain_id
from generator.providers import is_enabled
from generator.resources import provider_ids, user_env_names
from generator.storage import PG_SHIM_VARS

REQUIRED_ENV = re.compile(r"\$\{env\.([A-Z0-9_]+)\}")

RESOURCE_APIS = {
    "models": "inference",
    "shields": "safety",
    "vector_stores": "vector_io",
    "datasets": "datasetio",
    "scoring_fns": "scoring",
    "benchmarks": "eval",
}
# Keys older releases used that 0.7 ignores; dropped so the config says only what takes effect.
OBSOLETE_RESOURCE_KEYS = ("vector_dbs", "tool_groups")


def _drop_unserved_providers(config: dict[str, Any], spec: Spec, removed: set[str], errors: ErrorList) -> list[str]:
    """Providers that need an API `disabled` removed go too (and so on, transitively).

    Only removed APIs count: some shipped bases lack an API a provider lists, and the server
    copes with that, so the base is trusted as shipped. Returns a warning per provider dropped.
    """
    warnings: list[str] = []
    user = {(e.api, e.provider_id): e for e in spec.providers}
    providers = config.get("providers", {})
    removed = set(removed)
    changed = True
    while changed:
        changed = False
        for api, blocks in providers.items():
            for block in list(blocks):
                types = catalog.provider_types(spec.line, api)
                info = types.get(block.get("provider_type", ""))
                deps = (info or {}).get("api_dependencies", [])
                missing = [d for d in deps if d in removed]
                if not missing:
                    continue
                provider_id = plain_id(block.get("provider_id"))
                entry = user.get((api, provider_id))
                needs = ", ".join(missing)
                if entry is not None:
                    errors.add(
                        entry.path,
                        f"{entry.provider_type} needs the {needs} API, which this config does not have; "
                        "remove it from spec.server.disabled or add a provider for it",
                    )
                    continue
                blocks.remove(block)
                warnings.append(f"{api} provider '{provider_id}' removed: it needs the {needs} API, which is disabled")
                changed = True
        for api in [api for api, blocks in providers.items() if not blocks]:
            del providers[api]
            config["apis"] = [a for a in config.get("apis", []) if a != api]
            removed.add(api)
    return warnings


def _drop_dangling_defaults(config: dict[str, Any]) -> list[str]:
    """vector_stores defaults naming a provider that is gone; a warning for each."""
    warnings: list[str] = []
    stores = config.get("vector_stores")
    if not isinstance(stores, dict):
        return warnings
    if "default_provider_id" in stores and stores["default_provider_id"] not in provider_ids(config, "vector_io"):
        dropped = stores.pop("default_provider_id")
        warnings.append(f"vector_stores.default_provider_id '{dropped}' dropped: no such vector_io provider")
    for key in ("default_embedding_model", "default_reranker_model"):
        model = stores.get(key)
        if isinstance(model, dict) and model.get("provider_id") not in provider_ids(config, "inference"):
            del stores[key]
            warnings.append(f"vector_stores.{key} dropped: inference provider '{model.get('provider_id')}' is gone")
    return warnings


def _drop_dangling_resources(config: dict[str, Any], spec: Spec) -> list[str]:
    """Registered resources (and the default shield) served by a provider that is gone; a warning for each."""
    warnings: list[str] = []
    resources = config.get("registered_resources")
    if not isinstance(resources, dict):
        return warnings
    for key in OBSOLETE_RESOURCE_KEYS:
        resources.pop(key, None)
    for kind, api in RESOURCE_APIS.items():
        known = provider_ids(config, api) + (sorted(spec.line.any_provider_ids) if kind == "models" else [])
        kept = []
        for item in resources.get(kind) or []:
            provider_id = item.get("provider_id")
            if provider_id and plain_id(provider_id) not in known:
                name = next((v for k, v in item.items() if k.endswith("_id") and k != "provider_id"), "?")
                warnings.append(
                    f"registered_resources.{kind} '{name}' dropped: {api} provider '{plain_id(provider_id)}' is gone"
                )
                continue
            kept.append(item)
        if kind in resources:
            resources[kind] = kept
    shield_ids = [s.get("shield_id") for s in resources.get("shields") or [] if plain_id(s.get("provider_id"))]
    safety = config.get("safety")
    if (
        isinstance(safety, dict)
        and safety.get("default_shield_id")
        and not shield_ids
        and "safety" not in config.get("providers", {})
    ):
        warnings.append(
            f"safety.default_shield_id '{safety.pop('default_shield_id')}' dropped: the safety API is disabled"
        )
    return warnings


def _check_provider_apis(config: dict[str, Any], spec: Spec, errors: ErrorList) -> None:
    """A running provider that needs a provider-backed API (e.g. `files`) the config has no
    provider for stops the server at startup ("required dependency 'files' is not available").

    llama-stack 0.7.3's own postgres-demo and open-benchmark ship that way (file-search and
    responses need `files`; neither has a files provider), so a CR naming them gets this error
    with the fix instead of a pod that crashes. APIs the server provides itself (models,
    datasets, tool_groups, ...) have no providers in the catalog and are never missing.
    """
    env = user_env_names(spec)
    providers = config.get("providers", {})
    # An API with a section, even of providers the pod leaves off (`${env.X:+id}`), gets its router
    # and satisfies the dependency (postgres-demo's vector_io is only an optional chromadb).
    served = {api for api, blocks in providers.items() if blocks}
    user = {(e.api, e.provider_id): e for e in spec.providers}
    config_to_cr = {v: k for k, v in spec.line.apis.cr_to_config.items()}
    needed_by_base: dict[str, list[tuple[str, str, str]]] = {}
    for api, blocks in providers.items():
        for block in blocks:
            if not is_enabled(block.get("provider_id"), env):
                continue
            provider_type = str(block.get("provider_type", ""))
            info = catalog.provider_types(spec.line, api).get(provider_type) or {}
            for dependency in info.get("api_dependencies", []):
                if dependency in served or not catalog.provider_types(spec.line, dependency):
                    continue
                provider_id = plain_id(block.get("provider_id"))
                entry = user.get((api, provider_id))
                if entry is not None:
                    errors.add(
                        entry.path,
                        f"{provider_type} needs the {dependency} API, which has no provider; "
                        f"{_add_provider_fix(config_to_cr.get(dependency, dependency))}",
                    )
                else:
                    needed_by_base.setdefault(dependency, []).append((api, provider_id, provider_type))
    for dependency, users in needed_by_base.items():
        section = config_to_cr.get(dependency, dependency)
        who = " and ".join(f"{api} provider '{pid}' ({ptype})" for api, pid, ptype in users)
        disable = ", ".join(dict.fromkeys(config_to_cr.get(api, api) for api, _, _ in users))
        errors.add(
            f"spec.server.providers.{section}",
            f"the base config of '{spec.distribution_name}' has no {dependency} provider, which its {who} need "
            f"(the server would not start); {_add_provider_fix(section)}, or disable {disable}",
        )


def _add_provider_fix(section: str) -> str:
    example = {"files": " (e.g. {provider: localfs})"}.get(section, "")
    return f"add spec.server.providers.{section}{example}"


def _check_required_env(config: dict[str, Any], spec: Spec, errors: ErrorList) -> None:
    """A bare `${env.X}` (no default) stops the server at startup when X is unset."""
    provided = {ref.env_name for ref in spec.secret_refs} | user_env_names(spec)
    if spec.uses_postgres:
        provided |= set(PG_SHIM_VARS)
    for name in sorted(set(REQUIRED_ENV.findall(repr(config))) - provided):
        errors.add(
            "spec.server.containerSpec.env",
            f"the config needs env var {name} (the base config of '{spec.distribution_name}' reads it "
            "without a default); add it to spec.server.containerSpec.env",
        )


def check_consistency(draft: Draft) -> None:
    """Drop what the base refers to that is gone (warnings); what the user wrote must resolve (errors)."""
    config, spec, errors = draft.config, draft.spec, draft.errors
    draft.warnings += _drop_unserved_providers(config, spec, draft.removed_apis, errors)
    _check_provider_apis(config, spec, errors)
    _check_required_env(config, spec, errors)
    draft.warnings += _drop_dangling_defaults(config)
    draft.warnings += _drop_dangling_resources(config, spec)
    if config.get("safety") == {}:
        del config["safety"]
