"""Structural schema of the LLSD `spec` (marshmallow), with the CR's own camelCase field names.

This checks shapes, types and per-field ranges and fills defaults; rules that need more than one
field or the provider catalog live in `spec.py`. Kubernetes-typed fields (resources, env,
volumes, topology spread constraints) are passed through: the API server validates those against
the CRD, and the Deployment carries them unchanged.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from generator.apis import DISABLEABLE, LLAMA_STACK_APIS, ApiTable
from generator.layout import DEFAULT_STORAGE_SIZE

DNS_LABEL = validate.Regexp(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", error="must be a DNS label: lower-case letters, digits and '-'"
)
PROVIDER_ID = validate.Regexp(
    r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$",
    error="must be lower-case letters, digits, '-' or '_', starting and ending with a letter or digit",
)
QUANTITY = validate.Regexp(r"^[0-9]+(\.[0-9]+)?([EPTGMK]i?|[mk])?$", error="must be a Kubernetes quantity such as 10Gi")
CONFIGMAP_KEY = validate.Regexp(
    r"^[a-zA-Z0-9]([a-zA-Z0-9\-_.]*[a-zA-Z0-9])?$", error="must be a valid ConfigMap key (no '/' or '..')"
)


class StrictSchema(Schema):
    """Unknown fields are errors that list the valid ones, so a typo is caught with its fix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        valid = ", ".join(sorted(self.declared_fields))
        self.error_messages = {**self.error_messages, "unknown": f"unknown field; valid fields here: {valid}"}


class OneOrMany(fields.Field[Any]):
    """A single object or a list of objects of the same schema (the CR's provider fields)."""

    def __init__(self, nested: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = nested()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        schema = self.schema
        if isinstance(value, dict):
            return schema.load(value)
        if isinstance(value, list):
            if not value:
                raise ValidationError("must not be empty; remove the field instead")
            errors: dict[int, Any] = {}
            loaded = []
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    errors[index] = ["must be an object with at least `provider`"]
                    continue
                try:
                    loaded.append(schema.load(item))
                except ValidationError as err:
                    errors[index] = err.messages
            if errors:
                raise ValidationError(errors)
            return loaded
        raise ValidationError("must be a provider object or a list of provider objects")


class StringOrObject(fields.Field[Any]):
    """A bare name or an object (models and shields may be written either way)."""

    def __init__(self, nested: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = nested()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise ValidationError("must not be empty")
            return {"name": value}
        if isinstance(value, dict):
            return self.schema.load(value)
        raise ValidationError("must be a name or an object with `name`")


def _required(**kwargs: Any) -> dict[str, Any]:
    return {"required": True, "error_messages": {"required": "required"}, **kwargs}


class KeySelectorSchema(StrictSchema):
    name = fields.String(**_required(validate=validate.Length(min=1)))
    key = fields.String(**_required(validate=validate.Length(min=1)))


class SecretRefSchema(StrictSchema):
    secretKeyRef = fields.Nested(KeySelectorSchema, **_required())


class ProviderSchema(StrictSchema):
    id = fields.String(validate=PROVIDER_ID)
    provider = fields.String(**_required(validate=validate.Length(min=1)))
    endpoint = fields.String(validate=validate.Length(min=1))
    apiKey = fields.Nested(SecretRefSchema)
    host = fields.Nested(SecretRefSchema)
    secretRefs = fields.Dict(keys=fields.String(validate=validate.Length(min=1)), values=fields.Nested(SecretRefSchema))
    region = fields.String(validate=validate.Length(min=1))
    deploymentName = fields.String(validate=validate.Length(min=1))
    config = fields.Dict(keys=fields.String())


def providers_schema(table: ApiTable) -> type[Schema]:
    """spec.server.providers: one OneOrMany field per API of the table."""
    return StrictSchema.from_dict(
        {key: OneOrMany(ProviderSchema) for key in table.provider_sections}, name="ProvidersSchema"
    )


class ModelMetadataSchema(StrictSchema):
    contextLength = fields.Integer(validate=validate.Range(min=1))
    embeddingDimension = fields.Integer(validate=validate.Range(min=1))


class ModelSchema(StrictSchema):
    name = fields.String(**_required(validate=validate.Length(min=1)))
    provider = fields.String(validate=validate.Length(min=1))
    providerModelId = fields.String(validate=validate.Length(min=1))
    metadata = fields.Nested(ModelMetadataSchema)


class ShieldSchema(StrictSchema):
    name = fields.String(**_required(validate=validate.Length(min=1)))
    provider = fields.String(validate=validate.Length(min=1))


class ResourcesSchema(StrictSchema):
    models = fields.List(StringOrObject(ModelSchema))
    tools = fields.List(fields.String(validate=validate.Length(min=1)))
    shields = fields.List(StringOrObject(ShieldSchema))


class ConfigStorageSchema(StrictSchema):
    type = fields.String(
        load_default="sqlite", validate=validate.OneOf(["sqlite", "postgres"], error="must be sqlite or postgres")
    )
    connectionString = fields.Nested(SecretRefSchema)


class ServerTLSSchema(StrictSchema):
    enabled = fields.Boolean(load_default=True)
    secretName = fields.String(validate=validate.Length(min=1))


class DistributionSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1))
    image = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("name" in data) == ("image" in data):
            raise ValidationError("give exactly one of `name` (a registry distribution) or `image`")


