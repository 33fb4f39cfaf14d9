"""CR API names and llama-stack 0.7 config API names.

The CR keeps upstream's camelCase names; llama-stack 0.7 renamed `agents` to `responses` and has
no memory, telemetry or post-training API.
"""

from __future__ import annotations

LLAMA_STACK_VERSION = "0.7.3"

# CR key -> config key, in the order env vars and appended providers are produced.
CR_TO_CONFIG_API: dict[str, str] = {
    "inference": "inference",
    "safety": "safety",
    "vectorIo": "vector_io",
    "toolRuntime": "tool_runtime",
    "agents": "responses",
    "files": "files",
    "fileProcessors": "file_processors",
    "batches": "batches",
    "datasetio": "datasetio",
    "datasetIo": "datasetio",
    "scoring": "scoring",
    "eval": "eval",
}

# APIs of older llama-stack releases that 0.7 does not have.
REMOVED_APIS: dict[str, str] = {
    "memory": "replaced by vector_io (vectorIo) and the file_search tool",
    "telemetry": "telemetry is configured through OpenTelemetry env vars, not a provider",
    "postTraining": "post-training was removed from llama-stack",
}

DISABLEABLE = sorted(set(CR_TO_CONFIG_API) | set(REMOVED_APIS))


def config_api(cr_api: str) -> str:
    return CR_TO_CONFIG_API[cr_api]


def env_api(config_key: str) -> str:
    """`vector_io` -> `VECTOR_IO` for env var names."""
    return config_key.upper()
