"""The API names of a server line: one table, from which every list of API names is built.

The CR keeps upstream's camelCase names (`vectorIo`); the config uses the server's own
(`vector_io`). llama-stack 0.7 renamed `agents` to `responses` and has no memory, telemetry or
post-training API. The schema's provider sections, its external-provider sections, `disabled`'s
valid names and the CR -> config mapping are all views of one `ApiTable`; another server line
(another release, another CRD) supplies its own table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Api:
    """One CR API key and what the server line makes of it."""

    cr_key: str  # spec.server.providers.<cr_key>, spec.server.disabled: [<cr_key>]
    config_key: str | None  # the config's key; None: the server line has no such API
    gone: str = ""  # why config_key is None, shown in the error or warning
    # Position under spec.server.externalProviders (also the order their init containers run);
    # None: not a section there.
    external_order: int | None = None


@dataclass(frozen=True)
class ApiTable:
    """The APIs of one server line, in the order providers are read from the CR and appended."""

    apis: tuple[Api, ...]

    @cached_property
    def cr_to_config(self) -> dict[str, str]:
        """CR key -> config key of every API the server has, in table order."""
        return {api.cr_key: api.config_key for api in self.apis if api.config_key is not None}

    @cached_property
    def removed(self) -> dict[str, str]:
        """CR key -> why the server line has no such API."""
        return {api.cr_key: api.gone for api in self.apis if api.config_key is None}

    @cached_property
    def provider_sections(self) -> tuple[str, ...]:
        """Every key spec.server.providers accepts (a removed API is refused with its reason)."""
        return tuple(api.cr_key for api in self.apis)

    @cached_property
    def disableable(self) -> list[str]:
        """The names spec.server.disabled accepts (a removed API is a warning there)."""
        return sorted(api.cr_key for api in self.apis)

    @cached_property
    def external_sections(self) -> dict[str, str | None]:
        """spec.server.externalProviders section -> config key (None: refused), in init container order."""
        ordered = sorted(
            (api for api in self.apis if api.external_order is not None), key=lambda a: a.external_order or 0
        )
        return {api.cr_key: api.config_key for api in ordered}


LLAMA_STACK_APIS = ApiTable(
    (
        Api("inference", "inference", external_order=1),
        Api("safety", "safety", external_order=2),
        Api("vectorIo", "vector_io", external_order=4),
        Api("toolRuntime", "tool_runtime", external_order=8),
        Api("agents", "responses", external_order=3),
        Api("files", "files"),
        Api("fileProcessors", "file_processors"),
        Api("batches", "batches"),
        Api("datasetio", "datasetio"),
        Api("datasetIo", "datasetio", external_order=5),
        Api("scoring", "scoring", external_order=6),
        Api("eval", "eval", external_order=7),
        Api("memory", None, gone="replaced by vector_io (vectorIo) and the file_search tool"),
        Api("telemetry", None, gone="telemetry is configured through OpenTelemetry env vars, not a provider"),
        Api("postTraining", None, gone="post-training was removed from llama-stack", external_order=9),
    )
)

# OGX 1.5 (OGXServer): the APIs upstream's `spec.providers` types, CR key -> config key. OGX has
# no safety, eval, scoring or datasetio (an OGXServer cannot name them); its interactions,
# messages and skills APIs come from the base config and take no providers from the CR.
OGX_APIS = ApiTable(
    (
        Api("inference", "inference"),
        Api("vectorIo", "vector_io"),
        Api("toolRuntime", "tool_runtime"),
        Api("files", "files"),
        Api("batches", "batches"),
        Api("responses", "responses"),
        Api("fileProcessors", "file_processors"),
    )
)

# The LLSD schema's `disabled` names.
DISABLEABLE = LLAMA_STACK_APIS.disableable
