"""Parse and validate a whole LLSD CR into a `Spec`, reporting every problem with its field path.

Structure comes from `schema.py`; the rules here need several fields or the catalog: provider
names and ids, mutual exclusions, disabled names, secret env var collisions. Admission (CEL)
checks many of the same rules, but it can be skipped or loosened, so the hook checks again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from marshmallow import ValidationError

from generator import registry
from generator.errors import ErrorList, SpecError
from generator.external import parse_external
from generator.layout import DEFAULT_PORT, STORAGE_CONNECTION_ENV
from generator.lines import LLAMA_STACK
from generator.memo import memoised
from generator.model import ConfigMapRef, EnvSource, ProviderEntry, SecretRef, Spec
from generator.naming import MAX_PARENT_NAME_LENGTH
from generator.pod_state import pods_reason, possible_pods
from generator.providers import build_entry
from generator.schema import LLSDSpecSchema
from generator.secrets import VALID_ENV_NAME, make_ref
from generator.storage import distro_dir


@cache
def _schema() -> LLSDSpecSchema:
    """One schema instance per process: building it costs more than loading a spec."""
    return LLSDSpecSchema()


def flatten_messages(messages: Any, path: str, errors: ErrorList) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path
            else:
                child = f"{path}.{key}"
            flatten_messages(value, child, errors)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            errors.add(path, message.rstrip("."))
    elif isinstance(messages, list):
        for value in messages:
            flatten_messages(value, path, errors)
    else:
        errors.add(path, str(messages).rstrip("."))


def _provider_items(providers: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, bool]]:
    """(CR API, item, path, list form) for every provider, in the CR's API order."""
    items = []
    for cr_api in LLAMA_STACK.apis.cr_to_config:
        value = providers.get(cr_api)
        if isinstance(value, dict):
            items.append((cr_api, value, f"spec.server.providers.{cr_api}", False))
        elif isinstance(value, list):
            items.extend((cr_api, v, f"spec.server.providers.{cr_api}[{i}]", True) for i, v in enumerate(value))
    return items


def _check_providers(server: dict[str, Any], errors: ErrorList) -> tuple[ProviderEntry, ...]:
    providers = server.get("providers") or {}
    removed = LLAMA_STACK.apis.removed
    for cr_api in removed:
        if cr_api in providers:
            errors.add(
                f"spec.server.providers.{cr_api}",
                f"the {cr_api} API does not exist in {registry.release(LLAMA_STACK)} ({removed[cr_api]}); remove it",
            )
    if "datasetio" in providers and "datasetIo" in providers:
        errors.add("spec.server.providers.datasetIo", "give datasetio or datasetIo, not both")
    distribution = server["distribution"].get("name")
    entries = []
    for cr_api, item, path, list_form in _provider_items(providers):
        api = LLAMA_STACK.apis.cr_to_config[cr_api]
        entry = build_entry(
            LLAMA_STACK, cr_api, api, item, path, list_form, distro_dir(LLAMA_STACK, distribution), errors
        )
        if entry is not None:
            entries.append(entry)
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.provider_id in seen:
            errors.add(
                f"{entry.path}.id",
                f"provider id '{entry.provider_id}' is already used by {seen[entry.provider_id]}; "
                "ids must be unique across all APIs",
            )
        else:
            seen[entry.provider_id] = entry.path
    return tuple(entries)


GENERATED_ONLY = ("providers", "resources", "disabled", "configStorage")


def _generated_only_fields(server: dict[str, Any], errors: ErrorList) -> None:
    """Fields that shape the generated config mean nothing with userConfig or distribution.image."""
    if "userConfig" in server:
        problem = (
            "applies to the generated config only and cannot be combined with "
            "spec.server.userConfig; put it in your config.yaml or remove userConfig"
        )
    elif "image" in server["distribution"]:
        problem = (
            "spec.server.distribution.image has no known base config to generate from; "
            "use distribution.name, or supply the whole config with spec.server.userConfig"
        )
    else:
        return
    for field in GENERATED_ONLY:
        if field in server:
            errors.add(f"spec.server.{field}", problem)


