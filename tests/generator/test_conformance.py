"""Every config we generate passes llama-stack 0.7.3's own validation.

Covers the generation cases in crs.py, every sample in manifests/samples/ and every golden hook
case: `StackConfig` after env substitution, each enabled provider's own config class, and no key
llama-stack would silently ignore. Secrets are filled with placeholder values, as the pod's env
would be.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from generator import SpecError, check_user_config, generate
from generator.storage import PG_SHIM_VARS
from tests.generator.crs import CASES
from tests.support.conformance import validate_config
from tests.support.paths import ROOT


def _samples() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    found = {}
    for path in sorted((ROOT / "manifests" / "samples").glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        for doc in docs:
            if doc.get("kind") == "LlamaStackDistribution":
                found[f"sample:{path.stem}"] = (doc, docs)
    return found


def _golden() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    found = {}
    for path in sorted((ROOT / "tests" / "golden").glob("*/request.json")):
        request = json.loads(path.read_text())
        if request["parent"].get("kind", "LlamaStackDistribution") != "LlamaStackDistribution":
            continue  # an OGXServer's config is OGX's to judge: test_conformance_ogx.py
        related = [obj for group in (request.get("related") or {}).values() for obj in group.values()]
        found[f"golden:{path.parent.name}"] = (request["parent"], related)
    return found


ALL = {**{f"case:{k}": (v, []) for k, v in CASES.items()}, **_samples(), **_golden()}


def pod_env(cr: dict[str, Any], env: list[dict[str, Any]]) -> dict[str, str]:
    values = {e["name"]: "placeholder-value" for e in env}
    values.update(dict.fromkeys(PG_SHIM_VARS, "placeholder"))
    values["LLSD_STORAGE_PG_PORT"] = "5432"
    container_env = (((cr.get("spec") or {}).get("server") or {}).get("containerSpec") or {}).get("env") or []
    values.update({e["name"]: str(e["value"]) for e in container_env if "value" in e})
    return values


def test_there_is_something_to_check():
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", sorted(ALL))
def test_generated_config_is_valid_for_llama_stack(name):
    cr, objects = ALL[name]
    server = (cr.get("spec") or {}).get("server") or {}
    if "userConfig" in server:
        user_cm = next(
            (
                o
                for o in objects
                if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == server["userConfig"]["configMapName"]
            ),
            None,
        )
        if user_cm is None:
            pytest.skip("the user ConfigMap is not part of this fixture (a missing-ConfigMap case)")
        text = user_cm["data"].get("config.yaml") or user_cm["data"]["run.yaml"]
        check_user_config(text)
        assert validate_config(text, pod_env(cr, [])) == []
        return
    try:
        result = generate(cr)
    except SpecError:
        if name.startswith("golden:"):
            pytest.skip("an invalid-spec golden case: no config is generated")
        raise
    assert validate_config(result.config_yaml, pod_env(cr, result.env)) == []
