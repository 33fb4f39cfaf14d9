"""Realistic Metacontroller v2 sync requests for the benchmark.

A steady-state sync carries the parent, the children the hook created last time (Metacontroller
sends them back as observed), and the Secrets the customize hook asked for. So each request is
built by asking the hook once for a fresh parent and feeding its answer back as observed children.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from tests.support.metacontroller import sync_request

__all__ = ["load_sample", "scaled_cr", "sync_request"]

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "manifests" / "samples"


def load_sample(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    docs = [d for d in yaml.safe_load_all((SAMPLES / f"{name}.yaml").read_text()) if d]
    parent = next(d for d in docs if d["kind"] == "LlamaStackDistribution")
    return parent, [d for d in docs if d is not parent]


def scaled_cr(count: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A CR with `count` inference providers (each with an API key Secret) and `count` models."""
    providers = [
        {
            "id": f"vllm-{i}",
            "provider": "vllm",
            "endpoint": f"http://vllm-{i}.models.svc:8000/v1",
            "apiKey": {"secretKeyRef": {"name": "vllm-creds", "key": f"token-{i}"}},
        }
        for i in range(count)
    ]
    models = [{"name": f"model-{i}", "provider": f"vllm-{i}"} for i in range(count)]
    parent = {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "metadata": {"name": f"scale-{count}", "namespace": "bench"},
        "spec": {
            "server": {
                "distribution": {"name": "starter"},
                "providers": {"inference": providers},
                "resources": {"models": models},
            }
        },
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "vllm-creds", "namespace": "bench"},
        "data": {f"token-{i}": base64.b64encode(b"bench-token").decode() for i in range(count)},
    }
    return parent, [secret]
