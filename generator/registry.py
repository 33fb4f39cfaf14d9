"""The distribution registry of each server line: name -> image and base config.yaml, and what
the line's wheel says about itself (version, state directory, `server:` keys), from
data/<line>/distributions.yaml.

Base configs are parsed once per process; callers get a deep copy they may change.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from generator.catalog import load_data
from generator.lines import ServerLine


@cache
def _registry(line: ServerLine) -> dict[str, Any]:
    registry: dict[str, Any] = load_data(line, "distributions.yaml")
    return registry


def distribution_names(line: ServerLine) -> list[str]:
    return sorted(_registry(line)["distributions"])


def server_version(line: ServerLine) -> str:
    """The release the line's data (and its default images' tags) come from."""
    return str(_registry(line)["server_version"])


def release(line: ServerLine) -> str:
    """`llama-stack 0.7.3`, `OGX 1.5.0`: for messages."""
    return f"{line.product} {server_version(line)}"


def home(line: ServerLine) -> str:
    """Where the line's shipped configs keep state (`~/.llama`, `~/.ogx`)."""
    return str(_registry(line)["home"])


def server_fields(line: ServerLine) -> frozenset[str]:
    return frozenset(_registry(line)["server_fields"])


@cache
def _base_config_json(line: ServerLine, name: str) -> str:
    return json.dumps(load_data(line, _registry(line)["distributions"][name]["config"]))


def base_config(line: ServerLine, name: str) -> dict[str, Any]:
    """A private copy of the distribution's shipped config.yaml.

    Parsed once per process; each call decodes a JSON copy, several times faster than deepcopy.
    """
    config: dict[str, Any] = json.loads(_base_config_json(line, name))
    return config


def distribution_image(line: ServerLine, name: str, overrides: dict[str, str] | None = None) -> str:
    """The image that runs distribution `name` of `line`; the hook's own settings may override it
    (key `<line.override_prefix><name>`: `starter` for llama-stack, `ogx/starter` for OGX).

    Raises KeyError for an unknown name and LookupError where no image is published.
    """
    entry = _registry(line)["distributions"][name]
    key = f"{line.override_prefix}{name}"
    image = (overrides or {}).get(key) or entry.get("image")
    if not image:
        raise LookupError(
            f"distribution '{name}' has no published image for {release(line)}; give the hook an image "
            f"override for it (LLSD_IMAGE_OVERRIDES key '{key}') or set distribution.image with a config of your own"
        )
    return str(image)
