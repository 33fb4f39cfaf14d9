"""The API table: every list of API names is a view of it, and it matches llama-stack's registry."""

from __future__ import annotations

from generator import LLAMA_STACK, OGX
from generator.apis import LLAMA_STACK_APIS
from generator.catalog import load_data
from generator.schema import LLSDSpecSchema


def test_the_table_has_exactly_the_provider_apis_of_the_pinned_llama_stack():
    """A llama-stack upgrade that adds or drops an API (make data) fails here until the table follows."""
    assert set(LLAMA_STACK_APIS.cr_to_config.values()) == set(load_data(LLAMA_STACK, "providers.yaml")["apis"])


def test_every_ogx_api_the_table_names_is_in_the_pinned_ogx():
    """OGX's own APIs beyond the table (interactions, messages, skills) take no providers from a CR."""
    assert set(OGX.apis.cr_to_config.values()) <= set(load_data(OGX, "providers.yaml")["apis"])


def test_the_schema_sections_are_the_tables():
    server = LLSDSpecSchema().fields["server"].nested
    providers = server().fields["providers"].nested
    external = server().fields["externalProviders"].nested
    assert list(providers().fields) == list(LLAMA_STACK_APIS.provider_sections)
    assert list(external().fields) == ["volumeSizeLimit", *LLAMA_STACK_APIS.external_sections]
    assert set(LLAMA_STACK_APIS.disableable) == set(LLAMA_STACK_APIS.provider_sections)


def test_removed_apis_say_why_and_have_no_config_key():
    assert set(LLAMA_STACK_APIS.removed) == {"memory", "telemetry", "postTraining"}
    assert all(LLAMA_STACK_APIS.removed.values())
    assert LLAMA_STACK_APIS.external_sections["postTraining"] is None