def _known_distribution(server: dict[str, Any], errors: ErrorList) -> None:
    name = server["distribution"].get("name")
    if name is not None and name not in registry.distribution_names(LLAMA_STACK):
        errors.add(
            "spec.server.distribution.name",
            f"unknown distribution '{name}'; valid names: {', '.join(registry.distribution_names(LLAMA_STACK))} "
            "(or give distribution.image with userConfig)",
        )


def _disabled_not_configured(server: dict[str, Any], errors: ErrorList) -> None:
    configured = set((server.get("providers") or {}).keys())
    for index, api in enumerate(server.get("disabled") or []):
        if api in configured:
            errors.add(
                f"spec.server.disabled[{index}]",
                f"'{api}' is both configured under spec.server.providers and disabled; remove one",
            )


def _postgres_has_connection(server: dict[str, Any], errors: ErrorList) -> None:
    storage = server.get("configStorage") or {}
    if storage.get("type") == "postgres" and "connectionString" not in storage:
        errors.add(
            "spec.server.configStorage.connectionString",
            "required for postgres; reference a Secret key holding postgresql://user:password@host:port/db",
        )


def _tls_has_secret(server: dict[str, Any], errors: ErrorList) -> None:
    tls = server.get("serverTLS")
    if tls and tls.get("enabled") and not tls.get("secretName"):
        errors.add(
            "spec.server.serverTLS.secretName", "required when serverTLS is enabled; name a kubernetes.io/tls Secret"
        )


def _one_port(server: dict[str, Any], errors: ErrorList) -> None:
    container_port = server["containerSpec"].get("port")
    if container_port and "port" in server and container_port != server["port"]:
        errors.add(
            "spec.server.containerSpec.port",
            f"differs from spec.server.port ({server['port']}); set only spec.server.port",
        )


def _autoscaling_range(server: dict[str, Any], errors: ErrorList) -> None:
    autoscaling = server.get("autoscaling") or {}
    if autoscaling.get("minReplicas", 1) > autoscaling.get("maxReplicas", 1 << 30):
        errors.add("spec.server.autoscaling.minReplicas", "must not exceed maxReplicas")


# Rules over several fields of spec.server (the schema checks each field alone).
SERVER_RULES: tuple[Callable[[dict[str, Any], ErrorList], None], ...] = (
    _generated_only_fields,
    _known_distribution,
    _disabled_not_configured,
    _postgres_has_connection,
    _tls_has_secret,
    _one_port,
    _autoscaling_range,
)


def _check_volume_sharing(raw: dict[str, Any], errors: ErrorList) -> None:
    """The PVC is ReadWriteOnce: a second node cannot attach it, so a second pod may never start."""
    if raw["server"].get("storage") and possible_pods(raw) > 1:
        errors.add(
            "spec.server.storage",
            f"{pods_reason(raw)}, but the PVC is ReadWriteOnce (one node at a time), so pods on other "
            "nodes cannot start; remove storage and keep state in PostgreSQL (configStorage.type: postgres) "
            "and remote providers, or run one replica",
        )


def _storage_refs(server: dict[str, Any]) -> list[SecretRef]:
    storage = server.get("configStorage") or {}
    if storage.get("type") != "postgres" or "connectionString" not in storage:
        return []
    path = "spec.server.configStorage.connectionString"
    return [make_ref(path, storage["connectionString"], STORAGE_CONNECTION_ENV)]


def check_env_collisions(refs: list[SecretRef], errors: ErrorList) -> None:
    """Env var names are built from CR ids and secretRefs keys: each must be a valid name, and
    unique (a bad name would make the API server refuse the Deployment, leaving it stuck)."""
    seen: dict[str, str] = {}
    for ref in refs:
        if not VALID_ENV_NAME.fullmatch(ref.env_name):
            errors.add(
                ref.path,
                f"gives the env var name {ref.env_name!r}, which is not valid; use ids and secretRefs keys "
                "of letters, digits, '-' and '_'",
            )
            continue
        if ref.env_name in seen:
            errors.add(
                ref.path,
                f"its env var {ref.env_name} is also produced by {seen[ref.env_name]}; give the providers distinct ids",
            )
        seen.setdefault(ref.env_name, ref.path)


