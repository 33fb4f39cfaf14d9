"""LLSD -> OGXServer: the migration upstream does not offer ("rewrite your CRs by hand").

Every field with a counterpart moves (`fieldmap.MOVES`, and the reshaped ones below); every
field without one is reported with the reason (`fieldmap.NO_COUNTERPART`, APIs OGX removed,
provider types OGX does not have), never dropped silently. Providers keep their ids (models and
defaults refer to them): a provider becomes upstream's typed form where every field it sets
has a typed field, else a `custom` provider of the same type, its secrets as `secretRefs`.
The result is then judged by `translate` against the OGX line's catalog; what it refuses is
listed as `problems`, to fix by hand before applying.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from generator.apis import LLAMA_STACK_APIS
from generator.errors import SpecError
from generator.model import ProviderEntry
from generator.ogxserver.fieldmap import MOVES, NO_COUNTERPART
from generator.ogxserver.providers import CUSTOM, PROVIDER_APIS, TypedProvider, typed_for
from generator.ogxserver.schema import DISABLEABLE_APIS, OGXServerSpecSchema
from generator.ogxserver.translate import (
    API_VERSION,
    KIND,
    Catalog,
    config_key,
    is_secret_field,
    ogx_errors,
    translate,
)
from generator.pipeline import generate_spec
from generator.spec import parse_spec

DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
_SNAKE = re.compile(r"_([a-z0-9])")


@dataclass(frozen=True)
class Note:
    """One LLSD field that did not move as it was, and why."""

    path: str
    reason: str


@dataclass
class Conversion:
    ogxserver: dict[str, Any]
    dropped: list[Note] = field(default_factory=list)  # no counterpart: left out
    problems: list[Note] = field(default_factory=list)  # the result needs a fix before applying
    references: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) the CR reads


WATCH_LABEL = "ogx.io/watch"


def camel(name: str) -> str:
    """`max_tokens` -> `maxTokens`: a typed field's name for an OGX config key."""
    return _SNAKE.sub(lambda match: match.group(1).upper(), name)


