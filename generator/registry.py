"""The distribution registry: name -> image and base config.yaml, from data/distributions.yaml.

Base configs are parsed once per process; callers get a deep copy they may change.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from generator.catalog import load_data


@cache
def _registry() -> dict[str, Any]:
    registry: dict[str, Any] = load_data("distributions.yaml")
    return registry


def distribution_names() -> list[str]:
    return sorted(_registry()["distributions"])


def llama_stack_version() -> str:
    return str(_registry()["llama_stack_version"])


@cache
def _base_config_json(name: str) -> str:
    return json.dumps(load_data(_registry()["distributions"][name]["config"]))


def base_config(name: str) -> dict[str, Any]:
    """A private copy of the distribution's shipped config.yaml.

    Parsed once per process; each call decodes a JSON copy, several times faster than deepcopy.
    """
    config: dict[str, Any] = json.loads(_base_config_json(name))
    return config


def distribution_image(name: str, overrides: dict[str, str] | None = None) -> str:
    """The image that runs distribution `name`; the hook's own settings may override it.

    Raises KeyError for an unknown name and LookupError where no image is published.
    """
    entry = _registry()["distributions"][name]
    image = (overrides or {}).get(name) or entry.get("image")
    if not image:
        raise LookupError(
            f"distribution '{name}' has no published image for llama-stack "
            f"{entry['llama_stack_version']}; give the hook an image override for it "
            f"(LLSD_IMAGE_OVERRIDES) or set spec.server.distribution.image with userConfig"
        )
    return str(image)
