"""The OGXServer CRD: generated from the hook's schemas, a valid CRD with every status field, and
upstream's CEL cases (`api/ogxserver_cel_test.go`, ported) evaluated with cel-python on the
defaulted object, as the API server evaluates them. The hook (marshmallow) refuses every CR the
rules refuse, because admission can be skipped or loosened."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest
from marshmallow import ValidationError

from generator.ogxserver.schema import OGXServerSpecSchema
from tests.generator.ogx import OUR_SAMPLES, UPSTREAM_SAMPLES, ogxserver_documents
from tests.manifests.crd import kubernetes_version, load_ogx_crd, ogx_admission_errors

SECRET = {"name": "s", "key": "k"}


def ogx(*sets: tuple[str, Any]) -> dict[str, Any]:
    """A valid OGXServer (upstream's validOGXServer) with `path = value` set for each pair."""
    cr: dict[str, Any] = {
        "apiVersion": "ogx.io/v1beta1",
        "kind": "OGXServer",
        "metadata": {"name": "cel", "namespace": "ai"},
        "spec": {"distribution": {"name": "starter"}},
    }
    for path, value in sets:
        node = cr
        *parents, last = path.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = copy.deepcopy(value)
    return cr


def custom(side: str, provider: dict[str, Any]) -> tuple[str, Any]:
    return f"spec.providers.inference.{side}.custom", [provider]


def remote(api: str, key: str, provider: Any) -> tuple[str, Any]:
    return f"spec.providers.{api}.remote.{key}", provider


# (case, CR, message the API server gives, or None where upstream expects the CR to be accepted)
CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("distribution: image only", ogx(("spec.distribution", {"image": "quay.io/x/ogx:1"})), None),
    ("distribution: name only", ogx(), None),
    (
        "distribution: both",
        ogx(("spec.distribution", {"name": "starter", "image": "x"})),
        "only one of name or image can be specified",
    ),
    ("distribution: neither", ogx(("spec.distribution", {})), "one of name or image must be specified"),
    ("custom: remote prefix", ogx(custom("remote", {"type": "remote::my-provider"})), None),
    ("custom: inline prefix", ogx(custom("inline", {"type": "inline::builtin"})), None),
    ("custom: no prefix", ogx(custom("remote", {"type": "vllm"})), "type must have a 'remote::' or 'inline::' prefix"),
    ("custom: single colon", ogx(custom("remote", {"type": "remote:vllm"})), "type must have a 'remote::'"),
    ("custom: wrong case", ogx(custom("remote", {"type": "Remote::vllm"})), "type must have a 'remote::'"),
    ("custom: bare double colon", ogx(custom("remote", {"type": "::vllm"})), "type must have a 'remote::'"),
    ("custom: explicit id", ogx(custom("remote", {"id": "mine", "type": "remote::vllm"})), None),
    ("custom: empty id", ogx(custom("remote", {"id": "", "type": "remote::x"})), "id must not be empty if specified"),
    (
        "model: every optional field",
        ogx(
            (
                "spec.resources.models",
                [{"name": "llama3", "provider": "p", "contextLength": 4096, "modelType": "llm", "quantization": "q4"}],
            )
        ),
        None,
    ),
    ("model: name only", ogx(("spec.resources.models", [{"name": "llama3"}])), None),
    ("model: empty provider", ogx(("spec.resources.models", [{"name": "m", "provider": ""}])), "provider must not"),
    ("model: empty modelType", ogx(("spec.resources.models", [{"name": "m", "modelType": ""}])), "modelType must not"),
    (
        "model: empty quantization",
        ogx(("spec.resources.models", [{"name": "m", "quantization": ""}])),
        "quantization must not be empty if specified",
    ),
    ("kv: sqlite", ogx(("spec.storage.kv", {"type": "sqlite"})), None),
    ("kv: redis with endpoint", ogx(("spec.storage.kv", {"type": "redis", "endpoint": "redis://r:6379"})), None),
    ("kv: redis without endpoint", ogx(("spec.storage.kv", {"type": "redis"})), "endpoint is required when type"),
    (
        "kv: sqlite with endpoint",
        ogx(("spec.storage.kv", {"type": "sqlite", "endpoint": "redis://r:6379"})),
        "endpoint is only valid when type is redis",
    ),
    (
        "kv: endpoint with the default type",
        ogx(("spec.storage.kv", {"endpoint": "redis://r:6379"})),
        "endpoint is only valid when type is redis",
    ),
    (
        "kv: sqlite with password",
        ogx(("spec.storage.kv", {"type": "sqlite", "password": SECRET})),
        "password is only valid when type is redis",
    ),
    (
        "kv: redis with password and endpoint",
        ogx(("spec.storage.kv", {"type": "redis", "endpoint": "redis://r:6379", "password": SECRET})),
        None,
    ),
    ("sql: sqlite", ogx(("spec.storage.sql", {"type": "sqlite"})), None),
    (
        "sql: postgres with connectionString",
        ogx(("spec.storage.sql", {"type": "postgres", "connectionString": SECRET})),
        None,
    ),
    ("sql: postgres without", ogx(("spec.storage.sql", {"type": "postgres"})), "connectionString is required when"),
    (
        "sql: sqlite with connectionString",
        ogx(("spec.storage.sql", {"type": "sqlite", "connectionString": SECRET})),
        "connectionString is only valid when type is postgres",
    ),
    ("pvc: custom mountPath", ogx(("spec.workload.storage", {"mountPath": "/data"})), None),
    ("pvc: positive size", ogx(("spec.workload.storage", {"size": "10Gi"})), None),
    ("pvc: zero size", ogx(("spec.workload.storage", {"size": "0"})), "size must be a positive quantity"),
    ("pvc: negative size", ogx(("spec.workload.storage", {"size": "-1Gi"})), "size must be a positive quantity"),
    ("pvc: empty mountPath", ogx(("spec.workload.storage", {"mountPath": ""})), "mountPath must not be empty"),
    ("pdb: minAvailable", ogx(("spec.workload.podDisruptionBudget", {"minAvailable": 1})), None),
    ("pdb: maxUnavailable", ogx(("spec.workload.podDisruptionBudget", {"maxUnavailable": "50%"})), None),
    (
        "pdb: both",
        ogx(("spec.workload.podDisruptionBudget", {"minAvailable": 1, "maxUnavailable": 1})),
        "minAvailable and maxUnavailable are mutually exclusive",
    ),
    (
        "pdb: neither",
        ogx(("spec.workload.podDisruptionBudget", {})),
        "at least one of minAvailable or maxUnavailable must be specified",
    ),
    ("hpa: max > min", ogx(("spec.workload.autoscaling", {"minReplicas": 1, "maxReplicas": 3})), None),
    ("hpa: max == min", ogx(("spec.workload.autoscaling", {"minReplicas": 2, "maxReplicas": 2})), None),
    (
        "hpa: max < min",
        ogx(("spec.workload.autoscaling", {"minReplicas": 3, "maxReplicas": 2})),
        "maxReplicas must be greater than or equal to minReplicas",
    ),
    ("hpa: min omitted", ogx(("spec.workload.autoscaling", {"maxReplicas": 2})), None),
    ("overrideConfig alone", ogx(("spec.overrideConfig", {"name": "cfg", "key": "config.yaml"})), None),
    *[
        (
            f"overrideConfig with {field}",
            ogx(("spec.overrideConfig", {"name": "cfg", "key": "config.yaml"}), (f"spec.{field}", value)),
            f"overrideConfig and {field} are mutually exclusive",
        )
        for field, value in (
            ("providers", {"inference": {"remote": {"vllm": [{"endpoint": "http://v"}]}}}),
            ("resources", {"models": [{"name": "m"}]}),
            ("storage", {"sql": {"type": "sqlite"}}),
            ("disabledAPIs", ["batches"]),
            ("baseConfig", {"name": "base", "key": "config.yaml"}),
        )
    ],
    (
        "disabledAPIs batches with an inference provider",
        ogx(remote("inference", "vllm", [{"endpoint": "http://v"}]), ("spec.disabledAPIs", ["batches"])),
        None,
    ),
    *[
        (
            f"{api} both in providers and disabledAPIs",
            ogx(
                (f"spec.providers.{cr_api}", {"remote": {"custom": [{"type": "remote::x"}]}}),
                ("spec.disabledAPIs", [api]),
            ),
            f"{api} cannot be both in providers and disabledAPIs",
        )
        for cr_api, api in (
            ("inference", "inference"),
            ("vectorIo", "vector_io"),
            ("toolRuntime", "tool_runtime"),
            ("files", "files"),
            ("fileProcessors", "file_processors"),
        )
    ],
    ("externalAccess: no hostname", ogx(("spec.network.externalAccess", {"enabled": True})), None),
    ("externalAccess: hostname", ogx(("spec.network.externalAccess", {"enabled": True, "hostname": "x.io"})), None),
    (
        "externalAccess: empty hostname",
        ogx(("spec.network.externalAccess", {"enabled": True, "hostname": ""})),
        "hostname must not be empty if specified",
    ),
    (
        "resourceClaims: claim name",
        ogx(("spec.workload.resourceClaims", [{"name": "gpu", "resourceClaimName": "gpu-claim"}])),
        None,
    ),
    (
        "resourceClaims: claim template",
        ogx(("spec.workload.resourceClaims", [{"name": "gpu", "resourceClaimTemplateName": "gpu-template"}])),
        None,
    ),
    ("overrides: no serviceAccountName", ogx(("spec.workload.overrides", {"command": ["ogx"]})), None),
    ("overrides: serviceAccountName", ogx(("spec.workload.overrides", {"serviceAccountName": "sa"})), None),
    (
        "overrides: empty serviceAccountName",
        ogx(("spec.workload.overrides", {"serviceAccountName": ""})),
        "serviceAccountName must not be empty if specified",
    ),
    ("registryRefresh: 1", ogx(("spec.registryRefreshIntervalSeconds", 1)), None),
    ("registryRefresh: large", ogx(("spec.registryRefreshIntervalSeconds", 86400)), None),
    (
        "vectorIndex: hnsw",
        ogx(remote("vectorIo", "pgvector", [{"password": SECRET, "vectorIndex": {"hnsw": {"m": 16}}}])),
        None,
    ),
    (
        "vectorIndex: ivfFlat",
        ogx(remote("vectorIo", "pgvector", [{"password": SECRET, "vectorIndex": {"ivfFlat": {"nlist": 100}}}])),
        None,
    ),
    (
        "vectorIndex: both",
        ogx(remote("vectorIo", "pgvector", [{"password": SECRET, "vectorIndex": {"hnsw": {}, "ivfFlat": {}}}])),
        "only one of hnsw or ivfFlat can be specified",
    ),
    (
        "vectorIndex: neither",
        ogx(remote("vectorIo", "pgvector", [{"password": SECRET, "vectorIndex": {}}])),
        "one of hnsw or ivfFlat must be specified",
    ),
    *[
        (
            f"empty string: {api}.{key}.{field}",
            ogx(remote(api, key, [{**base, field: ""}] if key not in ("s3",) else {**base, field: ""})),
            f"{field} must not be empty if specified",
        )
        for api, key, base, field in (
            ("inference", "openai", {"apiKey": SECRET}, "endpoint"),
            ("inference", "azure", {"endpoint": "https://az", "apiKey": SECRET}, "apiVersion"),
            ("inference", "azure", {"endpoint": "https://az", "apiKey": SECRET}, "apiType"),
            ("inference", "bedrock", {"region": "us-east-1"}, "awsRoleArn"),
            ("inference", "bedrock", {"region": "us-east-1"}, "profileName"),
            ("inference", "bedrock", {"region": "us-east-1"}, "retryMode"),
            ("inference", "bedrock", {"region": "us-east-1"}, "awsWebIdentityTokenFile"),
            ("inference", "bedrock", {"region": "us-east-1"}, "awsRoleSessionName"),
            ("inference", "vertexai", {"project": "p"}, "location"),
            ("inference", "watsonx", {"apiKey": SECRET}, "endpoint"),
            ("inference", "watsonx", {"apiKey": SECRET}, "projectId"),
            ("vectorIo", "pgvector", {"password": SECRET}, "host"),
            ("vectorIo", "pgvector", {"password": SECRET}, "db"),
            ("vectorIo", "pgvector", {"password": SECRET}, "user"),
            ("vectorIo", "milvus", {"uri": "http://m"}, "consistencyLevel"),
            ("vectorIo", "qdrant", {"host": "q"}, "url"),
            ("vectorIo", "qdrant", {"url": "http://q"}, "host"),
            ("vectorIo", "qdrant", {"url": "http://q"}, "location"),
            ("vectorIo", "qdrant", {"url": "http://q"}, "prefix"),
            ("files", "s3", {"bucketName": "b"}, "region"),
            ("files", "s3", {"bucketName": "b"}, "endpointUrl"),
        )
    ],
    (
        "empty string: vectorStoresConfig.defaultProviderId",
        ogx(("spec.providers.responses.inline.builtin", {"vectorStoresConfig": {"defaultProviderId": ""}})),
        "defaultProviderId must not be empty if specified",
    ),
    *[
        (
            f"empty string: compactionConfig.{field}",
            ogx(("spec.providers.responses.inline.builtin", {"compactionConfig": {field: ""}})),
            f"{field} must not be empty if specified",
        )
        for field in ("summarizationPrompt", "summaryPrefix", "summarizationModel", "tokenizerEncoding")
    ],
    *[
        (
            f"empty string: network.proxy.{field}",
            ogx(remote("inference", "vllm", [{"endpoint": "http://v", "network": {"proxy": {field: ""}}}])),
            f"{field} must not be empty if specified",
        )
        for field in ("url", "http", "https", "cacert")
    ],
    (
        "qdrant: neither url nor host",
        ogx(remote("vectorIo", "qdrant", [{"port": 6333}])),
        "at least one of url or host",
    ),
]