def _get(obj: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        if not isinstance(obj, dict) or name not in obj:
            return None
        obj = obj[name]
    return obj


def _put(obj: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for name in parents:
        obj = obj.setdefault(name, {})
    obj[last] = copy.deepcopy(value)


def _ref(selector: dict[str, Any]) -> dict[str, str]:
    """`{secretKeyRef: {name, key}}` (LLSD) -> `{name, key}` (OGXServer)."""
    inner = selector["secretKeyRef"]
    return {"name": inner["name"], "key": inner["key"]}


class _Converter:
    def __init__(self, llsd: dict[str, Any], catalog: Catalog) -> None:
        self.llsd = llsd
        self.catalog = catalog
        self.cr = llsd.get("spec") or {}
        self.server = self.cr.get("server") or {}
        self.out: dict[str, Any] = {}
        self.dropped: list[Note] = []

    def drop(self, path: str, reason: str) -> None:
        self.dropped.append(Note(path, reason))

    def moves(self) -> None:
        for llsd_path, ogx_path in MOVES.items():
            value = _get(self.llsd, llsd_path)
            if value is not None:
                _put(self.out, ogx_path.removeprefix("spec."), value)
        if "distribution" not in self.out:
            self.out["distribution"] = {"name": "starter"}  # the LLSD's default
        for path, reason in NO_COUNTERPART.items():
            # resources are reported item by item (resources()), namespaces only when foreign
            if not path.startswith("spec.server.resources.") and _get(self.llsd, path) is not None:
                self.drop(path, reason)

    def network(self) -> None:
        allowed = _get(self.cr, "network.allowedFrom") or {}
        peers: list[dict[str, Any]] = [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
            for namespace in allowed.get("namespaces") or []
        ]
        for label in allowed.get("labels") or []:
            key, sep, value = label.partition("=")
            selector = (
                {"matchLabels": {key: value}} if sep else {"matchExpressions": [{"key": key, "operator": "Exists"}]}
            )
            peers.append({"namespaceSelector": selector})
        if peers:  # OGX merges these with its defaults (own namespace), as allowedFrom adds to ours
            _put(self.out, "network.policy.ingress", [{"from": peers}])
        tls = self.server.get("serverTLS") or {}
        if tls.get("enabled", True) and tls.get("secretName"):
            _put(self.out, "network.tls", {"secretName": tls["secretName"]})

    def config_sources(self) -> None:
        namespace = (self.llsd.get("metadata") or {}).get("namespace")
        user = self.server.get("userConfig")
        if user:
            self.out["overrideConfig"] = {"name": user["configMapName"], "key": "config.yaml"}
            self._other_namespace(user, namespace, "spec.server.userConfig.configMapNamespace")
        bundle = _get(self.server, "tlsConfig.caBundle")
        if bundle:
            keys = bundle.get("configMapKeys") or ["ca-bundle.crt"]
            certificates = [{"name": bundle["configMapName"], "key": key} for key in keys]
            _put(self.out, "tls.trust.caCertificates", certificates)
            self._other_namespace(bundle, namespace, "spec.server.tlsConfig.caBundle.configMapNamespace")
        storage = self.server.get("configStorage")
        if storage:
            sql: dict[str, Any] = {"type": storage.get("type", "sqlite")}
            if "connectionString" in storage:
                sql["connectionString"] = _ref(storage["connectionString"])
            _put(self.out, "storage.sql", sql)

    def _other_namespace(self, ref: dict[str, Any], namespace: str | None, path: str) -> None:
        # NO_COUNTERPART already reports a configMapNamespace; an equal one is no loss.
        other = ref.get("configMapNamespace")
        if other and other == namespace:
            self.dropped = [note for note in self.dropped if note.path != path]

    def disabled(self) -> None:
        names = []
        for index, name in enumerate(self.server.get("disabled") or []):
            path = f"spec.server.disabled[{index}]"
            api = LLAMA_STACK_APIS.cr_to_config.get(name)
            if api is None:
                self.drop(
                    path, f"the {name} API was already gone in llama-stack 0.7.3 ({LLAMA_STACK_APIS.removed[name]})"
                )
            elif api not in DISABLEABLE_APIS:
                self.drop(path, f"{self.catalog.label} has no {api} API, so there is nothing to disable")
            elif api not in names:
                names.append(api)
        if names:
            self.out["disabledAPIs"] = names

    def resources(self) -> None:
        resources = self.server.get("resources") or {}
        models = []
        for index, model in enumerate(resources.get("models") or []):
            path = f"spec.server.resources.models[{index}]"
            if isinstance(model, str):
                models.append({"name": model})
                continue
            out = {"name": model["name"]}
            if "provider" in model:
                out["provider"] = model["provider"]
            metadata = model.get("metadata") or {}
            if "contextLength" in metadata:
                out["contextLength"] = metadata["contextLength"]
            if "embeddingDimension" in metadata:
                out["modelType"] = "embedding"
                self.drop(
                    f"{path}.metadata.embeddingDimension",
                    NO_COUNTERPART["spec.server.resources.models[].metadata.embeddingDimension"],
                )
            if "providerModelId" in model:
                self.drop(f"{path}.providerModelId", NO_COUNTERPART["spec.server.resources.models[].providerModelId"])
            models.append(out)
        if models:
            _put(self.out, "resources.models", models)
        for kind in ("tools", "shields"):
            for index, _ in enumerate(resources.get(kind) or []):
                self.drop(f"spec.server.resources.{kind}[{index}]", NO_COUNTERPART[f"spec.server.resources.{kind}"])

    def providers(self, entries: tuple[ProviderEntry, ...]) -> None:
        by_config = {api: cr_api for cr_api, api in PROVIDER_APIS.items()}
        written = self.server.get("providers") or {}
        for cr_api in written:  # a valid LLSD names only APIs llama-stack 0.7.3 has
            api = LLAMA_STACK_APIS.cr_to_config[cr_api]
            if api not in by_config:
                self.drop(f"spec.server.providers.{cr_api}", f"{self.catalog.label} has no {api} API")
        for entry in entries:
            ogx_api = by_config.get(entry.api)
            if ogx_api is None:
                continue  # reported above, once per API
            item = self._item(entry, written)
            known = self.catalog.provider_types(entry.api)
            if entry.provider_type not in known:
                self.drop(entry.path, f"{self.catalog.label} has no {entry.api} provider {entry.provider_type}")
                continue
            self._provider(entry, ogx_api, item, known[entry.provider_type])

    @staticmethod
    def _item(entry: ProviderEntry, written: dict[str, Any]) -> dict[str, Any]:
        value = written[entry.cr_api]
        if isinstance(value, dict):
            return value
        item: dict[str, Any] = value[int(entry.path.rsplit("[", 1)[1].rstrip("]"))]
        return item

    def _provider(self, entry: ProviderEntry, ogx_api: str, item: dict[str, Any], info: Mapping[str, Any]) -> None:
        """The provider in OGX config terms (keys as OGX names them), then typed or custom."""
        settings = copy.deepcopy(item.get("config") or {})
        secrets: dict[str, dict[str, str]] = {}
        simple = {"endpoint": "endpoint_field", "region": "region_field"}
        for cr_field, catalog_key in simple.items():
            if cr_field in item:
                settings[str(info.get(catalog_key) or cr_field)] = item[cr_field]
        for cr_field, catalog_key in (("apiKey", "key_field"), ("host", "host_field")):
            if cr_field in item:
                secrets[str(info.get(catalog_key) or cr_field)] = _ref(item[cr_field])
        for key, selector in (item.get("secretRefs") or {}).items():
            secrets[key] = _ref(selector)
        if "deploymentName" in item:
            self.drop(
                f"{entry.path}.deploymentName",
                "OGXServer's azure provider has no deployment field; name the deployment as a model "
                "(spec.resources.models) served by this provider",
            )
        side = entry.provider_type.split("::", 1)[0]
        section = self.out.setdefault("providers", {}).setdefault(ogx_api, {}).setdefault(side, {})
        row = typed_for(entry.provider_type, ogx_api)
        typed = _typed(row, entry, settings, secrets, info) if row is not None else None
        if row is not None and typed is not None and row.many:
            section.setdefault(row.key, []).append(typed)
        elif row is not None and typed is not None and row.key not in section:
            section[row.key] = typed
        else:
            custom: dict[str, Any] = {"id": entry.provider_id, "type": entry.provider_type}
            if settings:
                custom["settings"] = settings
            if secrets:
                custom["secretRefs"] = secrets
            section.setdefault(CUSTOM, []).append(custom)

    def convert(self) -> Conversion:
        entries = parse_spec(self.llsd).providers  # the LLSD must be valid: SpecError otherwise
        self.moves()
        self.network()
        self.config_sources()
        self.disabled()
        self.resources()
        self.providers(entries)
        metadata = self.llsd.get("metadata") or {}
        meta: dict[str, Any] = {"name": metadata.get("name")}
        for key in ("namespace", "labels"):
            if metadata.get(key):
                meta[key] = copy.deepcopy(metadata[key])
        annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in DROPPED_ANNOTATIONS}
        if annotations:
            meta["annotations"] = annotations
        order = list(OGXServerSpecSchema._declared_fields)  # upstream's field order reads best
        spec = dict(sorted(self.out.items(), key=lambda item: order.index(item[0])))
        ogx = {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}
        problems: list[Note] = []
        references: list[tuple[str, str]] = []
        try:
            parsed = translate(ogx, self.catalog)
            references = sorted({("Secret", ref.secret_name) for ref in parsed.secret_refs})
            references += sorted({("Secret", name) for name in [parsed.tls_secret_name] if name})
            references += sorted({("ConfigMap", ref.name) for ref in (parsed.user_config, parsed.ca_bundle) if ref})
            generated = parsed.user_config is None and (parsed.ogx is None or parsed.ogx.base_config is None)
            if parsed.distribution_name is not None and generated:
                generate_spec(parsed)  # what the OGX line's base config needs, e.g. an env var it reads
        except SpecError as err:
            problems = [Note(e["path"], e["message"]) for e in ogx_errors(err).errors]
        return Conversion(ogx, self.dropped, problems, references)


def _camel_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(k): v if k == "headers" else _camel_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_value(v) for v in value]
    return value


