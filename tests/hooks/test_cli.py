"""The llsd-hook command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.support.net import free_port

pytestmark = pytest.mark.slow  # each test runs the CLI in a new Python process; one runs gunicorn

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
    assert [d.get("kind") for d in docs[:-1]] == [
        "ConfigMap",
        "ServiceAccount",
        "Service",
        "Deployment",
        "NetworkPolicy",
    ]
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


def _deployment_image(stdout: str) -> str:
    deployment = next(d for d in yaml.safe_load_all(stdout) if d and d.get("kind") == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def test_render_takes_image_overrides_from_flags_over_the_environment(tmp_path: Path, monkeypatch):
    path = tmp_path / "cr.yaml"
    path.write_text(CR + SECRET)
    monkeypatch.setenv("LLSD_IMAGE_OVERRIDES", '{"starter": "mirror.example.com/from-env:1"}')
    assert _deployment_image(run("render", str(path)).stdout) == "mirror.example.com/from-env:1"
    done = run("render", str(path), "--image-override", "starter=mirror.example.com/from-flag:2")
    assert done.returncode == 0, done.stderr
    assert _deployment_image(done.stdout) == "mirror.example.com/from-flag:2"


def test_a_malformed_image_override_is_a_usage_error(tmp_path: Path, monkeypatch):
    path = tmp_path / "cr.yaml"
    path.write_text(CR + SECRET)
    done = run("render", str(path), "--image-override", "starter")
    assert done.returncode == 2
    assert "expected NAME=IMAGE" in done.stderr
    monkeypatch.setenv("LLSD_IMAGE_OVERRIDES", "[1]")
    done = run("render", str(path))
    assert done.returncode == 1
    assert "LLSD_IMAGE_OVERRIDES must be a JSON object" in done.stderr


def test_serve_runs_gunicorn_with_the_image_override():
    """The container entrypoint, for real: gunicorn answers /healthz and /sync on the bind address."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hooks.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--image-override", "starter=mirror.example.com/served:3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as reply:
                    assert json.load(reply) == {"status": "ok"}
                break
            except OSError:
                assert time.monotonic() < deadline, "llsd-hook serve did not come up"
                assert server.poll() is None, "llsd-hook serve exited"
                time.sleep(0.2)
        parent = yaml.safe_load(CR)
        related = {"Secret.v1": {"ai/vllm-creds": yaml.safe_load(SECRET)}}
        body = json.dumps({"parent": parent, "children": {}, "related": related}).encode()
        request = urllib.request.Request(f"{base}/sync", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            answer = json.load(reply)
        deployment = next(c for c in answer["children"] if c["kind"] == "Deployment")
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "mirror.example.com/served:3"
    finally:
        server.terminate()
        server.wait(timeout=30)
