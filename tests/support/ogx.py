"""The OGX virtualenv (`.venv-ogx`, `make venv-ogx`): OGX 1.5.0 needs `mcp>=2`, llama-stack 0.7.3
`mcp<2`, so OGX's own code validates and boots the OGX line's configs in a virtualenv of its own,
reached through subprocesses. `LLSD_OGX_PYTHON` points elsewhere (e.g. a worktree without one).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT

OGX_PYTHON = Path(os.environ.get("LLSD_OGX_PYTHON") or ROOT / ".venv-ogx" / "bin" / "python")


def ogx_python() -> Path:
    """The OGX virtualenv's interpreter; the test skips (saying how to get one) where it is missing,
    and fails under CI, whose `make test` creates it."""
    if not OGX_PYTHON.exists():
        message = f"{OGX_PYTHON} missing: run `make venv-ogx` (OGX 1.5.0's own virtualenv)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return OGX_PYTHON


def run_in_ogx(args: list[str], stdin: str = "", timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in the OGX virtualenv from the repository root (the repo on its path)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [str(ogx_python()), *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout, env=env
    )
