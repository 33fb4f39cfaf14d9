"""`spec.providers` of an OGXServer: per API, then `remote`/`inline`, then the provider type.

Upstream types each provider it knows (`remote.vllm: [{id, endpoint, apiToken, ...}]`) and
takes any other through `custom: [{id, type, secretRefs, settings}]`. `TYPED` below is that
list as data: one row per typed provider, from which the section schemas (and so the CRD) are
built. A row with `many=False` is a single object whose id is fixed (`inline-localfs`); the
others are lists of instances, each `id` derived from the type when omitted (`remote-vllm`),
so two unnamed instances of one type collide and must be given ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from generator.apis import OGX_APIS
from generator.ogxserver.common import (
    RuleSchema,
    SecretKeyRefSchema,
    objects,
    optional_text,
    port_number,
    positive,
    required,
    required_text,
    rule,
    texts,
)

# CR key of each API that takes providers -> its config key, in the order upstream's
# ProvidersSpec lists them: a view of the OGX line's one table of API names.
PROVIDER_APIS: dict[str, str] = OGX_APIS.cr_to_config
SIDES = ("remote", "inline")


class RoutedSchema(RuleSchema):
    """Fields of every provider that may run as several instances: an optional unique id."""

    id = optional_text()


PREFIX_MESSAGE = "type must have a 'remote::' or 'inline::' prefix (e.g., 'remote::llama-guard', 'inline::my-provider')"


def _prefixed(value: str) -> None:
    """Upstream's CEL rule, checked by the hook too (a function, so the CRD keeps only the rule)."""
    if not value.startswith(("remote::", "inline::")):
        raise ValidationError(PREFIX_MESSAGE.removeprefix("type "))


class CustomProviderSchema(RoutedSchema):
    """Any provider type the typed fields do not cover, e.g. `remote::ollama`."""

    cel_rules = (rule("self.type.startsWith('remote::') || self.type.startsWith('inline::')", PREFIX_MESSAGE),)
    type = fields.String(**required(validate=[validate.Length(min=1), _prefixed]))
    secretRefs = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.Nested(SecretKeyRefSchema),
        validate=validate.Length(min=1, error="must not be empty; remove the field instead"),
    )
    settings = fields.Dict(keys=fields.String())


# --- network settings of remote inference providers --------------------------------------------


class TLSSettingsSchema(RuleSchema):
    verify = fields.Boolean()
    minVersion = fields.String(validate=validate.OneOf(["TLSv1.2", "TLSv1.3"]))
    ciphers = texts()


class ProxySchema(RuleSchema):
    url = optional_text()
    http = optional_text()
    https = optional_text()
    cacert = optional_text()
    noProxy = texts()


class TimeoutSchema(RuleSchema):
    connect = positive()
    read = positive()


class NetworkSettingsSchema(RuleSchema):
    tls = fields.Nested(TLSSettingsSchema)
    proxy = fields.Nested(ProxySchema)
    timeout = fields.Nested(TimeoutSchema)
    headers = fields.Dict(
        keys=fields.String(), values=fields.String(), validate=validate.Length(min=1, error="must not be empty")
    )


class RemoteInferenceSchema(RoutedSchema):
    allowedModels = texts()
    refreshModels = fields.Boolean()
    network = fields.Nested(NetworkSettingsSchema)


# --- inference ---------------------------------------------------------------------------------


class VLLMSchema(RemoteInferenceSchema):
    endpoint = required_text()
    apiToken = fields.Nested(SecretKeyRefSchema)
    maxTokens = positive()


class OpenAISchema(RemoteInferenceSchema):
    endpoint = optional_text()
    apiKey = fields.Nested(SecretKeyRefSchema, required=True, error_messages={"required": "required"})


class AzureSchema(RemoteInferenceSchema):
    endpoint = required_text()
    apiKey = fields.Nested(SecretKeyRefSchema, required=True, error_messages={"required": "required"})
    apiVersion = optional_text()
    apiType = optional_text()


