"""The llsd-hook command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

CR = """\
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata: {name: my-stack, namespace: ai}
spec:
  server:
    distribution: {name: starter}
    providers:
      inference:
        provider: vllm
        endpoint: "http://vllm:8000/v1"
        apiKey: {secretKeyRef: {name: vllm-creds, key: token}}
    resources:
      models: ["meta-llama/Llama-3.2-3B-Instruct"]
"""
SECRET = """\
---
apiVersion: v1
kind: Secret
metadata: {name: vllm-creds, namespace: ai}
stringData: {token: cli-canary-value}
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hooks.cli", *args], capture_output=True, text=True, check=False)


def test_config_prints_config_yaml_and_env(tmp_path: Path):
    path = tmp_path / "cr.yaml"
    path.write_text(CR)
    done = run("config", str(path), "--env")
    assert done.returncode == 0, done.stderr
    config_text, env_text = done.stdout.split("\n---\n")
    config = yaml.safe_load(config_text)
    assert config["registered_resources"]["models"][0]["provider_id"] == "vllm"
    assert yaml.safe_load(env_text) == [
        {"name": "LLSD_INFERENCE_API_KEY", "valueFrom": {"secretKeyRef": {"name": "vllm-creds", "key": "token"}}}
    ]


def test_config_reports_errors_with_paths(tmp_path: Path):
    path = tmp_path / "cr.yaml"
    path.write_text(CR.replace("provider: vllm", "provider: nope"))
    done = run("config", str(path))
    assert done.returncode == 2
    assert done.stderr.startswith("spec.server.providers.inference.provider: unknown provider 'nope'")


def test_render_prints_children_then_status(tmp_path: Path):
    path = tmp_path / "cr.yaml"
    path.write_text(CR + SECRET)
    done = run("render", str(path))
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert [d.get("kind") for d in docs[:-1]] == ["ConfigMap", "ServiceAccount", "Service", "Deployment"]
    assert docs[-1]["status"]["phase"] == "Pending"
    assert "cli-canary-value" not in done.stdout


def test_render_without_the_secret_says_so(tmp_path: Path):
    path = tmp_path / "cr.yaml"
    path.write_text(CR)
    done = run("render", str(path))
    assert done.returncode == 2
    status = list(yaml.safe_load_all(done.stdout))[-1]["status"]
    secrets = next(c for c in status["conditions"] if c["type"] == "SecretsResolved")
    assert secrets["reason"] == "SecretNotFound"
