"""External providers: the checks at generation time.

Provider types and Python modules live inside the provider images, so the merge into config.yaml
happens in the pod (hooks/children/external_merge.py, run by the last init container). Here:
CR-level rules (unique ids, known APIs) and the collision warnings the hook can give before any
pod runs.
"""

from __future__ import annotations

from typing import Any

from generator.apis import LLAMA_STACK_APIS
from generator.errors import ErrorList
from generator.lines import LLAMA_STACK
from generator.model import Draft, ExternalProvider, ProviderEntry
from generator.naming import MAX_PROVIDER_ID_LENGTH
from generator.provider_ids import plain_id
from generator.registry import release

# CR section -> config API (None: no such API in this release), in the order init containers run.
EXTERNAL_SECTIONS = LLAMA_STACK_APIS.external_sections


def parse_external(
    server: dict[str, Any], user_providers: tuple[ProviderEntry, ...], errors: ErrorList
) -> tuple[ExternalProvider, ...]:
    section_values = server.get("externalProviders") or {}
    found: list[ExternalProvider] = []
    first_seen: dict[str, ExternalProvider] = {}
    user_ids = {entry.provider_id: entry for entry in user_providers}
    for section, api in EXTERNAL_SECTIONS.items():
        for index, item in enumerate(section_values.get(section) or []):
            path = f"spec.server.externalProviders.{section}[{index}]"
            if api is None:
                errors.add(path, f"the {section} API does not exist in {release(LLAMA_STACK)}; remove it")
                continue
            provider = ExternalProvider(
                path=path,
                api=api,
                provider_id=item["providerId"],
                image=item["image"],
                image_pull_policy=item["imagePullPolicy"],
                config=item.get("config") or {},
            )
            if len(provider.provider_id) > MAX_PROVIDER_ID_LENGTH:
                errors.add(
                    f"{path}.providerId", f"must be at most {MAX_PROVIDER_ID_LENGTH} characters (init container name)"
                )
            twin = first_seen.get(provider.provider_id)
            if twin is not None:
                errors.add(
                    f"{path}.providerId",
                    f"provider id '{provider.provider_id}' is declared by several external providers: "
                    f"{twin.image} ({twin.path}) and {provider.image}; give each a unique providerId",
                )
                continue
            user = user_ids.get(provider.provider_id)
            if user is not None and user.api != api:
                errors.add(
                    f"{path}.providerId",
                    f"'{provider.provider_id}' is already the id of {user.path} in the {user.api} API; "
                    "ids must be unique across APIs",
                )
            first_seen[provider.provider_id] = provider
            found.append(provider)
    return tuple(found)


def warn_external_overrides(draft: Draft) -> None:
    """An external id equal to a provider of the same API replaces it in the pod; say so up front."""
    draft.warnings += [
        f"{provider.path}: external provider '{provider.provider_id}' overrides base provider in API "
        f"'{provider.api}' (base type {block.get('provider_type')}; external type from its image)"
        for provider in draft.spec.external_providers
        for block in draft.config.get("providers", {}).get(provider.api, [])
        if plain_id(block.get("provider_id")) == provider.provider_id
    ]