def _configmap_ref(path: str, value: dict[str, Any] | None, namespace: str, keys: bool) -> ConfigMapRef | None:
    if not value:
        return None
    return ConfigMapRef(
        path=path,
        name=value["configMapName"],
        namespace=value.get("configMapNamespace") or namespace,
        keys=tuple(value.get("configMapKeys") or ["ca-bundle.crt"]) if keys else (),
    )


def parent_name(parent: dict[str, Any], errors: ErrorList) -> tuple[str, str]:
    """The parent's name (checked: child names derive from it) and namespace, of either kind."""
    metadata: dict[str, Any] = parent["metadata"] if isinstance(parent.get("metadata"), dict) else {}
    name = metadata.get("name")
    namespace = metadata.get("namespace") or "default"
    if not isinstance(name, str) or not name:
        errors.add("metadata.name", "required")
        name = ""
    elif len(name) > MAX_PARENT_NAME_LENGTH:
        errors.add("metadata.name", f"must be at most {MAX_PARENT_NAME_LENGTH} characters so child names stay valid")
    return name, namespace


def _env_sources(server: dict[str, Any]) -> tuple[EnvSource, ...]:
    sources = []
    for index, entry in enumerate(server["containerSpec"].get("envFrom") or []):
        for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            if field in entry:
                ref = entry[field]
                path = f"spec.server.containerSpec.envFrom[{index}].{field}.name"
                sources.append(EnvSource(path, kind, ref["name"], bool(ref.get("optional"))))
    return tuple(sources)


@memoised
def parse_spec(llsd: Any) -> Spec:
    """Validate the whole CR; raise SpecError listing every problem found.

    Memoised per process (see memo.py); treat the returned Spec, `raw` included, as read-only.
    """
    errors = ErrorList()
    if not isinstance(llsd, dict):
        raise SpecError([{"path": "", "message": "a LlamaStackDistribution must be a JSON object"}])
    name, namespace = parent_name(llsd, errors)
    spec_value = llsd.get("spec", {})
    if spec_value is None:
        spec_value = {}
    try:
        raw = _schema().load(spec_value) if isinstance(spec_value, dict) else None
    except ValidationError as err:
        flatten_messages(err.messages, "spec", errors)
        raise SpecError(errors.items) from None
    if raw is None:
        errors.add("spec", "must be an object")
        raise SpecError(errors.items)
    server = raw["server"]
    for rule in SERVER_RULES:
        rule(server, errors)
    _check_volume_sharing(raw, errors)
    entries = _check_providers(server, errors)
    external = parse_external(server, entries, errors)
    refs = [ref for entry in entries for ref in entry.secret_refs] + _storage_refs(server)
    check_env_collisions(refs, errors)
    errors.raise_if_any()
    tls = server.get("serverTLS")
    return Spec(
        name=name,
        namespace=namespace,
        raw=raw,
        distribution_name=server["distribution"].get("name"),
        distribution_image=server["distribution"].get("image"),
        port=server.get("port") or server["containerSpec"].get("port") or DEFAULT_PORT,
        providers=entries,
        secret_refs=tuple(sorted(refs, key=lambda r: r.env_name)),
        tls_secret_name=tls["secretName"] if tls and tls.get("enabled") else None,
        user_config=_configmap_ref("spec.server.userConfig", server.get("userConfig"), namespace, keys=False),
        ca_bundle=_configmap_ref(
            "spec.server.tlsConfig.caBundle", (server.get("tlsConfig") or {}).get("caBundle"), namespace, keys=True
        ),
        storage_mount_path=(server.get("storage") or {}).get("mountPath") or LLAMA_STACK.mount_path,
        uses_postgres=bool(_storage_refs(server)),
        external_providers=external,
        env_from=_env_sources(server),
    )
