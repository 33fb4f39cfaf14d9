"""User providers: CR entries -> llama-stack provider blocks, and the overlay onto the base.

Where each simplified CR field goes comes from the catalog (data from llama-stack's own config
classes): `endpoint` -> `base_url` (or `url`/`uri`), `apiKey` -> `api_key`/`api_token`/
`access_token`, `region` -> `region_name`, `host` -> `host`. `config` passes through; the
simplified fields win over the same key in it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from generator import catalog, registry
from generator.errors import ErrorList
from generator.lines import ServerLine
from generator.model import Draft, ProviderEntry, SecretRef
from generator.provider_ids import is_conditional, plain_id
from generator.secrets import cr_field_token, env_ref, make_ref, provider_env_name
from generator.values import replace_in_strings

DISTRO_DIR_PLACEHOLDER = "__DISTRO_DIR__"
ENV_REFERENCE = re.compile(r"\$\{env\.[A-Za-z_][A-Za-z0-9_]*\}")


def is_enabled(provider_id: Any, env_names: set[str]) -> bool:
    """A base provider written `${env.X:+id}` runs only when the pod sets X."""
    text = str(provider_id or "")
    return not is_conditional(text) or text[len("${env.") :].split(":", 1)[0] in env_names


def fill_required_defaults(config: dict[str, Any], info: dict[str, Any], distro_dir: str) -> None:
    for key, value in info["required_defaults"].items():
        if key not in config:
            config[key] = replace_in_strings(value, DISTRO_DIR_PLACEHOLDER, distro_dir)


# CR field -> (catalog key naming its config key, the problem when the provider has none).
SIMPLE_FIELDS = {
    "endpoint": ("endpoint_field", "takes no endpoint; set its address under `config`"),
    "apiKey": ("key_field", "takes no API key; remove apiKey"),
    "host": ("host_field", "has no host field; remove host"),
    "region": ("region_field", "has no region; remove region"),
}
SECRET_FIELDS = ("apiKey", "host")  # simple fields that hold a secretKeyRef


def _resolve_type(
    line: ServerLine, cr_api: str, api: str, item: dict[str, Any], path: str, errors: ErrorList
) -> str | None:
    """`provider: vllm` -> `remote::vllm`, or an error listing the valid names for the API."""
    if not catalog.has_api(line, api):
        errors.add(path, f"the {cr_api} API does not exist in {registry.release(line)}; remove it")
        return None
    provider_type = catalog.resolve_provider_type(line, api, item["provider"])
    if provider_type is None:
        valid = ", ".join(catalog.valid_provider_names(line, api))
        errors.add(f"{path}.provider", f"unknown provider '{item['provider']}' for {cr_api}; valid names: {valid}")
    return provider_type


def _refuse_literal_secrets(config: dict[str, Any], info: dict[str, Any], path: str, errors: ErrorList) -> None:
    """A secret written into `config` would be stored in the ConfigMap, readable by anyone who can
    read ConfigMaps: only `${env.NAME}` references (or nothing) may stand there."""
    for key in info["secret_fields"]:
        value = config.get(key)
        if value in (None, "") or (isinstance(value, str) and ENV_REFERENCE.fullmatch(value)):
            continue
        fix = (
            "apiKey: {secretKeyRef: {name, key}}"
            if key == info["key_field"]
            else f"secretRefs: {{{key}: {{secretKeyRef: {{name, key}}}}}}"
        )
        errors.add(
            f"{path}.config.{key}",
            f"a secret must not be written into the config (it would be stored in a ConfigMap); "
            f"remove it and reference a Secret instead: {fix}",
        )


def _check_config_keys(
    provider_type: str, info: dict[str, Any], config: dict[str, Any], path: str, errors: ErrorList
) -> None:
    """A key the provider's config class does not have would be ignored by llama-stack: refuse it."""
    if info["extra_keys_allowed"]:
        return
    for key in sorted(set(config) - set(info["fields"])):
        errors.add(
            f"{path}.config.{key}",
            f"{provider_type} has no config key '{key}' (llama-stack would ignore it); "
            f"valid keys: {', '.join(info['fields'])}",
        )


class _ConfigWriter:
    """Writes the CR's simplified fields and secret references into a provider's config."""

    def __init__(self, api: str, env_id: str | None, path: str, config: dict[str, Any]) -> None:
        self.api, self.env_id, self.path, self.config = api, env_id, path, config
        self.secret_refs: list[SecretRef] = []

    def secret(self, field: str, selector: dict[str, Any], config_key: str, token: str) -> None:
        """The config holds `${env.NAME}`; the Deployment fills NAME from the Secret."""
        ref = make_ref(f"{self.path}.{field}", selector, provider_env_name(self.api, self.env_id, token))
        self.secret_refs.append(ref)
        self.config[config_key] = env_ref(ref.env_name)


