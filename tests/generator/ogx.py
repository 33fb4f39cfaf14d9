"""OGXServer CR builders and the catalog the translation tests read.

`CATALOG` is the OGX 1.5.0 line's committed data (catalog and registry), as in production.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from generator import OGX
from generator.catalog import LineCatalog
from tests.support.paths import ROOT

UPSTREAM_SAMPLES = ROOT / "tests" / "data" / "upstream-ogx" / "samples"
OUR_SAMPLES = ROOT / "manifests" / "samples" / "ogxserver"
LLSD_SAMPLES = ROOT / "manifests" / "samples"


CATALOG = LineCatalog(OGX)


def ref(name: str, key: str) -> dict[str, str]:
    return {"name": name, "key": key}


def ogxserver(name: str = "demo", annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "ai"}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "ogx.io/v1beta1",
        "kind": "OGXServer",
        "metadata": metadata,
        "spec": {"distribution": {"name": "starter"}, **copy.deepcopy(spec)},
    }


def ogxserver_documents(directory: Path) -> dict[str, dict[str, Any]]:
    """Every OGXServer in the YAML files of `directory`, named `<file stem>/<metadata.name>`."""
    found = {}
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "OGXServer":
                found[f"{path.stem}/{doc['metadata']['name']}"] = doc
    return found
