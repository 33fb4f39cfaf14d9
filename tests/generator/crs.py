"""Small CR builders shared by the generator tests."""

from __future__ import annotations

import copy
from typing import Any


def secret(name: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": name, "key": key}}


def llsd(server: dict[str, Any] | None = None, name: str = "demo", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "metadata": {"name": name, "namespace": "ai"},
        "spec": {"server": copy.deepcopy(server or {}), **spec},
    }


# postgres-demo and open-benchmark ship providers that need the files API but no files provider.
FILES = {"provider": "localfs"}
VLLM = {"provider": "vllm", "endpoint": "http://vllm:8000/v1", "apiKey": secret("vllm-creds", "token")}

# Named generation cases: every one must pass llama-stack's own validation (test_conformance).
CASES: dict[str, dict[str, Any]] = {
    "minimal-starter": llsd({"distribution": {"name": "starter"}, "providers": {"inference": VLLM}}),
    "issue-example": llsd(
        {
            "distribution": {"name": "starter"},
            "providers": {"inference": VLLM},
            "resources": {"models": ["meta-llama/Llama-3.2-3B-Instruct"]},
        }
    ),
    "no-providers": llsd({"distribution": {"name": "starter"}}),
    "list-form": llsd(
        {
            "providers": {
                "inference": [
                    {"id": "vllm-primary", **VLLM},
                    {"id": "openai", "provider": "openai", "apiKey": secret("openai", "key")},
                    {"id": "local-ollama", "provider": "ollama", "endpoint": "http://ollama:11434/v1"},
                ]
            },
            "resources": {
                "models": [
                    "llama-3",
                    {"name": "gpt-4o", "provider": "openai", "metadata": {"contextLength": 128000}},
                    {"name": "nomic", "provider": "local-ollama", "metadata": {"embeddingDimension": 768}},
                ]
            },
        }
    ),
    "everything": llsd(
        {
            "providers": {
                "inference": VLLM,
                "safety": {"provider": "llama-guard", "config": {"excluded_categories": ["S1"]}},
                "vectorIo": {
                    "id": "pg",
                    "provider": "pgvector",
                    "secretRefs": {"password": secret("pg", "pw")},
                    "config": {"host": "pg.db", "db": "vectors", "user": "app"},
                },
                "toolRuntime": [
                    {"id": "brave", "provider": "brave-search", "apiKey": secret("brave", "key")},
                ],
                "agents": {"provider": "builtin"},
            },
            "resources": {
                "models": ["llama-3", {"name": "guard", "metadata": {"contextLength": 8192}}],
                "shields": ["guard"],
                "tools": ["websearch", "builtin::file_search"],
            },
            "disabled": ["eval", "scoring", "telemetry"],
            "port": 9000,
            "workers": 2,
            "serverTLS": {"enabled": True, "secretName": "demo-tls"},
            "storage": {"size": "20Gi", "mountPath": "/data"},
        }
    ),
    "postgres": llsd(
        {
            "providers": {"inference": VLLM},
            "configStorage": {"type": "postgres", "connectionString": secret("pg", "dsn")},
        }
    ),
    "bedrock-azure": llsd(
        {
            "providers": {
                "inference": [
                    {"id": "aws", "provider": "bedrock", "region": "us-east-1", "apiKey": secret("aws", "token")},
                    {
                        "id": "az",
                        "provider": "azure",
                        "endpoint": "https://res.openai.azure.com/openai/v1",
                        "deploymentName": "gpt4o-prod",
                        "apiKey": secret("az", "key"),
                    },
                ]
            }
        }
    ),
    "postgres-demo-on-postgres": llsd(
        {
            "distribution": {"name": "postgres-demo"},
            "providers": {"inference": VLLM, "files": FILES},
            "configStorage": {"type": "postgres", "connectionString": secret("pg", "dsn")},
            "containerSpec": {"env": [{"name": "INFERENCE_MODEL", "value": "llama-3"}]},
        }
    ),
    "postgres-demo-on-sqlite": llsd(
        {
            "distribution": {"name": "postgres-demo"},
            "providers": {"inference": VLLM, "files": FILES},
            "configStorage": {"type": "sqlite"},
            "containerSpec": {"env": [{"name": "INFERENCE_MODEL", "value": "llama-3"}]},
        }
    ),
    "disable-vector-io": llsd({"providers": {"inference": VLLM}, "disabled": ["vectorIo", "files"]}),
    # RAG with the user's own embedding models: the first one becomes the vector stores' default.
    "rag-embedding-default": llsd(
        {
            "distribution": {"name": "starter"},
            "providers": {"inference": VLLM},
            "resources": {
                "models": [
                    "llama-3",
                    {
                        "name": "embed-small",
                        "providerModelId": "acme/embed-small",
                        "metadata": {"embeddingDimension": 64},
                    },
                    {"name": "embed-large", "metadata": {"embeddingDimension": 1024}},
                ]
            },
        }
    ),
    "nvidia-boot": llsd(
        {"distribution": {"name": "nvidia"}, "providers": {"inference": VLLM}, "resources": {"models": ["fake-llm"]}}
    ),
}
# Env vars some shipped base configs read without a default: the user supplies them.
BASE_ENV = {"postgres-demo": {"INFERENCE_MODEL": "llama-3"}, "oci": {"OCI_COMPARTMENT_OCID": "ocid1.compartment.x"}}
for _name in ("postgres-demo", "watsonx", "oci", "open-benchmark"):
    _env = [{"name": k, "value": v} for k, v in BASE_ENV.get(_name, {}).items()]
    _providers = {"inference": VLLM, **({"files": FILES} if _name in ("postgres-demo", "open-benchmark") else {})}
    CASES[f"distribution-{_name}"] = llsd(
        {"distribution": {"name": _name}, "providers": _providers, "containerSpec": {"env": _env}}
    )
