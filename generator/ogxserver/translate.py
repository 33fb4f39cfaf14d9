"""OGXServer -> the internal `Spec` (the model an LLSD parses into), every problem with its path.

`raw` is the OGXServer said in the LLSD's field names (`spec.workload.replicas` ->
`spec.replicas`, `spec.network.port` -> `spec.server.port`, ...; see `fieldmap`), so the shared
pipeline steps and children read one shape; what only an OGXServer can say goes to
`Spec.ogx`. Providers become `ProviderEntry`s here, resolved against the server line's provider
catalog, with paths and env var names of their own. Provider overlay keeps the LLSD rule
(by id: a CR provider with a base provider's id replaces it, others are added), so a base
provider the CR does not name stays, as it does for an LLSD.

Checks that need no API access: the schema (upstream's markers and CEL rules), the
distribution name, provider types against the catalog, unique provider ids (derived ones
included: two unnamed `remote.vllm` instances collide), typed fields the provider's config has
no key for, disabled APIs that are configured, `overrideConfig` against generated fields, and
`distribution.image` without `baseConfig` (the image's OCI labels are out of reach of a
stateless hook). References from models to provider ids are checked by the pipeline's
resources step, which also knows the base config's providers.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol

from marshmallow import ValidationError, fields

from generator.catalog import LineCatalog
from generator.errors import ErrorList, SpecError
from generator.layout import DEFAULT_PORT, STORAGE_CONNECTION_ENV
from generator.lines import OGX, ServerLine
from generator.model import ConfigMapKeyRef, ConfigMapRef, OGXSettings, ProviderEntry, SecretRef, Spec
from generator.ogxserver.common import SecretKeyRefSchema
from generator.ogxserver.fieldmap import to_ogx_path, to_ogx_text
from generator.ogxserver.providers import CUSTOM, PROVIDER_APIS, SIDES, TypedProvider, derived_id, typed
from generator.ogxserver.schema import OGX_MOUNT_PATH, OGXServerSpecSchema
from generator.providers import fill_required_defaults
from generator.secrets import cr_field_token, env_ref, provider_env_name
from generator.spec import check_env_collisions, flatten_messages, parent_name
from generator.storage import distro_dir

KIND = "OGXServer"
API_VERSION = "ogx.io/v1beta1"
ADOPT_ANNOTATIONS = ("ogx.io/adopt-storage", "ogx.io/adopt-networking")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
CONTAINER_NAME = OGX.container_name
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class Catalog(Protocol):
    """What a server line's data says (the OGX line's, in production)."""

    @property
    def line(self) -> ServerLine: ...  # whose data it is; the Spec runs on it

    @property
    def label(self) -> str: ...  # e.g. "OGX 1.5.0", for messages

    def distribution_names(self) -> list[str]: ...

    def provider_types(self, api: str) -> Mapping[str, Mapping[str, Any]]: ...


OGX_CATALOG: Catalog = LineCatalog(OGX)


@cache
def _schema() -> OGXServerSpecSchema:
    return OGXServerSpecSchema()


def snake(name: str) -> str:
    """`maxTokens` -> `max_tokens`, `sessionTTL` -> `session_ttl`: OGX config keys of CR fields."""
    return _CAMEL.sub("_", name).lower()


def _config_value(value: Any) -> Any:
    """A typed field's nested value in config form: keys snake_cased, lists and scalars kept.
    `headers` values are HTTP header names and stay as written."""
    if isinstance(value, dict):
        return {snake(k): v if k == "headers" else _config_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_config_value(v) for v in value]
    return value


def is_secret_field(declared: fields.Field[Any] | None) -> bool:
    """Whether a typed provider field holds a Secret reference (it becomes an env var)."""
    return isinstance(declared, fields.Nested) and declared.nested is SecretKeyRefSchema


# Typed fields whose config key the catalog names per provider; other fields are snake_cased.
CATALOG_NAMED = {"endpoint": "endpoint_field", "apiKey": "key_field", "apiToken": "key_field", "region": "region_field"}


def config_key(field: str, info: Mapping[str, Any]) -> str:
    """Where a typed field goes in the provider's config: the catalog names the endpoint,
    credential and region keys of each provider (`base_url`, `auth_credential` in OGX 1.5's
    inference providers, `region_name`); other fields are snake_cased, as upstream names them."""
    catalog_key = CATALOG_NAMED.get(field)
    if catalog_key and info.get(catalog_key):
        return str(info[catalog_key])
    return snake(field)


class _Providers:
    """Builds ProviderEntry objects for spec.providers, collecting errors as it goes."""

    def __init__(self, catalog: Catalog, distribution: str | None, errors: ErrorList) -> None:
        self.catalog = catalog
        self.distro_dir = distro_dir(catalog.line, distribution)
        self.errors = errors
        self.entries: list[ProviderEntry] = []

    def info(self, api: str, provider_type: str, path: str) -> Mapping[str, Any] | None:
        known = self.catalog.provider_types(api)
        if provider_type in known:
            return known[provider_type]
        valid = ", ".join(sorted(known)) or "none"
        self.errors.add(path, f"{self.catalog.label} has no {api} provider '{provider_type}'; valid types: {valid}")
        return None

    def add(
        self,
        cr_api: str,
        path: str,
        provider_type: str,
        provider_id: str,
        explicit_id: bool,
        config: dict[str, Any],
        secrets: dict[str, tuple[str, dict[str, str], str]],
        origins: dict[str, str],
        type_path: str,
    ) -> None:
        """`secrets`: config key -> (CR field path, {name, key}, env token); `origins`: config
        key -> the CR field path it came from, for messages."""
        api = PROVIDER_APIS[cr_api]
        info = self.info(api, provider_type, type_path)
        if info is None:
            return
        valid_keys = list(info.get("fields") or [])
        if not info.get("extra_keys_allowed"):
            for key in sorted((set(config) | set(secrets)) - set(valid_keys)):
                self.errors.add(
                    origins[key],
                    f"{self.catalog.label}'s {provider_type} has no config key '{key}'; "
                    f"valid keys: {', '.join(valid_keys)}",
                )
        fill_required_defaults(config, dict(info), self.distro_dir)
        env_id = provider_id if explicit_id else None
        refs = []
        for key, (field_path, selector, token) in sorted(secrets.items()):
            ref = SecretRef(
                path=field_path,
                secret_name=selector["name"],
                key=selector["key"],
                env_name=provider_env_name(api, env_id, token),
            )
            refs.append(ref)
            config[key] = env_ref(ref.env_name)
        for key in sorted(set(info.get("required") or []) - set(config)):
            self.errors.add(f"{path}.{key}", f"required by {provider_type}; set it")
        self.entries.append(
            ProviderEntry(
                path=path,
                cr_api=cr_api,
                api=api,
                provider_id=provider_id,
                explicit_id=explicit_id,
                provider_type=provider_type,
                config=config,
                secret_refs=tuple(refs),
            )
        )

    def typed(self, row: TypedProvider, item: dict[str, Any], path: str) -> None:
        api = PROVIDER_APIS[row.api]
        info = self.catalog.provider_types(api).get(row.provider_type) or {}
        config: dict[str, Any] = {}
        secrets: dict[str, tuple[str, dict[str, str], str]] = {}
        origins: dict[str, str] = {}
        for field, value in item.items():
            if field == "id":
                continue
            key = config_key(field, info)
            origins[key] = f"{path}.{field}"
            if is_secret_field(row.schema._declared_fields.get(field)):
                secrets[key] = (f"{path}.{field}", value, cr_field_token(field))
            else:
                config[key] = _config_value(value)
        explicit = "id" in item
        provider_id = item.get("id") or row.default_id
        self.add(row.api, path, row.provider_type, provider_id, explicit, config, secrets, origins, path)

    def custom(self, cr_api: str, item: dict[str, Any], path: str) -> None:
        config = copy.deepcopy(item.get("settings") or {})
        secrets = {
            key: (f"{path}.secretRefs.{key}", selector, cr_field_token(key))
            for key, selector in (item.get("secretRefs") or {}).items()
        }
        for key in sorted(set(secrets) & set(config)):
            self.errors.add(f"{path}.settings.{key}", f"also set by secretRefs.{key}; keep one")
        origins = {key: f"{path}.settings.{key}" for key in config} | {key: s[0] for key, s in secrets.items()}
        explicit = "id" in item
        provider_id = item.get("id") or derived_id(item["type"])
        self.add(cr_api, path, item["type"], provider_id, explicit, config, secrets, origins, f"{path}.type")


def _build_providers(providers: dict[str, Any], providers_builder: _Providers) -> None:
    for cr_api in PROVIDER_APIS:
        section = providers.get(cr_api) or {}
        for side in SIDES:
            entries = section.get(side) or {}
            base = f"spec.providers.{cr_api}.{side}"
            for row in typed(cr_api, side):
                value = entries.get(row.key)
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        providers_builder.typed(row, item, f"{base}.{row.key}[{index}]")
                elif isinstance(value, dict):
                    providers_builder.typed(row, value, f"{base}.{row.key}")
            for index, item in enumerate(entries.get(CUSTOM) or []):
                providers_builder.custom(cr_api, item, f"{base}.{CUSTOM}[{index}]")


def _check_unique_ids(entries: list[ProviderEntry], errors: ErrorList) -> None:
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.provider_id in seen:
            fix = "give each instance its own id" if not entry.explicit_id else "ids must be unique across all APIs"
            errors.add(
                f"{entry.path}.id",
                f"provider id '{entry.provider_id}' is already used by {seen[entry.provider_id]}; {fix}",
            )
        else:
            seen[entry.provider_id] = entry.path


def _check_distribution(spec: dict[str, Any], catalog: Catalog, errors: ErrorList) -> None:
    distribution = spec["distribution"]
    name = distribution.get("name")
    if name is not None and name not in catalog.distribution_names():
        available = ", ".join(sorted(catalog.distribution_names()))
        errors.add("spec.distribution.name", f"unknown distribution '{name}'; available distributions: {available}")
    if "image" in distribution and "baseConfig" not in spec and "overrideConfig" not in spec:
        errors.add(
            "spec.distribution.image",
            "a stateless hook cannot read the image's OCI labels for its base config; set spec.baseConfig "
            "(a ConfigMap key holding the image's config.yaml) or spec.overrideConfig",
        )


def _check_metadata(ogx: dict[str, Any], errors: ErrorList) -> tuple[str, str]:
    name, namespace = parent_name(ogx, errors)
    metadata: dict[str, Any] = ogx["metadata"] if isinstance(ogx.get("metadata"), dict) else {}
    annotations: dict[str, Any] = metadata["annotations"] if isinstance(metadata.get("annotations"), dict) else {}
    for key in ADOPT_ANNOTATIONS:
        value = annotations.get(key)
        if value is None:
            continue
        path = f"metadata.annotations[{key}]"
        if value == name:
            errors.add(path, "must not equal the OGXServer's own name; same-name adoption causes resource conflicts")
        elif not isinstance(value, str) or not DNS_LABEL.match(value):
            errors.add(path, "must be the name of the LlamaStackDistribution to adopt from (an RFC 1123 DNS label)")
    return name, namespace


def _model(model: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": model["name"]}
    if "provider" in model:
        out["provider"] = model["provider"]
    if "modelType" in model:
        out["modelType"] = model["modelType"]
    metadata = {key: model[key] for key in ("contextLength", "quantization") if key in model}
    if metadata:
        out["metadata"] = metadata
    return out


def _raw(spec: dict[str, Any]) -> dict[str, Any]:
    """The OGXServer in the LLSD's field names (fieldmap.MOVES and RESHAPED, read backwards)."""
    workload = spec.get("workload") or {}
    overrides = workload.get("overrides") or {}
    network = spec.get("network") or {}
    container: dict[str, Any] = {"name": CONTAINER_NAME}
    container |= {key: overrides[key] for key in ("env", "command", "args") if key in overrides}
    container |= {key: workload[key] for key in ("resources",) if key in workload}
    server: dict[str, Any] = {"distribution": spec["distribution"], "containerSpec": container}
    pod = {key: overrides[key] for key in ("serviceAccountName", "volumes", "volumeMounts") if key in overrides}
    if pod:
        server["podOverrides"] = pod
    for key in ("workers", "autoscaling", "podDisruptionBudget", "topologySpreadConstraints"):
        if key in workload:
            server[key] = workload[key]
    if "storage" in workload:
        storage = workload["storage"]
        server["storage"] = {"size": storage.get("size", "10Gi"), "mountPath": storage.get("mountPath", OGX_MOUNT_PATH)}
    if "port" in network:
        server["port"] = network["port"]
    if "tls" in network:
        server["serverTLS"] = {"enabled": True, "secretName": network["tls"]["secretName"]}
    if "overrideConfig" in spec:
        server["userConfig"] = {"configMapName": spec["overrideConfig"]["name"]}
    if spec.get("disabledAPIs"):
        by_config_name = {config: cr for cr, config in PROVIDER_APIS.items()}
        server["disabled"] = [by_config_name[api] for api in spec["disabledAPIs"]]
    sql = (spec.get("storage") or {}).get("sql")
    if sql is not None:
        server["configStorage"] = {"type": sql["type"]}
        if "connectionString" in sql:
            server["configStorage"]["connectionString"] = {"secretKeyRef": sql["connectionString"]}
    models = (spec.get("resources") or {}).get("models")
    if models:
        server["resources"] = {"models": [_model(m) for m in models]}
    raw: dict[str, Any] = {"replicas": workload.get("replicas", 1), "server": server}
    external = network.get("externalAccess") or {}
    raw["network"] = {"exposeRoute": bool(external.get("enabled"))}
    return raw


