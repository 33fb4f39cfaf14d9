"""Check a generated config.yaml with llama-stack 0.7.3's own code, the way the server reads it.

`StackConfig` after env substitution, then each enabled provider's own config class, and no key
that llama-stack would silently ignore (pydantic's default is to drop unknown keys, so a
misspelled or outdated key would otherwise pass unnoticed and simply not take effect).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import yaml
from llama_stack.core.datatypes import StackConfig
from llama_stack.core.distribution import get_provider_registry
from llama_stack.core.stack import cast_distro_name_to_string, replace_env_vars
from llama_stack.core.utils.dynamic import instantiate_class_type
from llama_stack_api import Api
from pydantic import BaseModel


@contextlib.contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _accepted_keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        if model.model_config.get("populate_by_name"):
            keys.add(name)
    return keys


def _ignored_keys(model: type[BaseModel], data: Any, path: str) -> list[str]:
    """Keys in `data` that `model` (and its nested models) would drop without a word."""
    if not isinstance(data, dict) or model.model_config.get("extra") == "allow":
        return []
    problems = [f"{path}.{key}: ignored by {model.__name__}" for key in sorted(set(data) - _accepted_keys(model))]
    for name, info in model.model_fields.items():
        key = info.alias or name
        nested = _nested_model(info.annotation)
        if nested is not None and isinstance(data.get(key), dict):
            problems += _ignored_keys(nested, data[key], f"{path}.{key}")
    return problems


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


def validate_config(text: str, env: dict[str, str] | None = None) -> list[str]:
    """Problems llama-stack 0.7.3 would have with this config; an empty list means it is valid."""
    raw = yaml.safe_load(text)
    with patched_env(env or {}):
        substituted = replace_env_vars(raw)
    config = StackConfig(**cast_distro_name_to_string(substituted))
    problems = _ignored_keys(StackConfig, substituted, "config")
    registry = get_provider_registry(config)
    for api, providers in config.providers.items():
        for index, provider in enumerate(providers):
            if not provider.provider_id or provider.provider_id == "__disabled__":
                continue
            where = f"providers.{api}[{index}] ({provider.provider_id})"
            spec = registry[Api(api)].get(provider.provider_type)
            if spec is None:
                problems.append(f"{where}: unknown provider_type {provider.provider_type}")
                continue
            config_class = instantiate_class_type(spec.config_class)
            try:
                config_class(**provider.config)
            except Exception as err:  # pydantic.ValidationError and friends: report, don't stop
                problems.append(f"{where}: {type(err).__name__}: {err}")
            problems += _ignored_keys(config_class, provider.config, where)
    return problems
