"""The committed data must be exactly what the pinned llama-stack ships (regenerate: make data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_data_matches_installed_llama_stack():
    result = subprocess.run(
        [sys.executable, "scripts/generate_data.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"generator/data is stale; run `make data` and review the diff:\n{result.stderr}"


def test_base_configs_are_the_shipped_bytes():
    import llama_stack

    shipped = Path(llama_stack.__file__).parent / "distributions" / "starter" / "config.yaml"
    assert (ROOT / "generator/data/distributions/starter.yaml").read_text() == shipped.read_text()