class BedrockSchema(RemoteInferenceSchema):
    region = required_text()
    apiKey = fields.Nested(SecretKeyRefSchema)
    awsAccessKeyId = fields.Nested(SecretKeyRefSchema)
    awsSecretAccessKey = fields.Nested(SecretKeyRefSchema)
    awsSessionToken = fields.Nested(SecretKeyRefSchema)
    awsRoleArn = optional_text()
    awsWebIdentityTokenFile = optional_text()
    awsRoleSessionName = optional_text()
    profileName = optional_text()
    totalMaxAttempts = positive()
    retryMode = optional_text()
    connectTimeout = positive()
    readTimeout = positive()
    sessionTTL = positive()


class VertexAISchema(RemoteInferenceSchema):
    project = required_text()
    location = optional_text()


class WatsonxSchema(RemoteInferenceSchema):
    endpoint = optional_text()
    apiKey = fields.Nested(SecretKeyRefSchema, required=True, error_messages={"required": "required"})
    projectId = optional_text()
    timeout = positive()


# --- vector_io ---------------------------------------------------------------------------------


class HNSWSchema(RuleSchema):
    m = positive()
    efConstruction = positive()
    efSearch = positive()


class IVFFlatSchema(RuleSchema):
    nlist = positive()
    nprobe = positive()


class VectorIndexSchema(RuleSchema):
    exactly_one_of = ("hnsw", "ivfFlat")
    hnsw = fields.Nested(HNSWSchema)
    ivfFlat = fields.Nested(IVFFlatSchema)


class PgvectorSchema(RoutedSchema):
    host = optional_text()
    port = port_number()
    db = optional_text()
    user = optional_text()
    password = fields.Nested(SecretKeyRefSchema, required=True, error_messages={"required": "required"})
    distanceMetric = fields.String(validate=validate.OneOf(["COSINE", "L2", "L1", "INNER_PRODUCT"]))
    vectorIndex = fields.Nested(VectorIndexSchema)


class MilvusSchema(RoutedSchema):
    uri = required_text()
    token = fields.Nested(SecretKeyRefSchema)
    consistencyLevel = optional_text()


