"""`spec.server.resources`: models and shields registered in 0.7 form, tools checked.

llama-stack serves a model as `<provider_id>/<provider_model_id>`. A bare model name goes to the
CR's first inference provider; shields to the first safety provider; the first embedding model
becomes the vector stores' default embedding model. Tool groups are not
registered in 0.7: the server registers one for each tool_runtime provider that serves it, so a
tool is only checked against the providers of the final config.
"""

from __future__ import annotations

from typing import Any

from generator import catalog
from generator.errors import ErrorList
from generator.model import Draft, ProviderEntry, Spec
from generator.provider_ids import is_conditional, plain_id
from generator.providers import is_enabled
from generator.registry import release

TOOL_ALIASES = {
    "websearch": "builtin::websearch",
    "web_search": "builtin::websearch",
    "rag": "builtin::file_search",
    "file_search": "builtin::file_search",
    "builtin::rag": "builtin::file_search",
    "wolfram_alpha": "builtin::wolfram_alpha",
}


def provider_ids(config: dict[str, Any], api: str, enabled_only: bool = False) -> list[str]:
    return [
        plain_id(block.get("provider_id"))
        for block in config.get("providers", {}).get(api, [])
        if block.get("provider_id") and not (enabled_only and is_conditional(block.get("provider_id")))
    ]


def _provider_type(config: dict[str, Any], api: str, provider_id: str) -> str | None:
    for block in config.get("providers", {}).get(api, []):
        if plain_id(block.get("provider_id")) == provider_id:
            provider_type: str | None = block.get("provider_type")
            return provider_type
    return None


def _upsert_all(items: list[dict[str, Any]], key: str, entries: list[dict[str, Any]]) -> None:
    """Replace items with the same `key` in place, append the rest (linear: one index)."""
    positions = {item.get(key): i for i, item in reversed(list(enumerate(items)))}
    for entry in entries:
        index = positions.get(entry[key])
        if index is None:
            positions[entry[key]] = len(items)
            items.append(entry)
        else:
            items[index] = entry


def _cr_ids(spec: Spec, api: str) -> list[ProviderEntry]:
    return [entry for entry in spec.providers if entry.api == api]


def _serving_provider(
    item: dict[str, Any], default: str | None, known: dict[str, None], path: str, api: str, errors: ErrorList
) -> str | None:
    """The provider a model or shield goes to: its own `provider`, else the default; it must exist."""
    provider_id = item.get("provider") or default
    if provider_id is None:
        hint = (
            "spec.server.providers.inference"
            if api == "inference"
            else "spec.server.providers.safety (e.g. llama-guard)"
        )
        errors.add(path, f"no {api} provider to serve it; add {hint} or set `provider`")
        return None
    if provider_id not in known:  # `known` is a dict: ordered for the message, hashed for the test
        errors.add(f"{path}.provider", f"unknown {api} provider '{provider_id}'; known ids: {', '.join(known)}")
        return None
    return provider_id


def _register_models(config: dict[str, Any], spec: Spec, errors: ErrorList) -> list[dict[str, Any]]:
    models = (spec.server.get("resources") or {}).get("models") or []
    cr_inference = _cr_ids(spec, "inference")
    known = dict.fromkeys(provider_ids(config, "inference"))
    azure = {e.provider_id: e.deployment_name for e in cr_inference if e.deployment_name}
    registered = []
    for index, model in enumerate(models):
        path = f"spec.server.resources.models[{index}]"
        default = cr_inference[0].provider_id if cr_inference else None
        provider_id = _serving_provider(model, default, known, path, "inference", errors)
        if provider_id is None:
            continue
        metadata = model.get("metadata") or {}
        entry: dict[str, Any] = {
            "model_id": model["name"],
            "provider_id": provider_id,
            "provider_model_id": model.get("providerModelId") or azure.get(provider_id) or model["name"],
            "model_type": model.get("modelType") or ("embedding" if "embeddingDimension" in metadata else "llm"),
        }
        meta = {}
        if "contextLength" in metadata:
            meta["context_length"] = metadata["contextLength"]
        if "quantization" in metadata:  # an OGXServer's model field
            meta["quantization"] = metadata["quantization"]
        if "embeddingDimension" in metadata:
            meta["embedding_dimension"] = metadata["embeddingDimension"]
        if meta:
            entry["metadata"] = meta
        registered.append(entry)
    served = {m["provider_id"] for m in registered}
    for provider_id, deployment in azure.items():
        if provider_id not in served:  # azure's deployment is its default model
            registered.append(
                {
                    "model_id": deployment,
                    "provider_id": provider_id,
                    "provider_model_id": deployment,
                    "model_type": "llm",
                }
            )
    return registered