class EnvSourceRefSchema(StrictSchema):
    name = fields.String(**_required(validate=validate.Length(min=1)))
    optional = fields.Boolean()


class EnvFromSchema(StrictSchema):
    """One `envFrom` entry as Kubernetes has it: every key of a Secret or ConfigMap as env vars."""

    prefix = fields.String(validate=validate.Length(min=1))
    configMapRef = fields.Nested(EnvSourceRefSchema)
    secretRef = fields.Nested(EnvSourceRefSchema)

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("configMapRef" in data) == ("secretRef" in data):
            raise ValidationError("give exactly one of `secretRef` or `configMapRef`")


class EnvVarSchema(StrictSchema):
    """One `env` entry: the name must be a valid env var name (the API server would refuse the
    Deployment otherwise, and the hook compares names with its own)."""

    name = fields.String(
        **_required(
            validate=validate.Regexp(
                r"^[-._a-zA-Z][-._a-zA-Z0-9]*$", error="must be an env var name: letters, digits, '_', '-', '.'"
            )
        )
    )
    value = fields.String()
    valueFrom = fields.Dict(keys=fields.String())


class ContainerSpecSchema(StrictSchema):
    name = fields.String(validate=DNS_LABEL)  # default: the server line's container name
    port = fields.Integer(validate=validate.Range(min=1024, max=65535, error="must be between 1024 and 65535"))
    resources = fields.Dict(keys=fields.String())
    env = fields.List(fields.Nested(EnvVarSchema))
    envFrom = fields.List(fields.Nested(EnvFromSchema))
    command = fields.List(fields.String())
    args = fields.List(fields.String())


class PodOverridesSchema(StrictSchema):
    serviceAccountName = fields.String(validate=validate.Length(min=1))
    volumes = fields.List(fields.Dict(keys=fields.String()))
    volumeMounts = fields.List(fields.Dict(keys=fields.String()))
    terminationGracePeriodSeconds = fields.Integer(validate=validate.Range(min=0))


class IntOrPercent(fields.Field[Any]):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("must be an integer or a percentage such as '50%'")
        if isinstance(value, str) and not (value.endswith("%") and value[:-1].isdigit()):
            raise ValidationError("must be an integer or a percentage such as '50%'")
        return value


