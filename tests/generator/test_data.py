"""The committed data must be exactly what the pinned llama-stack ships (regenerate: make data)."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path

import yaml

from generator import llama_stack_version
from tests.support.paths import ROOT


def test_committed_data_matches_installed_llama_stack():
    result = subprocess.run(
        [sys.executable, "scripts/generate_data.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"generator/data is stale; run `make data` and review the diff:\n{result.stderr}"


def test_base_configs_are_the_shipped_bytes():
    import llama_stack

    shipped = Path(llama_stack.__file__).parent / "distributions" / "starter" / "config.yaml"
    assert (ROOT / "generator/data/distributions/starter.yaml").read_text() == shipped.read_text()


def test_one_llama_stack_version_everywhere():
    """The data (written from the installed wheel) names the release; setup.cfg pins that same one."""
    version = llama_stack_version()
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    extras = setup["options.extras_require"]
    pins = re.findall(r"^llama-stack(?:\[\w+\])?==(\S+)$", extras["test"] + extras["starter"], flags=re.M)
    assert len(pins) == 2, "setup.cfg pins llama-stack in the test and starter extras"
    assert set(pins) == {version}
    distributions = yaml.safe_load((ROOT / "generator/data/distributions.yaml").read_text())["distributions"]
    assert {d["llama_stack_version"] for d in distributions.values()} == {version}
    assert all(d["image"].endswith(f":{version}") for d in distributions.values() if d.get("image"))
