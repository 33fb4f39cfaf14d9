"""The install docs stay true: every CRD field is in docs/crd-reference.md, and the examples in
docs/crd-reference.md and docs/migration.md are CRs the CRD, the admission rules and the
generator accept, producing what the text says they produce."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator import generate
from generator.schema import ProviderSchema
from tests.manifests.crd import ROOT, admission_violations, open_api_schema, to_json_schema

DOCS = ROOT / "docs"


def _crs(path: Path) -> list[dict]:
    """Every complete LlamaStackDistribution in the file's ```yaml blocks."""
    return [
        doc
        for block in re.findall(r"```yaml\n(.*?)```", path.read_text(), flags=re.S)
        for doc in yaml.safe_load_all(block)
        if isinstance(doc, dict) and doc.get("kind") == "LlamaStackDistribution"
    ]


def _field_paths(schema: dict, prefix: tuple[str, ...] = ()):
    """`server.storage.size`-style paths of every spec field; one `<api>` for externalProviders'
    per-API lists, whose names the reference lists in one row."""
    for name, child in (schema.get("properties") or {}).items():
        path = (*prefix, name)
        if prefix == ("server", "externalProviders") and child.get("type") == "array":
            yield (*prefix, name)
            for item in child["items"]["properties"]:
                yield (*prefix, "<api>[]", item)
            continue
        if prefix == ("server", "providers"):
            yield path  # the per-API keys; the entry fields are checked against ProviderSchema
            continue
        yield path
        yield from _field_paths(child, path)


def test_crd_reference_documents_every_field():
    text = (DOCS / "crd-reference.md").read_text()
    spec = open_api_schema()["properties"]["spec"]
    missing = []
    for path in _field_paths(spec):
        if path[:2] == ("server", "externalProviders") and len(path) == 3 and path[2] != "volumeSizeLimit":
            if f"`{path[2]}`" not in text and f" {path[2]}," not in text and f" {path[2]}`" not in text:
                missing.append(".".join(path))
            continue
        if path[:2] == ("server", "providers") and len(path) == 3:
            if f"`{path[2]}`" not in text and f"{path[2]}," not in text:
                missing.append(".".join(path))
            continue
        dotted = ".".join(path)
        # a parent object is covered by its children's rows
        if f"`{dotted}" not in text:
            missing.append(dotted)
    assert missing == []
    for name in ProviderSchema._declared_fields:
        assert f"| `{name}" in text, f"provider field {name} has no row"


@pytest.mark.parametrize("doc", ["crd-reference.md", "migration.md"])
def test_doc_examples_are_accepted_by_the_crd_and_admission(doc):
    crs = _crs(DOCS / doc)
    assert crs, f"no complete CR in {doc}"
    for cr in crs:
        jsonschema.validate(cr, to_json_schema(open_api_schema()))
        assert admission_violations(cr) == []
        generate(cr)


def test_migration_example_generates_what_the_guide_shows():
    cr, _ = _crs(DOCS / "migration.md")  # the second is the OGXServer guide's (test_ogxserver_convert)
    result = generate(cr)
    config = yaml.safe_load(result.config_yaml)
    vllm = next(p for p in config["providers"]["inference"] if p["provider_id"] == "vllm")
    assert vllm["config"]["api_token"] == "${env.LLSD_INFERENCE_VLLM_API_KEY}"
    assert vllm["config"]["max_tokens"] == 4096
    tavily = next(p for p in config["providers"]["tool_runtime"] if p["provider_id"] == "tavily-search")
    assert tavily["config"]["api_key"] == "${env.LLSD_TOOL_RUNTIME_TAVILY_SEARCH_API_KEY}"
    assert sorted(config["apis"]) == [
        "file_processors",
        "files",
        "inference",
        "responses",
        "safety",
        "tool_runtime",
        "vector_io",
    ]
    assert "kv_postgres" in config["storage"]["backends"]
    shields = {s["shield_id"]: s for s in config["registered_resources"]["shields"]}
    assert shields["meta-llama/Llama-Guard-3-1B"]["provider_id"] == "llama-guard"
    assert [e["name"] for e in result.env] == [
        "LLSD_INFERENCE_VLLM_API_KEY",
        "LLSD_STORAGE_CONNECTION_STRING",
        "LLSD_TOOL_RUNTIME_TAVILY_SEARCH_API_KEY",
    ]