def _settings(spec: dict[str, Any], errors: ErrorList) -> tuple[OGXSettings, ConfigMapRef | None]:
    network = spec.get("network") or {}
    tls = spec.get("tls") or {}
    certificates = tuple(
        ConfigMapKeyRef(f"spec.tls.trust.caCertificates[{i}]", ref["name"], ref["key"])
        for i, ref in enumerate((tls.get("trust") or {}).get("caCertificates") or [])
    )
    identity = tls.get("identity")
    base = spec.get("baseConfig")
    monitoring = spec.get("monitoring") or {"enabled": True}
    policy = network.get("policy") or {"enabled": True}
    kv = (spec.get("storage") or {}).get("kv") or {}
    if kv.get("type") == "redis":
        errors.add(
            "spec.storage.kv.type",
            "redis is not supported by llsd-hook yet; use sqlite (the default) or spec.storage.sql postgres, "
            "which moves the key-value stores to PostgreSQL too",
        )
    override = spec.get("overrideConfig")
    settings = OGXSettings(
        base_config=ConfigMapKeyRef("spec.baseConfig", base["name"], base["key"]) if base else None,
        override_key=override["key"] if override else None,
        ca_certificates=certificates,
        client_cert=(
            ConfigMapKeyRef("spec.tls.identity.cert", identity["cert"]["name"], identity["cert"]["key"])
            if identity
            else None
        ),
        client_key=(
            SecretRef("spec.tls.identity.key", identity["key"]["name"], identity["key"]["key"], "")
            if identity
            else None
        ),
        external_hostname=(network.get("externalAccess") or {}).get("hostname"),
        network_policy=policy,
        monitoring=monitoring,
        resource_claims=tuple((spec.get("workload") or {}).get("resourceClaims") or ()),
        registry_refresh_interval_seconds=spec.get("registryRefreshIntervalSeconds"),
    )
    ca_bundle = None
    if certificates:  # the LLSD model mounts one ConfigMap's keys; all of them are in `ogx`
        first = certificates[0].name
        keys = tuple(c.key for c in certificates if c.name == first)
        ca_bundle = ConfigMapRef("spec.tls.trust.caCertificates", first, "", keys)
    return settings, ca_bundle