class QdrantSchema(RoutedSchema):
    cel_rules = (rule("has(self.url) || has(self.host)", "at least one of url or host must be specified"),)

    @validates_schema
    def _located(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "url" not in data and "host" not in data:
            raise ValidationError("at least one of url or host must be specified")

    url = optional_text()
    host = optional_text()
    port = port_number()
    apiKey = fields.Nested(SecretKeyRefSchema)
    location = optional_text()
    grpcPort = port_number()
    preferGrpc = fields.Boolean()
    https = fields.Boolean()
    prefix = optional_text()
    timeout = positive()


# --- tool_runtime ------------------------------------------------------------------------------


class SearchSchema(RoutedSchema):
    apiKey = fields.Nested(SecretKeyRefSchema, required=True, error_messages={"required": "required"})
    maxResults = positive()


class QualifiedModelSchema(RuleSchema):
    providerId = required_text()
    modelId = required_text()
    embeddingDimensions = positive()


class RerankerModelSchema(RuleSchema):
    providerId = required_text()
    modelId = required_text()


class RewriteQuerySchema(RuleSchema):
    model = fields.Nested(QualifiedModelSchema)
    prompt = fields.String()
    maxTokens = positive()
    temperature = fields.String()


class FileSearchDisplaySchema(RuleSchema):
    headerTemplate = fields.String()
    footerTemplate = fields.String()


class ContextPromptSchema(RuleSchema):
    chunkAnnotationTemplate = fields.String()
    contextTemplate = fields.String()


class AnnotationPromptSchema(RuleSchema):
    enableAnnotations = fields.Boolean()
    annotationInstructionTemplate = fields.String()
    chunkAnnotationTemplate = fields.String()


class FileIngestionSchema(RuleSchema):
    defaultChunkSizeTokens = positive()
    defaultChunkOverlapTokens = positive(0)


class ChunkRetrievalSchema(RuleSchema):
    chunkMultiplier = positive()
    maxTokensInContext = positive()
    defaultRerankerStrategy = fields.String(validate=validate.OneOf(["rrf", "weighted", "normalized"]))
    rrfImpactFactor = fields.String()
    weightedSearchAlpha = fields.String()
    defaultSearchMode = fields.String(validate=validate.OneOf(["vector", "keyword", "hybrid"]))


class FileBatchSchema(RuleSchema):
    maxConcurrentFilesPerBatch = positive()
    fileBatchChunkSize = positive()
    cleanupIntervalSeconds = positive()


class ContextualRetrievalSchema(RuleSchema):
    model = fields.Nested(QualifiedModelSchema)
    defaultTimeoutSeconds = positive()
    defaultMaxConcurrency = positive()
    maxDocumentTokens = positive()


class VectorStoresSchema(RuleSchema):
    defaultProviderId = optional_text()
    defaultEmbeddingModel = fields.Nested(QualifiedModelSchema)
    defaultRerankerModel = fields.Nested(RerankerModelSchema)
    rewriteQueryParams = fields.Nested(RewriteQuerySchema)
    fileSearchParams = fields.Nested(FileSearchDisplaySchema)
    contextPromptParams = fields.Nested(ContextPromptSchema)
    annotationPromptParams = fields.Nested(AnnotationPromptSchema)
    fileIngestionParams = fields.Nested(FileIngestionSchema)
    chunkRetrievalParams = fields.Nested(ChunkRetrievalSchema)
    fileBatchParams = fields.Nested(FileBatchSchema)
    contextualRetrievalParams = fields.Nested(ContextualRetrievalSchema)


class FileSearchSchema(RoutedSchema):
    vectorStoresConfig = fields.Nested(VectorStoresSchema)


# --- files, batches, responses, file_processors (single instances, fixed ids) ------------------


class S3Schema(RuleSchema):
    bucketName = required_text()
    region = optional_text()
    awsAccessKeyId = fields.Nested(SecretKeyRefSchema)
    awsSecretAccessKey = fields.Nested(SecretKeyRefSchema)
    endpointUrl = optional_text()
    autoCreateBucket = fields.Boolean()


class LocalFSSchema(RuleSchema):
    ttlSecs = positive()


class ReferenceBatchesSchema(RuleSchema):
    maxConcurrentBatches = positive()
    maxConcurrentRequestsPerBatch = positive()


class CompactionSchema(RuleSchema):
    summarizationPrompt = optional_text()
    summaryPrefix = optional_text()
    summarizationModel = optional_text()
    defaultCompactThreshold = positive()
    tokenizerEncoding = optional_text()


class BuiltinResponsesSchema(RuleSchema):
    vectorStoresConfig = fields.Nested(VectorStoresSchema)
    compactionConfig = fields.Nested(CompactionSchema)


class ChunkingSchema(RuleSchema):
    defaultChunkSizeTokens = positive(100, 4096)
    defaultChunkOverlapTokens = positive(0, 2048)


class PdfProcessorSchema(ChunkingSchema):
    extractMetadata = fields.Boolean()
    cleanText = fields.Boolean()


class DoclingSchema(ChunkingSchema):
    doOcr = fields.Boolean()


class DoclingServeSchema(RuleSchema):
    baseUrl = required_text()
    apiKey = fields.Nested(SecretKeyRefSchema)
    defaultChunkSizeTokens = positive(100, 4096)


@dataclass(frozen=True)
class TypedProvider:
    """One typed provider field: `spec.providers.<api>.<side>.<key>` runs `provider_type`."""

    api: str  # CR key of the API, e.g. vectorIo
    side: str  # remote | inline
    key: str  # CR key under the side, e.g. braveSearch
    provider_type: str  # e.g. remote::brave-search
    schema: type[RuleSchema]
    many: bool = True  # a list of instances with ids; False: one object with a fixed id

    @property
    def default_id(self) -> str:
        """Upstream's DeriveID: the type with `::` as `-` (`remote::vllm` -> `remote-vllm`)."""
        return derived_id(self.provider_type)


def derived_id(provider_type: str) -> str:
    return provider_type.replace("::", "-")


TYPED: tuple[TypedProvider, ...] = (
    TypedProvider("inference", "remote", "vllm", "remote::vllm", VLLMSchema),
    TypedProvider("inference", "remote", "openai", "remote::openai", OpenAISchema),
    TypedProvider("inference", "remote", "azure", "remote::azure", AzureSchema),
    TypedProvider("inference", "remote", "bedrock", "remote::bedrock", BedrockSchema),
    TypedProvider("inference", "remote", "vertexai", "remote::vertexai", VertexAISchema),
    TypedProvider("inference", "remote", "watsonx", "remote::watsonx", WatsonxSchema),
    TypedProvider("vectorIo", "remote", "pgvector", "remote::pgvector", PgvectorSchema),
    TypedProvider("vectorIo", "remote", "milvus", "remote::milvus", MilvusSchema),
    TypedProvider("vectorIo", "remote", "qdrant", "remote::qdrant", QdrantSchema),
    TypedProvider("toolRuntime", "remote", "braveSearch", "remote::brave-search", SearchSchema),
    TypedProvider("toolRuntime", "remote", "tavilySearch", "remote::tavily-search", SearchSchema),
    TypedProvider("toolRuntime", "remote", "modelContextProtocol", "remote::model-context-protocol", RoutedSchema),
    TypedProvider("toolRuntime", "inline", "fileSearch", "inline::file-search", FileSearchSchema),
    TypedProvider("files", "remote", "s3", "remote::s3", S3Schema, many=False),
    TypedProvider("files", "inline", "localfs", "inline::localfs", LocalFSSchema, many=False),
    TypedProvider("batches", "inline", "reference", "inline::reference", ReferenceBatchesSchema, many=False),
    TypedProvider("responses", "inline", "builtin", "inline::builtin", BuiltinResponsesSchema, many=False),
    TypedProvider("fileProcessors", "remote", "doclingServe", "remote::docling-serve", DoclingServeSchema, many=False),
    TypedProvider("fileProcessors", "inline", "auto", "inline::auto", PdfProcessorSchema, many=False),
    TypedProvider("fileProcessors", "inline", "pypdf", "inline::pypdf", PdfProcessorSchema, many=False),
    TypedProvider("fileProcessors", "inline", "markitdown", "inline::markitdown", ChunkingSchema, many=False),
    TypedProvider("fileProcessors", "inline", "docling", "inline::docling", DoclingSchema, many=False),
)
CUSTOM = "custom"


def typed(api: str, side: str) -> list[TypedProvider]:
    return [row for row in TYPED if row.api == api and row.side == side]


def typed_for(provider_type: str, api: str) -> TypedProvider | None:
    return next((row for row in TYPED if row.api == api and row.provider_type == provider_type), None)


def _side_schema(api: str, side: str) -> type[RuleSchema]:
    declared: dict[str, fields.Field[Any]] = {
        row.key: objects(row.schema) if row.many else fields.Nested(row.schema) for row in typed(api, side)
    }
    declared[CUSTOM] = objects(CustomProviderSchema)
    return RuleSchema.from_dict(declared, name=f"{api}_{side}_providers")  # type: ignore[return-value]


def _api_schema(api: str) -> type[RuleSchema]:
    declared: dict[str, fields.Field[Any]] = {side: fields.Nested(_side_schema(api, side)) for side in SIDES}
    return RuleSchema.from_dict(declared, name=f"{api}_providers")  # type: ignore[return-value]


ProvidersSchema: type[RuleSchema] = RuleSchema.from_dict(  # type: ignore[assignment]
    {api: fields.Nested(_api_schema(api)) for api in PROVIDER_APIS}, name="ProvidersSchema"
)
