"""`spec.server.disabled`: remove whole APIs from the config (apis and providers)."""

from __future__ import annotations

from typing import Any

from generator.apis import REMOVED_APIS, config_api
from generator.registry import llama_stack_version


def apply_disabled(config: dict[str, Any], disabled: list[str], distribution: str, warnings: list[str]) -> set[str]:
    """Remove the named APIs; return the config API names actually removed."""
    removed: set[str] = set()
    for index, name in enumerate(disabled):
        path = f"spec.server.disabled[{index}]"
        if name in REMOVED_APIS:
            warnings.append(
                f"{path}: the {name} API does not exist in llama-stack {llama_stack_version()}; nothing to disable"
            )
            continue
        api = config_api(name)
        present = api in config.get("apis", []) or api in config.get("providers", {})
        if not present:
            warnings.append(f"{path}: distribution '{distribution}' has no {api} API; nothing to disable")
            continue
        config["apis"] = [a for a in config.get("apis", []) if a != api]
        config.get("providers", {}).pop(api, None)
        removed.add(api)
    return removed