def _typed(
    row: TypedProvider,
    entry: ProviderEntry,
    settings: dict[str, Any],
    secrets: dict[str, dict[str, str]],
    info: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Upstream's typed form of the provider, or None when a field it sets has no typed field
    (or a single-instance type would lose its id)."""
    if not row.many and entry.provider_id != row.default_id:
        return None
    declared = row.schema._declared_fields  # marshmallow's public-by-convention field map
    by_key = {config_key(name, info): name for name in declared if name != "id"}
    out: dict[str, Any] = {"id": entry.provider_id} if row.many else {}
    for key, value in settings.items():
        if key not in by_key or is_secret_field(declared[by_key[key]]):
            return None
        out[by_key[key]] = _camel_value(value)
    for key, ref in secrets.items():
        if key not in by_key or not is_secret_field(declared[by_key[key]]):
            return None
        out[by_key[key]] = ref
    try:
        row.schema().load(out)
    except ValidationError:
        return None
    return out


def convert_llsd(llsd: dict[str, Any], catalog: Catalog) -> Conversion:
    """One LlamaStackDistribution as an OGXServer; raises SpecError if the LLSD itself is invalid."""
    return _Converter(llsd, catalog).convert()


@dataclass
class DocumentsConversion:
    documents: list[dict[str, Any]]  # the file's documents, each LLSD replaced by its OGXServer
    conversions: list[Conversion]  # one per LLSD, in file order


def convert_documents(documents: list[dict[str, Any]], catalog: Catalog) -> DocumentsConversion:
    """A GitOps file: every LLSD converted, everything else kept, and the Secrets and ConfigMaps of
    the file that a converted CR reads labelled `ogx.io/watch: "true"` (OGX reads only those)."""
    out: list[dict[str, Any]] = []
    conversions = []
    for doc in documents:
        if doc.get("kind") == "LlamaStackDistribution" and str(doc.get("apiVersion", "")).startswith("llamastack.io/"):
            conversion = convert_llsd(doc, catalog)
            conversions.append(conversion)
            out.append(conversion.ogxserver)
        else:
            out.append(copy.deepcopy(doc))
    for conversion in conversions:
        namespace = conversion.ogxserver["metadata"].get("namespace")
        for kind, name in conversion.references:
            for doc in out:
                meta = doc.get("metadata") or {}
                if doc.get("kind") == kind and meta.get("name") == name and meta.get("namespace") in (None, namespace):
                    meta.setdefault("labels", {})[WATCH_LABEL] = "true"
                    doc["metadata"] = meta
    return DocumentsConversion(out, conversions)