def _map_fields(
    item: dict[str, Any], provider_type: str, info: dict[str, Any], target: _ConfigWriter, errors: ErrorList
) -> None:
    """endpoint, apiKey, host, region and secretRefs to the provider's own config keys (they win over `config`)."""
    path = target.path
    for field, (catalog_key, problem) in SIMPLE_FIELDS.items():
        if field not in item:
            continue
        config_key = info[catalog_key]
        if config_key is None:
            errors.add(f"{path}.{field}", f"provider '{catalog.short_name(provider_type)}' ({provider_type}) {problem}")
        elif field in SECRET_FIELDS:
            target.secret(field, item[field], config_key, cr_field_token(field))
        else:
            target.config[config_key] = item[field]
    for key, selector in sorted((item.get("secretRefs") or {}).items()):
        if key not in info["fields"] and not info["extra_keys_allowed"]:
            errors.add(
                f"{path}.secretRefs.{key}",
                f"{provider_type} has no config key '{key}'; valid keys: {', '.join(info['fields'])}",
            )
            continue
        target.secret(f"secretRefs.{key}", selector, key, cr_field_token(key))


def _check_provider_rules(item: dict[str, Any], provider_type: str, path: str, errors: ErrorList) -> None:
    """Fields only some providers need or take: bedrock's region, azure's deployment name."""
    if provider_type == "remote::bedrock" and "region" not in item:
        errors.add(f"{path}.region", "required for bedrock; set the AWS region, e.g. us-east-1")
    deployment = item.get("deploymentName")
    if provider_type == "remote::azure" and not deployment:
        errors.add(f"{path}.deploymentName", "required for azure; set the Azure OpenAI deployment name")
    if deployment and provider_type != "remote::azure":
        short = catalog.short_name(provider_type)
        errors.add(f"{path}.deploymentName", f"only azure takes deploymentName, not '{short}'; remove it")


def build_entry(
    line: ServerLine,
    cr_api: str,
    api: str,
    item: dict[str, Any],
    path: str,
    list_form: bool,
    distro_dir: str,
    errors: ErrorList,
) -> ProviderEntry | None:
    """Resolve one CR provider (`cr_api` as the CR names it, `api` its config key) against the
    line's catalog; report every problem it has."""
    provider_type = _resolve_type(line, cr_api, api, item, path, errors)
    if provider_type is None:
        return None
    if list_form and "id" not in item:
        errors.add(f"{path}.id", "required in list form; give each entry a unique id")
    explicit_id = "id" in item
    provider_id = item.get("id") or catalog.short_name(provider_type)
    info = catalog.provider_info(line, api, provider_type)
    config = copy.deepcopy(item.get("config") or {})
    _check_config_keys(provider_type, info, config, path, errors)
    _refuse_literal_secrets(config, info, path, errors)
    fill_required_defaults(config, info, distro_dir)
    writer = _ConfigWriter(api, provider_id if explicit_id else None, path, config)
    _map_fields(item, provider_type, info, writer, errors)
    _check_provider_rules(item, provider_type, path, errors)
    for key in sorted(set(info["required"]) - set(config)):
        errors.add(f"{path}.config.{key}", f"required by {provider_type}; add it under config")
    return ProviderEntry(
        path=path,
        cr_api=cr_api,
        api=api,
        provider_id=provider_id,
        explicit_id=explicit_id,
        provider_type=provider_type,
        config=config,
        secret_refs=tuple(writer.secret_refs),
        deployment_name=item.get("deploymentName"),
    )


def provider_block(entry: ProviderEntry) -> dict[str, Any]:
    """The config's block for `entry`; its `config` is a copy (the entry belongs to a memoised Spec)."""
    block: dict[str, Any] = {"provider_id": entry.provider_id, "provider_type": entry.provider_type}
    if entry.config:
        block["config"] = copy.deepcopy(entry.config)
    return block


def overlay_providers(draft: Draft) -> None:
    """Overlay by provider id: a match replaces the base entry in place, others are appended.

    Unmatched base providers stay. Adding a provider for an API adds the API to `apis`. Each
    API's ids are indexed once, so the cost stays linear in the number of providers.
    """
    providers = draft.config.setdefault("providers", {})
    apis = draft.config.setdefault("apis", [])
    positions: dict[str, dict[str, int]] = {}
    for entry in draft.spec.providers:
        blocks = providers.setdefault(entry.api, [])
        if entry.api not in positions:
            positions[entry.api] = {plain_id(b.get("provider_id")): i for i, b in reversed(list(enumerate(blocks)))}
        index = positions[entry.api].get(entry.provider_id)
        if index is None:
            positions[entry.api][entry.provider_id] = len(blocks)
            blocks.append(provider_block(entry))
        else:
            blocks[index] = provider_block(entry)
        if entry.api not in apis:
            apis.append(entry.api)
