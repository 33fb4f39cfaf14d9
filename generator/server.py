"""Server settings (port, workers, TLS) and the command that starts the server container."""

from __future__ import annotations

from generator import registry
from generator.layout import FINAL_CONFIG_PATH
from generator.model import Draft, Spec
from generator.storage import postgres_shim


def apply_server(draft: Draft) -> None:
    spec = draft.spec
    line = spec.line
    server = draft.config.setdefault("server", {})
    server["port"] = spec.port
    workers = spec.server.get("workers")
    if workers:
        server["workers"] = workers
    if spec.tls_secret_name:
        server["tls_certfile"] = line.tls_cert_path
        server["tls_keyfile"] = line.tls_key_path
    elif "insecure" in registry.server_fields(line):
        # OGX refuses to start without TLS unless told; without TLS of its own the server speaks
        # plain HTTP inside the cluster (the Service and NetworkPolicy front it), as upstream's does.
        server["insecure"] = True
    refresh = spec.ogx.registry_refresh_interval_seconds if spec.ogx is not None else None
    if refresh is not None:  # an OGXServer's registryRefreshIntervalSeconds (a key OGX's server: takes)
        server["registry_refresh_interval_seconds"] = refresh


def container_command(spec: Spec) -> list[str]:
    """The server ignores `server.port` in some releases, so the port is on the command line too.

    With external providers the server runs the config their init container merged.
    """
    config_path = FINAL_CONFIG_PATH if spec.external_providers else spec.line.config_path
    run_args = [*spec.line.run_command, config_path, "--port", str(spec.port)]
    if spec.uses_postgres:
        return ["python3", "-c", postgres_shim(spec.line), *run_args[1:]]
    return run_args
