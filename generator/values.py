"""Small helpers over plain config data (dicts, lists, scalars) that several steps share."""

from __future__ import annotations

from typing import Any


def replace_in_strings(value: Any, old: str, new: str) -> Any:
    """A fresh copy of `value` with `old` replaced by `new` in every string it holds."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: replace_in_strings(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_in_strings(v, old, new) for v in value]
    return value
