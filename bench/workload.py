"""Realistic Metacontroller v2 sync requests for the benchmark.

A steady-state sync carries the parent, the children the hook created last time (Metacontroller
sends them back as observed), and the Secrets the customize hook asked for. So each request is
built by asking the hook once for a fresh parent and feeding its answer back as observed children.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

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


def _key(obj: dict[str, Any], namespace: str) -> str:
    return f"{obj['metadata'].get('namespace') or namespace}/{obj['metadata']['name']}"


def _type_key(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}.{obj['apiVersion']}"


def sync_request(parent: dict[str, Any], objects: list[dict[str, Any]], children: list[dict[str, Any]]) -> dict:
    namespace = parent["metadata"].get("namespace", "default")
    parent = copy.deepcopy(parent)
    parent["metadata"].setdefault("namespace", namespace)
    parent["metadata"].update({"uid": "00000000-0000-0000-0000-000000000001", "generation": 1})
    related: dict[str, dict[str, Any]] = {"Secret.v1": {}, "ConfigMap.v1": {}}
    for obj in objects:
        if obj.get("kind") in ("Secret", "ConfigMap"):
            related[_type_key(obj)][_key(obj, namespace)] = obj
    observed: dict[str, dict[str, Any]] = {}
    for child in children:
        child = copy.deepcopy(child)
        if child["kind"] == "Deployment":
            replicas = child["spec"].get("replicas", 1)
            child["status"] = {
                "observedGeneration": 1,
                "replicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "updatedReplicas": replicas,
            }
            child["metadata"]["generation"] = 1
        observed.setdefault(_type_key(child), {})[_key(child, namespace)] = child
    return {
        "controller": {"metadata": {"name": "llsd"}},
        "parent": parent,
        "children": observed,
        "related": related,
        "finalizing": False,
    }
