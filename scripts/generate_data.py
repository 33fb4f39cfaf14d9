"""Regenerate a server line's generator data from its installed (pinned) server wheel.

Each server line has its own wheel and virtualenv (llama-stack 0.7.3 needs `mcp<2`, OGX 1.5.0
`mcp>=2`), so `make data` runs this script once per line, in that line's virtualenv:
`.venv/bin/python scripts/generate_data.py --line llama-stack` and
`.venv-ogx/bin/python scripts/generate_data.py --line ogx`. The output is committed and never
edited by hand; `tests/generator/test_data.py` runs `--check` for both lines, so a server upgrade
shows up as a reviewable data diff.

Writes, under generator/data/<line>/:
- distributions/<name>.yaml: each distribution's config.yaml as the wheel ships it (after a header).
- distributions.yaml: the registry (name -> image, base config), the server's version, where
  its shipped configs keep state (`~/.llama`, `~/.ogx`) and the keys its `server:` block takes.
- storage.yaml: the server's default storage stores (used when backends are renamed).
- providers.yaml: the provider catalog (API -> provider_type -> config fields and where the
  CR's simplified fields go), read from the server's own provider registry and config classes.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import typing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from generated import header, write_or_check  # the sibling module: scripts run as files

# Both lines' images live in the `ogxai` Docker Hub org: the `llamastack` org was removed in
# June 2026 (projects that pulled from it moved to `docker.io/ogxai/distribution-*:<version>`).
# The tag is the server release the data comes from, never `latest`: a config generated from
# 0.7.3's wheel must run on 0.7.3's server. No registry is reachable from CI to confirm a tag;
# the README says which were chosen and why, and LLSD_IMAGE_OVERRIDES points at a mirror.
IMAGE = "docker.io/ogxai/distribution-{name}:{version}"


@dataclass(frozen=True)
class Line:
    """What differs between the wheels this script reads: the package, and what it ships."""

    package: str  # PyPI name, for the version
    module: str  # import root: `<module>.core...`, `<module>/distributions/<name>/config.yaml`
    distributions: tuple[str, ...]
    published: frozenset[str]  # distributions the release workflow pushes an image for


LINES = {
    # llama-stack's release workflow pushed images for starter and postgres-demo only.
    "llama-stack": Line(
        "llama-stack",
        "llama_stack",
        ("starter", "postgres-demo", "nvidia", "watsonx", "oci", "open-benchmark"),
        frozenset({"starter", "postgres-demo"}),
    ),
    # The OGX operator's distributions.json names starter, remote-vllm, meta-reference-gpu and
    # postgres-demo images; of those, the wheel ships a config.yaml for starter and postgres-demo.
    "ogx": Line(
        "ogx",
        "ogx",
        ("starter", "postgres-demo", "nvidia", "watsonx", "oci", "open-benchmark"),
        frozenset({"starter", "postgres-demo"}),
    ),
}
DISTRO_DIR_PLACEHOLDER = "__DISTRO_DIR__"
UNRESOLVABLE_ENV = re.compile(r"\$\{env\.[A-Z0-9_]+\}")
KEY_FIELDS = ("api_key", "api_token", "access_token")
# A config key holds a secret when the server types it SecretStr, or when its name says so
# (pgvector's `password`, brave-search's `api_key` are plain strings in 0.7.3).
SECRET_NAME = re.compile(r"(^|_)(api_key|api_token|access_token|password|passwd|secret|token|credentials?)(_|$)")
ENDPOINT_FIELDS = ("base_url", "url", "uri")

DATA_ROOT = Path(__file__).resolve().parent.parent / "generator" / "data"


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


def _required_defaults(cls: Any, required: list[str], home: str) -> dict[str, Any]:
    """The server's own sample values for required fields, where they need no user input.

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
        text = text.replace(f"{home}/{DISTRO_DIR_PLACEHOLDER}", DISTRO_DIR_PLACEHOLDER)
        defaults[key] = yaml.safe_load(text)
    return defaults


def build_catalog(line: Line, home: str) -> dict[str, Any]:
    get_provider_registry = importlib.import_module(f"{line.module}.core.distribution").get_provider_registry
    instantiate_class_type = importlib.import_module(f"{line.module}.core.utils.dynamic").instantiate_class_type

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
                "required_defaults": _required_defaults(cls, [*required, *_used_at_startup(keys, required)], home),
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


def shipped_configs(line: Line) -> dict[str, str]:
    root = Path(importlib.import_module(line.module).__file__ or "").parent / "distributions"
    return {name: (root / name / "config.yaml").read_text() for name in line.distributions}


def build_registry(line: Line, catalog: dict[str, Any], version: str, texts: dict[str, str]) -> dict[str, Any]:
    configs = {name: yaml.safe_load(text) for name, text in texts.items()}
    starter_deps = _distribution_deps(configs["starter"], catalog)
    registry: dict[str, Any] = {}
    for name in line.distributions:
        entry: dict[str, Any] = {"config": f"distributions/{name}.yaml"}
        if name in line.published:
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
    return {"package": line.package, "server_version": version, "distributions": registry}


def build_storage_defaults(line: Line) -> dict[str, Any]:
    """Stores a config may omit: the server then points them at `kv_default`/`sql_default`."""
    stores = importlib.import_module(f"{line.module}.core.storage.datatypes").ServerStoresConfig
    return {"store_defaults": stores().model_dump(mode="json", exclude_none=True)}


def _home(texts: dict[str, str]) -> str:
    """Where the line's shipped configs keep state (`~/.llama`, `~/.ogx`): read, not assumed."""
    found = {match for text in texts.values() for match in re.findall(r"~/\.[a-z-]+(?=/distributions/)", text)}
    if len(found) != 1:
        raise SystemExit(f"generate_data: expected one state directory in the shipped configs, found {sorted(found)}")
    return found.pop()


def render(line_name: str) -> dict[Path, str]:
    line = LINES[line_name]
    version = metadata.version(line.package)
    first_line = header("generate_data.py", f"{line.package} {version}", "data")
    texts = shipped_configs(line)
    home = _home(texts)
    catalog = build_catalog(line, home)
    registry = build_registry(line, catalog, version, texts)
    registry["home"] = home
    # What `server:` takes (OGX refuses plain HTTP unless `insecure` is set; llama-stack has no such key).
    server_config = importlib.import_module(f"{line.module}.core.datatypes").ServerConfig
    registry["server_fields"] = sorted(info.alias or name for name, info in server_config.model_fields.items())
    out = DATA_ROOT / line_name
    files = {
        out / "providers.yaml": first_line + _dump(catalog),
        out / "distributions.yaml": first_line + _dump(registry),
        out / "storage.yaml": first_line + _dump(build_storage_defaults(line)),
    }
    for name, text in texts.items():
        files[out / "distributions" / f"{name}.yaml"] = first_line + text
    return files


def main() -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--line", choices=sorted(LINES), required=True, help="the server line whose wheel is installed")
    args, rest = parser.parse_known_args()
    return write_or_check(__doc__.splitlines()[0], lambda: render(args.line), "data", rest)


if __name__ == "__main__":
    sys.exit(main())
