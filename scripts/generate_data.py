"""Regenerate generator/data/ from the installed (pinned) llama-stack wheel.

Run `make data` (or `python scripts/generate_data.py`). The output is committed and never edited
by hand; `tests/generator/test_data.py` fails when it differs from what the installed
llama-stack ships, so a llama-stack upgrade shows up as a reviewable data diff.

Writes:
- data/distributions/<name>.yaml: each distribution's config.yaml, byte for byte.
- data/distributions.yaml: the registry (name -> image, base config, llama-stack version).
- data/storage.yaml: llama-stack's default storage stores (used when backends are renamed).
- data/providers.yaml: the provider catalog (API -> provider_type -> config fields and where the
  CR's simplified fields go), read from llama-stack's own provider registry and config classes.
"""

from __future__ import annotations

import re
import sys
import typing
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from generated import header, write_or_check  # the sibling module: scripts run as files

DISTRIBUTIONS = ["starter", "postgres-demo", "nvidia", "watsonx", "oci", "open-benchmark"]
# The llama-stack release workflow pushes images only for these.
PUBLISHED_IMAGES = {"starter", "postgres-demo"}
IMAGE = "docker.io/llamastack/distribution-{name}:{version}"
DISTRO_DIR_PLACEHOLDER = "__DISTRO_DIR__"
UNRESOLVABLE_ENV = re.compile(r"\$\{env\.[A-Z0-9_]+\}")
KEY_FIELDS = ("api_key", "api_token", "access_token")
# A config key holds a secret when llama-stack types it SecretStr, or when its name says so
# (pgvector's `password`, brave-search's `api_key` are plain strings in 0.7.3).
SECRET_NAME = re.compile(r"(^|_)(api_key|api_token|access_token|password|passwd|secret|token|credentials?)(_|$)")
ENDPOINT_FIELDS = ("base_url", "url", "uri")

DATA_DIR = Path(__file__).resolve().parent.parent / "generator" / "data"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=100)


def _config_keys(cls: Any) -> tuple[list[str], list[str]]:
    """Keys as written in YAML (the alias where a field has one) and the required ones."""
    keys, required = [], []
    for name, info in cls.model_fields.items():
        key = info.alias or name
        keys.append(key)
        if info.is_required():
            required.append(key)
    return sorted(keys), sorted(required)


def _is_secret_type(annotation: Any) -> bool:
    from pydantic import SecretStr

    return annotation is SecretStr or any(_is_secret_type(arg) for arg in typing.get_args(annotation))


def _secret_keys(cls: Any) -> list[str]:
    """Config keys that hold a secret: a literal value there would land in the ConfigMap."""
    return sorted(
        info.alias or name
        for name, info in cls.model_fields.items()
        if _is_secret_type(info.annotation) or SECRET_NAME.search(info.alias or name)
    )


# Fields a config class declares optional but the provider reads unconditionally at startup:
# pgvector, weaviate and elasticsearch call kvstore_impl(config.persistence), which fails on
# None ("'NoneType' object has no attribute 'backend'"). They get the sample value like a
# required field.
USED_AT_STARTUP = ("persistence",)


def _used_at_startup(keys: list[str], required: list[str]) -> list[str]:
    return [k for k in USED_AT_STARTUP if k in keys and k not in required]


def _required_defaults(cls: Any, required: list[str]) -> dict[str, Any]:
    """llama-stack's own sample values for required fields, where they need no user input.

    A user who writes `vectorIo: {provider: faiss}` gets faiss's sample `persistence` instead of
    a config that fails at startup. Samples that need an env var without default are left out:
    the generator then reports the missing field instead of guessing.
    """
    sample_fn = getattr(cls, "sample_run_config", None)
    if sample_fn is None or not required:
        return {}
    try:
        sample = sample_fn(__distro_dir__=DISTRO_DIR_PLACEHOLDER)
    except TypeError:
        return {}
    defaults = {}
    for key in required:
        if key not in sample:
            continue
        text = yaml.safe_dump(sample[key])
        if UNRESOLVABLE_ENV.search(text):
            continue
        text = text.replace(f"~/.llama/{DISTRO_DIR_PLACEHOLDER}", DISTRO_DIR_PLACEHOLDER)
        defaults[key] = yaml.safe_load(text)
    return defaults


