"""Where the tests find the repository's files, and the sample CRs in manifests/samples/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "manifests" / "samples"
GOLDEN = ROOT / "tests" / "golden"


def load_sample(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """manifests/samples/<name>.yaml: the LlamaStackDistribution and the other objects it ships with."""
    docs = [d for d in yaml.safe_load_all((SAMPLES / f"{name}.yaml").read_text()) if isinstance(d, dict)]
    parent = next(d for d in docs if d.get("kind") == "LlamaStackDistribution")
    return parent, [d for d in docs if d is not parent]


def sample_names() -> list[str]:
    return sorted(path.stem for path in SAMPLES.glob("*.yaml"))
