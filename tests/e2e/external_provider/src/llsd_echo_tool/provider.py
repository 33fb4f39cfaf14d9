"""llama-stack imports `<module>.provider` and calls get_provider_spec() for a `module:` entry."""

from llama_stack_api import Api, RemoteProviderSpec


def get_provider_spec() -> RemoteProviderSpec:
    return RemoteProviderSpec(
        api=Api.tool_runtime,
        adapter_type="llsd-echo",
        provider_type="remote::llsd-echo",
        module="llsd_echo_tool",
        config_class="llsd_echo_tool.config.EchoToolConfig",
        pip_packages=[],
        # The group whose `web_search` tool the Responses API calls: the server registers it for
        # this provider at startup, so a request with a web_search tool is routed here.
        toolgroup_id="builtin::websearch",
        description="Answers web_search with '<prefix>: <query>' (llsd-hook E2E test provider).",
    )
