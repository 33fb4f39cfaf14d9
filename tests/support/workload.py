"""CRs that scale: the benchmark's and the serving tests' load, `count` providers and models at a time."""

from __future__ import annotations

import base64
from typing import Any


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
