"""An external llama-stack tool_runtime provider used by the E2E suite."""

from typing import Any

from llsd_echo_tool.config import EchoToolConfig


async def get_adapter_impl(config: EchoToolConfig, _deps: Any) -> Any:
    from llsd_echo_tool.runtime import EchoToolRuntime

    impl = EchoToolRuntime(config)
    await impl.initialize()
    return impl