def build_catalog() -> dict[str, Any]:
    from llama_stack.core.distribution import get_provider_registry
    from llama_stack.core.utils.dynamic import instantiate_class_type

    apis: dict[str, Any] = {}
    for api, specs in sorted(get_provider_registry().items(), key=lambda item: item[0].value):
        entries = {}
        for provider_type, spec in sorted(specs.items()):
            cls = instantiate_class_type(spec.config_class)
            keys, required = _config_keys(cls)
            entry: dict[str, Any] = {
                "fields": keys,
                "required": required,
                "secret_fields": _secret_keys(cls),
                "key_field": next((k for k in KEY_FIELDS if k in keys), None),
                "endpoint_field": next((k for k in ENDPOINT_FIELDS if k in keys), None),
                "region_field": "region_name" if "region_name" in keys else None,
                "host_field": "host" if "host" in keys else None,
                "toolgroup_id": getattr(spec, "toolgroup_id", None),
                "api_dependencies": sorted(a.value for a in spec.api_dependencies or []),
                "deprecated": bool(spec.deprecation_warning or spec.deprecation_error),
                "extra_keys_allowed": cls.model_config.get("extra") == "allow",
                "pip_packages": sorted(spec.pip_packages or []),
                "required_defaults": _required_defaults(cls, [*required, *_used_at_startup(keys, required)]),
            }
            entries[provider_type] = entry
        apis[api.value] = entries
    return {"apis": apis}


def _distribution_deps(config: dict[str, Any], catalog: dict[str, Any]) -> set[str]:
    deps: set[str] = set()
    for api, providers in config.get("providers", {}).items():
        for provider in providers:
            deps |= set(catalog["apis"][api][provider["provider_type"]]["pip_packages"])
    return deps


def build_registry(catalog: dict[str, Any], version: str) -> tuple[dict[str, Any], dict[str, str]]:
    import llama_stack

    root = Path(llama_stack.__file__).parent / "distributions"
    texts = {name: (root / name / "config.yaml").read_text() for name in DISTRIBUTIONS}
    configs = {name: yaml.safe_load(text) for name, text in texts.items()}
    starter_deps = _distribution_deps(configs["starter"], catalog)
    registry: dict[str, Any] = {}
    for name in DISTRIBUTIONS:
        entry: dict[str, Any] = {"config": f"distributions/{name}.yaml", "llama_stack_version": version}
        if name in PUBLISHED_IMAGES:
            entry["image"] = IMAGE.format(name=name, version=version)
        elif _distribution_deps(configs[name], catalog) <= starter_deps:
            # No image of its own is published, but the starter image carries every package its
            # providers import (same wheel), so it runs this distribution's config.
            entry["image"] = IMAGE.format(name="starter", version=version)
            entry["image_note"] = "no image of its own is published; the starter image serves it"
        else:
            entry["image"] = None
            entry["image_note"] = "no published image carries its providers; set an image override"
        registry[name] = entry
    return {"llama_stack_version": version, "distributions": registry}, texts


def build_storage_defaults() -> dict[str, Any]:
    """Stores a config may omit: llama-stack then points them at `kv_default`/`sql_default`."""
    from llama_stack.core.storage.datatypes import ServerStoresConfig

    return {"store_defaults": ServerStoresConfig().model_dump(mode="json", exclude_none=True)}


def render() -> dict[Path, str]:
    version = metadata.version("llama-stack")
    catalog = build_catalog()
    catalog["llama_stack_version"] = version
    registry, texts = build_registry(catalog, version)
    first_line = header("generate_data.py", f"llama-stack {version}", "data")
    files = {
        DATA_DIR / "providers.yaml": first_line + _dump(catalog),
        DATA_DIR / "distributions.yaml": first_line + _dump(registry),
        DATA_DIR / "storage.yaml": first_line + _dump(build_storage_defaults()),
    }
    for name, text in texts.items():  # the shipped config.yaml, byte for byte after the header
        files[DATA_DIR / "distributions" / f"{name}.yaml"] = first_line + text
    return files


def main() -> int:
    return write_or_check(__doc__.splitlines()[0], render, "data")


if __name__ == "__main__":
    sys.exit(main())
