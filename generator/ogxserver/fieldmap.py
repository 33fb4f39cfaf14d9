"""Where each LLSD field lives in an OGXServer, and what has no counterpart (with the reason).

One table serves two directions: `translate` builds an LLSD-shaped `raw` from an OGXServer, so
errors found by the shared pipeline steps name LLSD paths (`spec.server.resources.models[0]`),
which `to_ogx_path` turns into the OGXServer's own (`spec.resources.models[0]`); `convert`
walks the same table to move an LLSD's fields into an OGXServer.
"""

from __future__ import annotations

import re

# LLSD path -> OGXServer path, for values that keep their shape. Longest prefixes first, so a
# more specific move wins over its parent's.
MOVES: dict[str, str] = {
    "spec.replicas": "spec.workload.replicas",
    "spec.network.exposeRoute": "spec.network.externalAccess.enabled",
    "spec.server.distribution": "spec.distribution",
    "spec.server.port": "spec.network.port",
    "spec.server.containerSpec.port": "spec.network.port",
    "spec.server.containerSpec.resources": "spec.workload.resources",
    "spec.server.containerSpec.env": "spec.workload.overrides.env",
    "spec.server.containerSpec.command": "spec.workload.overrides.command",
    "spec.server.containerSpec.args": "spec.workload.overrides.args",
    "spec.server.workers": "spec.workload.workers",
    "spec.server.podOverrides.serviceAccountName": "spec.workload.overrides.serviceAccountName",
    "spec.server.podOverrides.volumes": "spec.workload.overrides.volumes",
    "spec.server.podOverrides.volumeMounts": "spec.workload.overrides.volumeMounts",
    "spec.server.podDisruptionBudget": "spec.workload.podDisruptionBudget",
    "spec.server.topologySpreadConstraints": "spec.workload.topologySpreadConstraints",
    "spec.server.autoscaling": "spec.workload.autoscaling",
    "spec.server.storage": "spec.workload.storage",
}

# Fields whose value changes shape on the way (convert rebuilds them); for error paths they map
# like the MOVES.
RESHAPED: dict[str, str] = {
    "spec.network.allowedFrom": "spec.network.policy.ingress",
    "spec.server.userConfig": "spec.overrideConfig",
    "spec.server.tlsConfig.caBundle": "spec.tls.trust.caCertificates",
    "spec.server.serverTLS.secretName": "spec.network.tls.secretName",
    "spec.server.serverTLS": "spec.network.tls",
    "spec.server.configStorage.connectionString": "spec.storage.sql.connectionString",
    "spec.server.configStorage": "spec.storage.sql",
    "spec.server.disabled": "spec.disabledAPIs",
    "spec.server.resources.models": "spec.resources.models",
    "spec.server.providers": "spec.providers",
}

# LLSD fields an OGXServer cannot say, and why (reported by `convert`).
NO_COUNTERPART: dict[str, str] = {
    "spec.server.containerSpec.name": "the OGX container is always named `ogx`",
    "spec.server.podOverrides.terminationGracePeriodSeconds": "OGXServer workload.overrides has no grace period",
    "spec.server.externalProviders": "OGXServer has no external providers; "
    "build an image with the provider installed and use distribution.image with baseConfig",
    "spec.server.resources.tools": "OGXServer registers no tool groups: OGX serves one for each tool_runtime "
    "provider (spec.providers.toolRuntime), so add the provider instead",
    "spec.server.resources.shields": "OGX 1.5 has no safety API, so there are no shields",
    "spec.server.resources.models[].providerModelId": "OGXServer models have no provider model id; "
    "the model name is sent to the provider as it is",
    "spec.server.resources.models[].metadata.embeddingDimension": "OGXServer models carry no embedding "
    "dimension; the provider reports it (the model keeps modelType: embedding)",
    "spec.server.userConfig.configMapNamespace": "OGXServer reads ConfigMaps from its own namespace only; "
    'copy the ConfigMap there (label it ogx.io/watch: "true")',
    "spec.server.tlsConfig.caBundle.configMapNamespace": "OGXServer reads ConfigMaps from its own namespace "
    'only; copy the CA bundle there (label it ogx.io/watch: "true")',
}

_TABLE = sorted({**MOVES, **RESHAPED}.items(), key=lambda item: -len(item[0]))
_LLSD_PATH = re.compile(r"spec\.(?:server\.)?[A-Za-z0-9_.\[\]-]+")


def to_ogx_path(llsd_path: str) -> str:
    """`spec.server.resources.models[2].provider` -> `spec.resources.models[2].provider`."""
    for old, new in _TABLE:
        if llsd_path == old or llsd_path.startswith((old + ".", old + "[")):
            return new + llsd_path[len(old) :]
    return llsd_path


def to_ogx_text(text: str) -> str:
    """Every LLSD field path inside a message, renamed as `to_ogx_path` does."""
    return _LLSD_PATH.sub(lambda match: to_ogx_path(match.group(0)), text)