def _default_embedding_model(config: dict[str, Any], models: list[dict[str, Any]]) -> None:
    """The CR's first embedding model becomes `vector_stores.default_embedding_model`.

    A vector store created without naming a model uses this default. The bases name their own
    (starter: sentence-transformers' nomic model, fetched from the Hugging Face hub on first
    use), so without this a user who declared an embedding model gets a vector store that never
    embeds anything in an air-gapped cluster. Rule for several embedding models: the first one
    in `resources.models` order is the default; the others stay registered and can be named per
    vector store. Only where the config has a vector_io provider (elsewhere there is no store).
    """
    if not config.get("providers", {}).get("vector_io"):
        return
    model = next((m for m in models if m["model_type"] == "embedding"), None)
    if model is None:
        return
    stores = config.setdefault("vector_stores", {})
    default = {
        "provider_id": model["provider_id"],
        "model_id": model["provider_model_id"],  # llama-stack serves it as <provider_id>/<model_id>
    }
    # An OGXServer model says `modelType: embedding` without a dimension: the server asks the model.
    dimension = (model.get("metadata") or {}).get("embedding_dimension")
    if dimension is not None:
        default["embedding_dimensions"] = dimension
    stores["default_embedding_model"] = default


def _register_shields(
    config: dict[str, Any], spec: Spec, models: list[dict[str, Any]], errors: ErrorList
) -> list[dict[str, Any]]:
    shields = (spec.server.get("resources") or {}).get("shields") or []
    if not shields:
        return []
    cr_safety = [e.provider_id for e in _cr_ids(spec, "safety")]
    default_safety = cr_safety or provider_ids(config, "safety", enabled_only=True)
    known = dict.fromkeys(provider_ids(config, "safety"))
    cr_inference = [e.provider_id for e in _cr_ids(spec, "inference")]
    registered = []
    for index, shield in enumerate(shields):
        path = f"spec.server.resources.shields[{index}]"
        default = default_safety[0] if default_safety else None
        provider_id = _serving_provider(shield, default, known, path, "safety", errors)
        if provider_id is None:
            continue
        provider_shield_id = shield["name"]
        if _provider_type(config, "safety", provider_id) == "inline::llama-guard":
            # llama-guard runs the shield as a chat completion, so it needs a served model id.
            model = next((m for m in models if m["model_id"] == shield["name"]), None)
            if model is not None:
                provider_shield_id = f"{model['provider_id']}/{model['provider_model_id']}"
            elif cr_inference:
                provider_shield_id = f"{cr_inference[0]}/{shield['name']}"
            else:
                errors.add(path, "llama-guard needs an inference provider to run the guard model; add one")
                continue
        registered.append(
            {"shield_id": shield["name"], "provider_id": provider_id, "provider_shield_id": provider_shield_id}
        )
    return registered


def user_env_names(spec: Spec) -> set[str]:
    return {e.get("name") for e in spec.server["containerSpec"].get("env") or [] if e.get("name")}


def _check_tools(config: dict[str, Any], spec: Spec, errors: ErrorList) -> int:
    tools = (spec.server.get("resources") or {}).get("tools") or []
    groups = catalog.toolgroup_providers(spec.line)
    user_env = user_env_names(spec)
    served: set[str] = set()
    for block in config.get("providers", {}).get("tool_runtime", []):
        provider_id = str(block.get("provider_id") or "")
        if not is_enabled(provider_id, user_env):
            continue
        for group, types in groups.items():
            if block.get("provider_type") in types:
                served.add(group)
    for index, tool in enumerate(tools):
        group = TOOL_ALIASES.get(tool, tool)
        path = f"spec.server.resources.tools[{index}]"
        available = ", ".join(sorted(served)) or "none"
        if group not in groups:
            errors.add(path, f"unknown tool group '{tool}' in {release(spec.line)}; available here: {available}")
        elif group not in served:
            kinds = ", ".join(catalog.short_name(t) for t in groups[group])
            errors.add(
                path,
                f"tool group '{group}' needs a tool_runtime provider ({kinds}); add one under "
                f"spec.server.providers.toolRuntime (available here: {available})",
            )
    return len(tools)


def apply_resources(draft: Draft) -> None:
    """Register models and shields; check tools; count the resources the CR named."""
    config, spec, errors = draft.config, draft.spec, draft.errors
    resources = config.setdefault("registered_resources", {})
    models = _register_models(config, spec, errors)
    shields = _register_shields(config, spec, models, errors)
    if models:
        _upsert_all(resources.setdefault("models", []), "model_id", models)
        _default_embedding_model(config, models)
    if shields:
        _upsert_all(resources.setdefault("shields", []), "shield_id", shields)
    if shields:  # the default shield must be one that is registered
        config.setdefault("safety", {})["default_shield_id"] = shields[0]["shield_id"]
    tool_count = _check_tools(config, spec, errors)
    named = spec.server.get("resources") or {}
    draft.resource_count = len(named.get("models") or []) + len(named.get("shields") or []) + tool_count
