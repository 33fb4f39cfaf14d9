"""External providers (spec 001): checks at generation time and the in-pod install/merge steps.

Provider types and Python modules live inside the provider images, so the merge into config.yaml
happens in the pod (external_merge.py, run by the last init container). Here: CR-level rules
(unique ids, known APIs), the collision warnings the hook can give before any pod runs (T083),
and the commands of the init containers.
"""

from __future__ import annotations

import json
import shlex
from importlib import resources
from typing import Any

from generator.apis import LLAMA_STACK_APIS
from generator.errors import ErrorList
from generator.layout import (
    CONFIG_PATH,
    EXTERNAL_METADATA_DIR,
    EXTERNAL_PACKAGES_DIR,
    FINAL_CONFIG_PATH,
    PROVIDER_IMAGE_DIR,
)
from generator.model import Draft, ExternalProvider, ProviderEntry
from generator.naming import MAX_PROVIDER_ID_LENGTH
from generator.providers import plain_id
from generator.registry import llama_stack_version

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
                errors.add(path, f"the {section} API does not exist in llama-stack {llama_stack_version()}; remove it")
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


def install_command(provider: ExternalProvider) -> list[str]:
    """The init container that copies the provider's spec and installs its wheels, offline."""
    target = f"{EXTERNAL_METADATA_DIR}/{provider.provider_id}"
    image = shlex.quote(provider.image)
    spec_file = f"{PROVIDER_IMAGE_DIR}/lls-provider-spec.yaml"
    script = f"""\
set -eu
if [ ! -f {spec_file} ] || [ ! -d {PROVIDER_IMAGE_DIR}/packages ]; then
  echo "ERROR: Missing {spec_file} or {PROVIDER_IMAGE_DIR}/packages in image "{image} >&2
  echo "Resolution: build the provider image as the llsd-hook README's provider image contract says" >&2
  exit 1
fi
mkdir -p {target}
cp {spec_file} {target}/lls-provider-spec.yaml
python3 -m pip install --quiet --target {EXTERNAL_PACKAGES_DIR} --upgrade --no-index \\
  --find-links {PROVIDER_IMAGE_DIR}/packages --no-cache-dir --disable-pip-version-check \\
  {PROVIDER_IMAGE_DIR}/packages/*.whl
echo "installed external provider {provider.provider_id}"
"""
    return ["/bin/sh", "-c", script]


def merge_command(external: tuple[ExternalProvider, ...]) -> list[str]:
    """The last init container: merge the installed providers into the final config."""
    plan = [{"provider_id": p.provider_id, "api": p.api, "image": p.image, "config": p.config} for p in external]
    source = resources.files("generator").joinpath("external_merge.py").read_text()
    return [
        "python3",
        "-c",
        source,
        json.dumps(plan, sort_keys=True),
        EXTERNAL_METADATA_DIR,
        CONFIG_PATH,
        FINAL_CONFIG_PATH,
    ]