@pytest.mark.parametrize(("cr", "message"), [(cr, message) for _, cr, message in CASES], ids=[c[0] for c in CASES])
def test_upstream_cel_case(cr, message):
    errors = ogx_admission_errors(cr)
    if message is None:
        assert errors == []
    else:
        assert any(message in error for error in errors), errors


@pytest.mark.parametrize(
    "cr", [cr for _, cr, message in CASES if message is not None], ids=[c[0] for c in CASES if c[2] is not None]
)
def test_the_hook_refuses_what_admission_refuses(cr):
    with pytest.raises(ValidationError):
        OGXServerSpecSchema().load(cr["spec"])


def test_crd_is_a_valid_kubernetes_object_with_every_status_field():
    crd = load_ogx_crd()
    kubernetes_validate.validate(crd, kubernetes_version(), strict=True)
    assert crd["metadata"]["name"] == "ogxservers.ogx.io"
    names = crd["spec"]["names"]
    assert (names["kind"], names["plural"], names["shortNames"]) == ("OGXServer", "ogxservers", ["ogxserver"])
    (version,) = crd["spec"]["versions"]
    assert (version["name"], version["subresources"]) == ("v1beta1", {"status": {}})
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    # upstream's OGXServerStatus, field by field
    assert {
        "phase",
        "version",
        "distributionConfig",
        "resolvedDistribution",
        "configGeneration",
        "conditions",
        "availableReplicas",
        "serviceURL",
        "externalURL",
    } <= set(status)
    assert set(status["version"]["properties"]) == {"operatorVersion", "serverVersion", "lastUpdated"}
    assert {"configMapName", "providerCount", "resourceCount", "configVersion", "generatedAt"} <= set(
        status["configGeneration"]["properties"]
    )


SAMPLES = {**ogxserver_documents(UPSTREAM_SAMPLES), **ogxserver_documents(OUR_SAMPLES)}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_passes_admission(name):
    assert ogx_admission_errors(SAMPLES[name]) == []
