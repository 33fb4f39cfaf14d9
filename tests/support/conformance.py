"""Check a generated config.yaml with the server's own code, the way the server reads it.

`StackConfig` after env substitution, then each enabled provider's own config class, and no key
that the server would silently ignore (pydantic's default is to drop unknown keys, so a
misspelled or outdated key would otherwise pass unnoticed and simply not take effect).

The server is llama-stack 0.7.3 (`llama_stack`, this virtualenv) or OGX 1.5.0 (`ogx`, whose
`ogx.core` mirrors `llama_stack.core`): OGX needs a virtualenv of its own, so its configs are
checked by running this module there (`python -m tests.support.conformance ogx`, a JSON list of
`{name, text, env}` on stdin, `{name: problems}` on stdout; `validate_in_ogx` does that).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator
from functools import cache
from types import SimpleNamespace
from typing import Any

import yaml
from pydantic import BaseModel


@cache
def _server(module: str) -> SimpleNamespace:
    """The server's own classes: `llama_stack` or `ogx` (and their `*_api` package)."""

    def load(name: str) -> Any:
        return importlib.import_module(f"{module}{name}")

    stack = load(".core.stack")
    return SimpleNamespace(
        StackConfig=load(".core.datatypes").StackConfig,
        get_provider_registry=load(".core.distribution").get_provider_registry,
        cast_distro_name_to_string=stack.cast_distro_name_to_string,
        replace_env_vars=stack.replace_env_vars,
        instantiate_class_type=load(".core.utils.dynamic").instantiate_class_type,
        Api=importlib.import_module(f"{module}_api").Api,
    )


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


def validate_config(text: str, env: dict[str, str] | None = None, module: str = "llama_stack") -> list[str]:
    """Problems the server (`module`) would have with this config; an empty list means it is valid."""
    server = _server(module)
    raw = yaml.safe_load(text)
    with patched_env(env or {}):
        substituted = server.replace_env_vars(raw)
    config = server.StackConfig(**server.cast_distro_name_to_string(substituted))
    problems = _ignored_keys(server.StackConfig, substituted, "config")
    registry = server.get_provider_registry(config)
    for api, providers in config.providers.items():
        for index, provider in enumerate(providers):
            if not provider.provider_id or provider.provider_id == "__disabled__":
                continue
            where = f"providers.{api}[{index}] ({provider.provider_id})"
            spec = registry[server.Api(api)].get(provider.provider_type)
            if spec is None:
                problems.append(f"{where}: unknown provider_type {provider.provider_type}")
                continue
            config_class = server.instantiate_class_type(spec.config_class)
            try:
                config_class(**provider.config)
            except Exception as err:  # pydantic.ValidationError and friends: report, don't stop
                problems.append(f"{where}: {type(err).__name__}: {err}")
            problems += _ignored_keys(config_class, provider.config, where)
    return problems


def validate_in_ogx(configs: dict[str, tuple[str, dict[str, str]]]) -> dict[str, list[str]]:
    """`validate_config` with OGX 1.5.0's classes, in the OGX virtualenv: name -> (text, env) in,
    name -> problems out (one subprocess for all of them)."""
    from tests.support.ogx import run_in_ogx  # pytest's: not in the OGX virtualenv this module runs in too

    payload = json.dumps([{"name": name, "text": text, "env": env} for name, (text, env) in configs.items()])
    done = run_in_ogx(["-m", "tests.support.conformance", "ogx"], stdin=payload)
    assert done.returncode == 0, done.stderr[-3000:]
    problems: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return problems


def _main(module: str) -> int:
    results = {}
    for item in json.load(sys.stdin):
        try:
            results[item["name"]] = validate_config(item["text"], item["env"], module)
        except Exception as err:  # StackConfig refusing the whole config is a finding, not a crash
            results[item["name"]] = [f"{type(err).__name__}: {err}"]
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
