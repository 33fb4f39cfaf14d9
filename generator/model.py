"""Plain data passed between the generator's steps and handed to the hook.

`Spec` is the validated CR; `GenerationResult` is what `generate()` returns. Both are frozen so
a step cannot change what another step reads. `Draft` is the one mutable thing: the config being
built, passed through every step of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.errors import ErrorList
from generator.lines import LLAMA_STACK, ServerLine
from generator.naming import init_container_name


@dataclass(frozen=True)
class SecretRef:
    """One `secretKeyRef` in the spec and the env var that carries it into the pod."""

    path: str  # CR field path, e.g. spec.server.providers.inference.apiKey
    secret_name: str
    key: str
    env_name: str  # e.g. LLSD_INFERENCE_API_KEY

    def env_var(self) -> dict[str, Any]:
        return {
            "name": self.env_name,
            "valueFrom": {"secretKeyRef": {"name": self.secret_name, "key": self.key}},
        }


@dataclass(frozen=True)
class ConfigMapRef:
    """A ConfigMap the spec names (userConfig or the CA bundle), possibly in another namespace."""

    path: str
    name: str
    namespace: str
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvSource:
    """A Secret or ConfigMap named in `containerSpec.envFrom`: all its keys become env vars."""

    path: str  # spec.server.containerSpec.envFrom[0].secretRef.name
    kind: str  # Secret | ConfigMap
    name: str
    optional: bool  # Kubernetes starts the pod without it


@dataclass(frozen=True)
class ProviderEntry:
    """One provider the user wrote under spec.server.providers, resolved against the catalog."""

    path: str  # spec.server.providers.inference[1] or spec.server.providers.inference
    cr_api: str  # CR key, e.g. vectorIo
    api: str  # config key, e.g. vector_io
    provider_id: str
    explicit_id: bool  # the CR gave `id` (it then appears in env var names)
    provider_type: str  # e.g. remote::vllm
    config: dict[str, Any]  # the provider's config block, secrets as ${env.NAME}
    secret_refs: tuple[SecretRef, ...] = ()
    deployment_name: str | None = None  # azure: provider model id of its default model


@dataclass(frozen=True)
class ExternalProvider:
    """One entry of spec.server.externalProviders: installed from its image in an init container."""

    path: str  # spec.server.externalProviders.inference[0]
    api: str  # config key, e.g. vector_io
    provider_id: str
    image: str
    image_pull_policy: str
    config: dict[str, Any]

    @property
    def init_container_name(self) -> str:
        return init_container_name(self.provider_id)


@dataclass(frozen=True)
class ConfigMapKeyRef:
    """One key of a ConfigMap in the parent's namespace (OGXServer `baseConfig`, CA certificates)."""

    path: str
    name: str
    key: str


@dataclass(frozen=True)
class OGXSettings:
    """What an OGXServer says that an LLSD cannot (None for an LLSD); `generator.ogxserver`
    fills it, and the OGX line's pipeline and children read it."""

    base_config: ConfigMapKeyRef | None = None  # spec.baseConfig: the base config.yaml to generate from
    override_key: str | None = None  # spec.overrideConfig.key (Spec.user_config names the ConfigMap)
    ca_certificates: tuple[ConfigMapKeyRef, ...] = ()  # spec.tls.trust.caCertificates, all of them
    client_cert: ConfigMapKeyRef | None = None  # spec.tls.identity.cert
    client_key: SecretRef | None = None  # spec.tls.identity.key (mounted as a file, not an env var)
    external_hostname: str | None = None  # spec.network.externalAccess.hostname
    network_policy: dict[str, Any] = field(default_factory=dict)  # spec.network.policy, defaults filled
    monitoring: dict[str, Any] = field(default_factory=dict)  # spec.monitoring, defaults filled
    resource_claims: tuple[dict[str, Any], ...] = ()  # spec.workload.resourceClaims (DRA)
    registry_refresh_interval_seconds: int | None = None


@dataclass(frozen=True)
class Spec:
    """The validated parent. `raw` is the validated `spec` with defaults in the LLSD's field names:
    an LLSD's own, an OGXServer's translated by `generator.ogxserver.translate` (which also
    fills `ogx`). Paths in errors and refs are the parent's own field paths."""

    name: str
    namespace: str
    raw: dict[str, Any]
    distribution_name: str | None
    distribution_image: str | None
    port: int
    providers: tuple[ProviderEntry, ...]
    secret_refs: tuple[SecretRef, ...]  # every secretKeyRef of the spec, env var order
    tls_secret_name: str | None
    user_config: ConfigMapRef | None
    ca_bundle: ConfigMapRef | None
    storage_mount_path: str
    uses_postgres: bool
    external_providers: tuple[ExternalProvider, ...] = ()
    ogx: OGXSettings | None = None  # set for an OGXServer parent
    env_from: tuple[EnvSource, ...] = ()
    line: ServerLine = LLAMA_STACK  # the server it runs on (chosen by the parent's kind)

    @property
    def server(self) -> dict[str, Any]:
        server: dict[str, Any] = self.raw.get("server", {})
        return server


@dataclass(frozen=True)
class GenerationResult:
    config_yaml: str
    env: list[dict[str, Any]]
    configmap_name: str
    warnings: list[str] = field(default_factory=list)
    provider_count: int = 0
    resource_count: int = 0
    command: list[str] = field(default_factory=list)  # the llama-stack container's command


@dataclass
class Draft:
    """The config under construction and what the steps found on the way.

    Every pipeline step has the shape `step(draft) -> None`: it reads `spec`, changes `config`
    in place and adds to `warnings`/`errors`. `config` is the draft's own (a fresh copy of the
    base); nothing from the memoised `spec` may enter it without a copy.
    """

    spec: Spec
    config: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    errors: ErrorList = field(default_factory=ErrorList)
    removed_apis: set[str] = field(default_factory=set)  # config APIs `disabled` removed
    resource_count: int = 0  # models, shields and tools the CR named
