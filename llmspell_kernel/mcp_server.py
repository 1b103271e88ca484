"""A session's tools and agents served over MCP: `llmspell mcp serve` (stdio, or streamable HTTP).

Every registered tool (built-in, Python, or a script function in any engine, restored from a named session's
store) is an MCP tool with its JSON schema, and every agent is a tool `agent.NAME` taking a `prompt`. A call
runs through the session's registry, so it is a `tool.call` span (or an `agent.*` span) in the session's events,
stored with a named session. The tools of MCP servers the session itself uses are not served again.
"""

from __future__ import annotations

import json
from typing import Any

from . import __version__
from .errors import ApiError, SpellError
from .runtime.context import acting_as

AGENT_PREFIX = "agent."
_PROMPT_SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string", "description": "The request"}},
                  "required": ["prompt"], "additionalProperties": False}


def served_tools(session: Any) -> list[dict[str, Any]]:
    """What the server lists: `{name, description, params}` per tool and agent."""
    tools = [session.tools.get(name).info() for name in session.tools.names(sources=False)]
    for name in session.agents.names():
        agent = session.agents.get(name)
        tools.append({"name": AGENT_PREFIX + name, "params": _PROMPT_SCHEMA,
                      "description": f"Ask the agent {name!r} (model {agent.effective_model}): {agent.system or ''}"
                      .rstrip(": ")})
    return tools


def call_served(session: Any, name: str, args: dict[str, Any]) -> Any:
    """Run a served tool or agent as the session does (validation, events); raises a SpellError on failure."""
    with acting_as(engine="mcp", chunk="mcp-client"):
        if name.startswith(AGENT_PREFIX):
            agent = session.agents.get(name[len(AGENT_PREFIX):])
            prompt = args.get("prompt")
            if not isinstance(prompt, str):
                raise ApiError(f"{name}: the argument `prompt` must be a string")
            return agent.run(prompt)
        if "." in name:  # the session's own MCP tools stay its own
            raise ApiError(f"unknown tool {name!r}")
        return session.tools.call(name, args)


def build_server(session: Any) -> Any:
    """An mcp lowlevel Server over `session`."""
    import anyio
    from mcp import types
    from mcp.server.lowlevel import Server

    async def list_tools(context: Any, params: Any) -> types.ListToolsResult:
        found = await anyio.to_thread.run_sync(served_tools, session)
        return types.ListToolsResult(tools=[
            types.Tool(name=t["name"], description=t["description"] or None, input_schema=t["params"]) for t in found])

    async def call_tool(context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            value = await anyio.to_thread.run_sync(call_served, session, params.name, params.arguments or {})
        except SpellError as exc:
            return _error(types, exc.message)
        except Exception as exc:
            return _error(types, f"{type(exc).__name__}: {exc}")
        text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
        structured = value if isinstance(value, dict) else None
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                    structured_content=structured)

    return Server("llmspell", version=__version__, on_list_tools=list_tools, on_call_tool=call_tool)


def _error(types: Any, message: str) -> Any:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def serve_stdio(session: Any) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(session)

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


def serve_http(session: Any, host: str, port: int) -> None:
    import uvicorn

    app = build_server(session).streamable_http_app(host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")
