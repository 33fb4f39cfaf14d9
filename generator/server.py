"""Server settings (port, workers, TLS) and the command that starts the llama-stack container."""

from __future__ import annotations

from generator.layout import CONFIG_PATH, FINAL_CONFIG_PATH, TLS_CERT_PATH, TLS_KEY_PATH
from generator.model import Draft, Spec
from generator.storage import POSTGRES_SHIM


def apply_server(draft: Draft) -> None:
    spec = draft.spec
    server = draft.config.setdefault("server", {})
    server["port"] = spec.port
    workers = spec.server.get("workers")
    if workers:
        server["workers"] = workers
    if spec.tls_secret_name:
        server["tls_certfile"] = TLS_CERT_PATH
        server["tls_keyfile"] = TLS_KEY_PATH


def container_command(spec: Spec) -> list[str]:
    """`llama stack run` ignores server.port, so the port is passed on the command line too.

    With external providers the server runs the config their init container merged.
    """
    config_path = FINAL_CONFIG_PATH if spec.external_providers else CONFIG_PATH
    run_args = ["stack", "run", config_path, "--port", str(spec.port)]
    if spec.uses_postgres:
        return ["python3", "-c", POSTGRES_SHIM, *run_args]
    return ["llama", *run_args]