class PodDisruptionBudgetSchema(StrictSchema):
    minAvailable = IntOrPercent()
    maxUnavailable = IntOrPercent()

    @validates_schema
    def not_both(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "minAvailable" in data and "maxUnavailable" in data:
            raise ValidationError("give minAvailable or maxUnavailable, not both")


class AutoscalingSchema(StrictSchema):
    minReplicas = fields.Integer(validate=validate.Range(min=1))
    maxReplicas = fields.Integer(**_required(validate=validate.Range(min=1)))
    targetCPUUtilizationPercentage = fields.Integer(validate=validate.Range(min=1, max=100))
    targetMemoryUtilizationPercentage = fields.Integer(validate=validate.Range(min=1, max=100))


class StorageSchema(StrictSchema):
    size = fields.String(load_default=DEFAULT_STORAGE_SIZE, validate=QUANTITY)
    # Default: the server line's state directory (`/.llama`), filled in by spec.py.
    mountPath = fields.String(validate=validate.Regexp(r"^/", error="must be an absolute path"))


class UserConfigSchema(StrictSchema):
    configMapName = fields.String(**_required(validate=validate.Length(min=1)))
    configMapNamespace = fields.String(validate=validate.Length(min=1))


class CABundleSchema(StrictSchema):
    configMapName = fields.String(**_required(validate=validate.Length(min=1)))
    configMapNamespace = fields.String(validate=validate.Length(min=1))
    configMapKeys = fields.List(fields.String(validate=CONFIGMAP_KEY))


class TLSConfigSchema(StrictSchema):
    caBundle = fields.Nested(CABundleSchema)


class ExternalProviderSchema(StrictSchema):
    providerId = fields.String(**_required(validate=DNS_LABEL))
    image = fields.String(**_required(validate=validate.Length(min=1)))
    imagePullPolicy = fields.String(
        load_default="IfNotPresent", validate=validate.OneOf(["Always", "Never", "IfNotPresent"])
    )
    config = fields.Dict(keys=fields.String())


def external_providers_schema(table: ApiTable) -> type[Schema]:
    """spec.server.externalProviders: the shared volume's size and a list per section of the table."""
    sections: dict[str, fields.Field[Any]] = {"volumeSizeLimit": fields.String(load_default="2Gi", validate=QUANTITY)}
    sections |= {key: fields.List(fields.Nested(ExternalProviderSchema)) for key in table.external_sections}
    return StrictSchema.from_dict(sections, name="ExternalProvidersSchema")


class ServerSchema(StrictSchema):
    distribution = fields.Nested(DistributionSchema, load_default=lambda: {"name": "starter"})
    containerSpec = fields.Nested(ContainerSpecSchema, load_default=dict)
    workers = fields.Integer(validate=validate.Range(min=1))
    podOverrides = fields.Nested(PodOverridesSchema)
    podDisruptionBudget = fields.Nested(PodDisruptionBudgetSchema)
    topologySpreadConstraints = fields.List(fields.Dict(keys=fields.String()))
    autoscaling = fields.Nested(AutoscalingSchema)
    storage = fields.Nested(StorageSchema)
    userConfig = fields.Nested(UserConfigSchema)
    tlsConfig = fields.Nested(TLSConfigSchema)
    providers = fields.Nested(providers_schema(LLAMA_STACK_APIS))
    disabled = fields.List(
        fields.String(validate=validate.OneOf(DISABLEABLE, error=f"must be one of: {', '.join(DISABLEABLE)}"))
    )
    configStorage = fields.Nested(ConfigStorageSchema)
    resources = fields.Nested(ResourcesSchema)
    port = fields.Integer(validate=validate.Range(min=1024, max=65535, error="must be between 1024 and 65535"))
    serverTLS = fields.Nested(ServerTLSSchema)
    externalProviders = fields.Nested(external_providers_schema(LLAMA_STACK_APIS))


# A namespace label as `key` or `key=value` (Kubernetes label key and value syntax).
NAMESPACE_LABEL = validate.Regexp(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
    r"(=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)?$",
    error="must be a namespace label as key or key=value, e.g. team or team=ml",
)


class AllowedFromSchema(StrictSchema):
    namespaces = fields.List(fields.String(validate=validate.Length(min=1)))
    labels = fields.List(fields.String(validate=NAMESPACE_LABEL))


class NetworkSchema(StrictSchema):
    exposeRoute = fields.Boolean(load_default=False)
    allowedFrom = fields.Nested(AllowedFromSchema)


class LLSDSpecSchema(StrictSchema):
    """The whole `spec` of a LlamaStackDistribution."""

    replicas = fields.Integer(load_default=1, validate=validate.Range(min=0))
    network = fields.Nested(NetworkSchema)
    server = fields.Nested(ServerSchema, load_default=lambda: ServerSchema().load({}))
