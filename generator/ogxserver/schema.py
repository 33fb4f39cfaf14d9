"""Structural schema of the OGXServer `spec` (marshmallow), with upstream's field names, ranges
and CEL rules (`api/*.go` kubebuilder markers of `ogx.io/v1beta1`).

Shapes, types, per-field ranges and single-object CEL rules live here; rules that need the
provider catalog, the distribution registry or several objects (unique ids, references to
provider ids) live in `translate.py`. Kubernetes-typed fields (resources, env, volumes,
NetworkPolicy rules, resource claims, topology spread constraints) pass through: the API server
validates them against the CRD and the Deployment carries them unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from generator.lines import OGX
from generator.ogxserver.common import (
    NONEMPTY_RULE,
    ConfigMapKeyRefSchema,
    RuleSchema,
    SecretKeyRefSchema,
    free_objects,
    objects,
    optional_text,
    port_number,
    positive,
    required,
    required_text,
    rule,
    texts,
)
from generator.ogxserver.providers import PROVIDER_APIS, ProvidersSchema
from generator.schema import QUANTITY, IntOrPercent

OGX_MOUNT_PATH = OGX.mount_path
OGX_PORT = 8321
DISABLEABLE_APIS = sorted(PROVIDER_APIS.values())


class DistributionSchema(RuleSchema):
    exactly_one_of = ("name", "image")
    name = fields.String(validate=validate.Length(min=1))
    image = fields.String(validate=validate.Length(min=1))


class ModelSchema(RuleSchema):
    name = required_text()
    provider = optional_text()
    contextLength = positive()
    modelType = optional_text()
    quantization = optional_text()


class ResourcesSchema(RuleSchema):
    models = objects(ModelSchema, most=1000)


class KVStorageSchema(RuleSchema):
    cel_rules = (
        rule("self.type != 'redis' || has(self.endpoint)", "endpoint is required when type is redis"),
        rule("!has(self.endpoint) || self.type == 'redis'", "endpoint is only valid when type is redis"),
        rule("!has(self.password) || self.type == 'redis'", "password is only valid when type is redis"),
    )
    type = fields.String(load_default="sqlite", validate=validate.OneOf(["sqlite", "redis"]))
    endpoint = fields.String()
    password = fields.Nested(SecretKeyRefSchema)

    @validates_schema
    def _redis_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        redis = data.get("type") == "redis"
        if redis and "endpoint" not in data:
            raise ValidationError("endpoint is required when type is redis", "endpoint")
        for field in ("endpoint", "password"):
            if field in data and not redis:
                raise ValidationError(f"{field} is only valid when type is redis", field)


class SQLStorageSchema(RuleSchema):
    cel_rules = (
        rule(
            "self.type != 'postgres' || has(self.connectionString)",
            "connectionString is required when type is postgres",
        ),
        rule(
            "!has(self.connectionString) || self.type == 'postgres'",
            "connectionString is only valid when type is postgres",
        ),
    )
    type = fields.String(load_default="sqlite", validate=validate.OneOf(["sqlite", "postgres"]))
    connectionString = fields.Nested(SecretKeyRefSchema)

    @validates_schema
    def _postgres_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        postgres = data.get("type") == "postgres"
        if postgres != ("connectionString" in data):
            message = "required when type is postgres" if postgres else "only valid when type is postgres"
            raise ValidationError(f"connectionString is {message}", "connectionString")


class StateStorageSchema(RuleSchema):
    kv = fields.Nested(KVStorageSchema)
    sql = fields.Nested(SQLStorageSchema)


class ServerTLSSchema(RuleSchema):
    secretName = required_text()


class TrustSchema(RuleSchema):
    caCertificates = objects(ConfigMapKeyRefSchema, most=64)


class IdentitySchema(RuleSchema):
    cert = fields.Nested(ConfigMapKeyRefSchema, **required())
    key = fields.Nested(SecretKeyRefSchema, **required())


class ClientTLSSchema(RuleSchema):
    trust = fields.Nested(TrustSchema)
    identity = fields.Nested(IdentitySchema)


class NetworkPolicySchema(RuleSchema):
    enabled = fields.Boolean(load_default=True)
    policyTypes = fields.List(fields.String(validate=validate.OneOf(["Ingress", "Egress"])))
    ingress = fields.List(fields.Dict(keys=fields.String()))
    egress = fields.List(fields.Dict(keys=fields.String()))


class ExternalAccessSchema(RuleSchema):
    enabled = fields.Boolean(load_default=False)
    hostname = optional_text()


class NetworkSchema(RuleSchema):
    port = fields.Integer(load_default=OGX_PORT, validate=validate.Range(min=1, max=65535))
    tls = fields.Nested(ServerTLSSchema)
    externalAccess = fields.Nested(ExternalAccessSchema)
    policy = fields.Nested(NetworkPolicySchema)


class MonitoringSchema(RuleSchema):
    enabled = fields.Boolean(load_default=True)
    metricsPort = port_number()


QUANTITY_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?")


def _positive_quantity(value: str) -> None:
    number = QUANTITY_NUMBER.match(value)
    if number is None or float(number.group(0)) <= 0:
        raise ValidationError("must be a positive quantity such as 10Gi")


class PVCStorageSchema(RuleSchema):
    cel_rules = (
        rule(
            "!has(self.size) || quantity(self.size).isGreaterThan(quantity('0'))",
            "size must be a positive quantity",
        ),
    )
    size = fields.String(validate=[QUANTITY, _positive_quantity])
    mountPath = fields.String(
        validate=[
            validate.Length(min=1, error="must not be empty if specified"),
            validate.Regexp(r"^/", error="must be an absolute path"),
        ],
        metadata={NONEMPTY_RULE: True},
    )


class PodDisruptionBudgetSchema(RuleSchema):
    cel_rules = (
        rule(
            "has(self.minAvailable) || has(self.maxUnavailable)",
            "at least one of minAvailable or maxUnavailable must be specified",
        ),
        rule(
            "!(has(self.minAvailable) && has(self.maxUnavailable))",
            "minAvailable and maxUnavailable are mutually exclusive",
        ),
    )
    minAvailable = IntOrPercent()
    maxUnavailable = IntOrPercent()

    @validates_schema
    def _one_bound(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "minAvailable" in data and "maxUnavailable" in data:
            raise ValidationError("minAvailable and maxUnavailable are mutually exclusive")
        if "minAvailable" not in data and "maxUnavailable" not in data:
            raise ValidationError("at least one of minAvailable or maxUnavailable must be specified")


class AutoscalingSchema(RuleSchema):
    cel_rules = (
        rule(
            "!has(self.minReplicas) || self.maxReplicas >= self.minReplicas",
            "maxReplicas must be greater than or equal to minReplicas",
        ),
    )
    minReplicas = positive()
    maxReplicas = fields.Integer(**required(validate=validate.Range(min=1)))
    targetCPUUtilizationPercentage = positive(1, 100)
    targetMemoryUtilizationPercentage = positive(1, 100)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("minReplicas", 1) > data["maxReplicas"]:
            raise ValidationError("maxReplicas must be greater than or equal to minReplicas", "maxReplicas")


class WorkloadOverridesSchema(RuleSchema):
    serviceAccountName = optional_text()
    env = free_objects()
    command = texts()
    args = texts()
    volumes = free_objects()
    volumeMounts = free_objects()


class WorkloadSchema(RuleSchema):
    replicas = fields.Integer(load_default=1, validate=validate.Range(min=0))
    workers = positive()
    resources = fields.Dict(keys=fields.String())
    resourceClaims = free_objects()
    autoscaling = fields.Nested(AutoscalingSchema)
    storage = fields.Nested(PVCStorageSchema)
    podDisruptionBudget = fields.Nested(PodDisruptionBudgetSchema)
    topologySpreadConstraints = free_objects()
    overrides = fields.Nested(WorkloadOverridesSchema)


GENERATION_INPUTS = ("providers", "resources", "storage", "disabledAPIs", "baseConfig")


def _spec_rules() -> tuple[dict[str, str], ...]:
    exclusive = [
        rule(f"!has(self.overrideConfig) || !has(self.{name})", f"overrideConfig and {name} are mutually exclusive")
        for name in GENERATION_INPUTS
    ]
    both = [
        rule(
            f"!has(self.providers) || !has(self.disabledAPIs) || !self.disabledAPIs.exists(d, d == '{api}') "
            f"|| !has(self.providers.{cr_api})",
            f"{api} cannot be both in providers and disabledAPIs",
        )
        for cr_api, api in PROVIDER_APIS.items()
    ]
    return tuple(exclusive + both)


class OGXServerSpecSchema(RuleSchema):
    """The whole `spec` of an OGXServer."""

    cel_rules = _spec_rules()
    distribution = fields.Nested(DistributionSchema, **required())
    providers = fields.Nested(ProvidersSchema)
    resources = fields.Nested(ResourcesSchema)
    storage = fields.Nested(StateStorageSchema)
    disabledAPIs = fields.List(
        fields.String(
            validate=validate.OneOf(DISABLEABLE_APIS, error=f"must be one of: {', '.join(DISABLEABLE_APIS)}")
        ),
        validate=validate.Length(min=1, max=len(DISABLEABLE_APIS), error="must have between {min} and {max} items"),
    )
    registryRefreshIntervalSeconds = positive()
    network = fields.Nested(NetworkSchema)
    tls = fields.Nested(ClientTLSSchema)
    workload = fields.Nested(WorkloadSchema)
    monitoring = fields.Nested(MonitoringSchema)
    baseConfig = fields.Nested(ConfigMapKeyRefSchema)
    overrideConfig = fields.Nested(ConfigMapKeyRefSchema)

    @validates_schema
    def _override_replaces_generation(self, data: dict[str, Any], **kwargs: Any) -> None:
        clashes = {
            name: [f"overrideConfig and {name} are mutually exclusive; the override replaces generation"]
            for name in GENERATION_INPUTS
            if name in data and "overrideConfig" in data
        }
        if clashes:
            raise ValidationError(clashes)

    @validates_schema
    def _disabled_not_configured(self, data: dict[str, Any], **kwargs: Any) -> None:
        configured = {PROVIDER_APIS[cr_api] for cr_api in data.get("providers") or {}}
        both = {
            index: [f"{api} cannot be both in providers and disabledAPIs; remove one"]
            for index, api in enumerate(data.get("disabledAPIs") or [])
            if api in configured
        }
        if both:
            raise ValidationError({"disabledAPIs": both})
