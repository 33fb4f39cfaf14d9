"""`llsd-hook convert FILE --to ogxserver`, run as a user runs it on a GitOps file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.ogxserver.translate import translate
from tests.hooks.test_cli import CR, SECRET

pytestmark = pytest.mark.slow  # the CLI in a new Python process


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hooks.cli", *args], capture_output=True, text=True, check=False, input=stdin
    )


def test_a_gitops_file_becomes_ogxservers_with_what_did_not_carry_over_written_above(tmp_path: Path):
    shields = CR.replace(
        '    resources:\n      models: ["meta-llama/Llama-3.2-3B-Instruct"]\n',
        '    resources:\n      models: ["meta-llama/Llama-3.2-3B-Instruct"]\n      shields: [guard]\n',
    )
    path = tmp_path / "stack.yaml"
    path.write_text(shields + SECRET)
    done = run("convert", str(path), "--to", "ogxserver")
    assert done.returncode == 0, done.stderr
    documents = list(yaml.safe_load_all(done.stdout))
    assert [d["kind"] for d in documents] == ["OGXServer", "Secret"]
    ogx, secret = documents
    assert ogx["metadata"] == {"name": "my-stack", "namespace": "ai"}
    assert ogx["spec"]["providers"]["inference"]["remote"]["vllm"] == [
        {"id": "vllm", "endpoint": "http://vllm:8000/v1", "apiToken": {"name": "vllm-creds", "key": "token"}}
    ]
    assert secret["metadata"]["labels"] == {"ogx.io/watch": "true"}
    assert translate(ogx).name == "my-stack"  # the OGX line accepts what convert wrote
    reason = "OGX 1.5 has no safety API, so there are no shields"
    assert f"# not carried over: spec.server.resources.shields[0]: {reason}" in done.stdout
    assert f"my-stack: not carried over: spec.server.resources.shields[0]: {reason}" in done.stderr


def test_stdin_and_an_invalid_llsd(tmp_path: Path):
    done = run("convert", "-", "--to", "ogxserver", stdin=CR.replace("provider: vllm", "provider: nope"))
    assert done.returncode == 2
    assert done.stderr.startswith("spec.server.providers.inference.provider: unknown provider 'nope'")
    assert done.stdout == ""