def _storage_refs(spec: dict[str, Any]) -> list[SecretRef]:
    sql = (spec.get("storage") or {}).get("sql") or {}
    if sql.get("type") != "postgres" or "connectionString" not in sql:
        return []
    ref = sql["connectionString"]
    return [SecretRef("spec.storage.sql.connectionString", ref["name"], ref["key"], STORAGE_CONNECTION_ENV)]


def translate(ogx: Any, catalog: Catalog = OGX_CATALOG) -> Spec:
    """Validate a whole OGXServer and say it as a `Spec` of the catalog's server line (OGX by
    default); raise SpecError listing every problem."""
    errors = ErrorList()
    if not isinstance(ogx, dict):
        raise SpecError([{"path": "", "message": "an OGXServer must be a JSON object"}])
    name, namespace = _check_metadata(ogx, errors)
    spec_value = ogx.get("spec")
    if not isinstance(spec_value, dict):
        errors.add("spec", "required: an object with at least spec.distribution")
        raise SpecError(errors.items)
    try:
        spec = _schema().load(spec_value)
    except ValidationError as err:
        flatten_messages(err.messages, "spec", errors)
        raise SpecError(errors.items) from None
    _check_distribution(spec, catalog, errors)
    builder = _Providers(catalog, spec["distribution"].get("name"), errors)
    _build_providers(spec.get("providers") or {}, builder)
    _check_unique_ids(builder.entries, errors)
    refs = [ref for entry in builder.entries for ref in entry.secret_refs] + _storage_refs(spec)
    check_env_collisions(refs, errors)
    settings, ca_bundle = _settings(spec, errors)
    errors.raise_if_any()
    if ca_bundle is not None:
        ca_bundle = ConfigMapRef(ca_bundle.path, ca_bundle.name, namespace, ca_bundle.keys)
    override = spec.get("overrideConfig")
    network = spec.get("network") or {}
    storage = (spec.get("workload") or {}).get("storage")
    return Spec(
        name=name,
        namespace=namespace,
        raw=_raw(spec),
        distribution_name=spec["distribution"].get("name"),
        distribution_image=spec["distribution"].get("image"),
        port=network.get("port") or DEFAULT_PORT,
        providers=tuple(builder.entries),
        secret_refs=tuple(sorted(refs, key=lambda r: r.env_name)),
        tls_secret_name=(network.get("tls") or {}).get("secretName"),
        user_config=ConfigMapRef("spec.overrideConfig", override["name"], namespace, (override["key"],))
        if override
        else None,
        ca_bundle=ca_bundle,
        storage_mount_path=(storage or {}).get("mountPath") or OGX_MOUNT_PATH,
        uses_postgres=bool(_storage_refs(spec)),
        ogx=settings,
        line=catalog.line,
    )


def ogx_errors(err: SpecError) -> SpecError:
    """A SpecError from the shared pipeline steps, with the OGXServer's own field paths."""
    return SpecError([{"path": to_ogx_path(e["path"]), "message": to_ogx_text(e["message"])} for e in err.errors])
