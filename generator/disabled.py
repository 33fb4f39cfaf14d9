"""`spec.server.disabled`: remove whole APIs from the config (apis and providers)."""

from __future__ import annotations

from generator.model import Draft
from generator.registry import release


def apply_disabled(draft: Draft) -> None:
    """Remove the named APIs; record the config API names actually removed."""
    config, warnings, line = draft.config, draft.warnings, draft.spec.line
    distribution = draft.spec.distribution_name
    for index, name in enumerate(draft.spec.server.get("disabled") or []):
        path = f"spec.server.disabled[{index}]"
        if name in line.apis.removed:
            warnings.append(f"{path}: the {name} API does not exist in {release(line)}; nothing to disable")
            continue
        api = line.apis.cr_to_config[name]
        present = api in config.get("apis", []) or api in config.get("providers", {})
        if not present:
            warnings.append(f"{path}: distribution '{distribution}' has no {api} API; nothing to disable")
            continue
        config["apis"] = [a for a in config.get("apis", []) if a != api]
        config.get("providers", {}).pop(api, None)
        draft.removed_apis.add(api)
