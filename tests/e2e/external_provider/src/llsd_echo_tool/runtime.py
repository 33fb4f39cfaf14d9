from typing import Any

from llama_stack_api import (
    URL,
    ListToolDefsResponse,
    ToolDef,
    ToolGroup,
    ToolGroupsProtocolPrivate,
    ToolInvocationResult,
    ToolRuntime,
)

from llsd_echo_tool.config import EchoToolConfig


class EchoToolRuntime(ToolGroupsProtocolPrivate, ToolRuntime):
    def __init__(self, config: EchoToolConfig) -> None:
        self.config = config

    async def initialize(self) -> None:
        pass

    async def register_toolgroup(self, toolgroup: ToolGroup) -> None:
        pass

    async def unregister_toolgroup(self, toolgroup_id: str) -> None:
        return

    async def list_runtime_tools(
        self, tool_group_id: str | None = None, mcp_endpoint: URL | None = None, authorization: str | None = None
    ) -> ListToolDefsResponse:
        return ListToolDefsResponse(
            data=[
                ToolDef(
                    name="web_search",
                    description="Search (answers with the query echoed back)",
                    input_schema={
                        "type": "object",
                        "properties": {"query": {"type": "string", "description": "what to search for"}},
                        "required": ["query"],
                    },
                )
            ]
        )

    async def invoke_tool(
        self, tool_name: str, kwargs: dict[str, Any], authorization: str | None = None
    ) -> ToolInvocationResult:
        return ToolInvocationResult(content=f"{self.config.prefix}: {kwargs.get('query', '')}")
