"""Merge external providers into config.yaml inside the pod.

Runs in the last init container as `python3 -c <program> PLAN_JSON METADATA_DIR BASE OUTPUT`,
with the distribution image's Python (it has PyYAML, since llama-stack needs it). It imports only
the standard library, yaml and `generator.provider_ids`, whose code the program inlines
(external_init.merge_program). Provider types and modules exist only inside the provider
images, so this is the one step that cannot run in the hook.

PLAN_JSON lists the CR's external providers in CR order: [{"provider_id", "api", "image",
"config"}]. Each provider's install step copied its lls-provider-spec.yaml to
METADATA_DIR/<provider_id>/. The merge works on the generic mapping, so every other key of the
base config stays as it is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from generator.provider_ids import plain_id

# The provider spec names APIs as llama-stack releases before 0.7 did.
DECLARED_API_ALIASES = {"agents": "responses"}


class MergeError(Exception):
    pass


def merge_external(
    config: dict[str, Any], plan: list[dict[str, Any]], specs: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """Add each planned provider as {provider_id, provider_type, module, config}; return warnings."""
    warnings: list[str] = []
    providers = config.setdefault("providers", {})
    apis = config.setdefault("apis", [])
    for item in plan:
        provider_id, api, image = item["provider_id"], item["api"], item["image"]
        spec = (specs.get(provider_id) or {}).get("spec") or {}
        declared = DECLARED_API_ALIASES.get(spec.get("api"), spec.get("api"))  # type: ignore[arg-type]
        if declared != api:
            raise MergeError(
                "ERROR: Provider API type mismatch\n\n"
                f"Provider '{provider_id}' (image: {image})\n"
                f"declares api={spec.get('api')} in lls-provider-spec.yaml\n"
                f"but is placed under externalProviders for the {api} API\n\n"
                "Resolution: Move the provider to the externalProviders section of its API in the LLSD spec."
            )
        if not spec.get("providerType") or not spec.get("packageName"):
            raise MergeError(
                f"ERROR: lls-provider-spec.yaml of '{provider_id}' (image: {image}) needs spec.providerType "
                "and spec.packageName\n\nResolution: Fix the provider image's /lls-provider/lls-provider-spec.yaml."
            )
        entry: dict[str, Any] = {
            "provider_id": provider_id,
            "provider_type": spec["providerType"],
            "module": spec["packageName"],
        }
        if item.get("config"):
            entry["config"] = item["config"]
        blocks = providers.setdefault(api, [])
        index = next((i for i, b in enumerate(blocks) if plain_id(b.get("provider_id")) == provider_id), None)
        if index is None:
            blocks.append(entry)
        else:
            warnings.append(
                f"External provider '{provider_id}' overrides base provider in API '{api}'\n"
                f"  Base type: {blocks[index].get('provider_type')}\n"
                f"  External type: {entry['provider_type']}"
            )
            blocks[index] = entry
        if api not in apis:
            apis.append(api)
    return config, warnings


def main(argv: list[str]) -> int:
    plan_json, metadata_dir, base, output = argv
    plan = json.loads(plan_json)
    specs = {}
    for item in plan:
        spec_file = Path(metadata_dir) / item["provider_id"] / "lls-provider-spec.yaml"
        if not spec_file.is_file():
            print(f"ERROR: {spec_file} is missing; did install-provider-{item['provider_id']} run?", file=sys.stderr)
            return 1
        specs[item["provider_id"]] = yaml.safe_load(spec_file.read_text()) or {}
    config = yaml.safe_load(Path(base).read_text()) or {}
    try:
        merged, warnings = merge_external(config, plan, specs)
    except MergeError as err:
        print(err, file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"WARNING: {warning}")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(yaml.safe_dump(merged, sort_keys=False))
    print(f"merged {len(plan)} external provider(s) into {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
