"""`Mcp`: the resources and prompts of the user's MCP servers (their tools are `SERVER.TOOL` in `Tool`).

A spell reads what the configured servers offer; it cannot add a server or start a process: servers are the
user's choice (config.toml, `%spell mcp add`, `session.mcp.add` in Python).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .spec import Namespace, api


class McpApi(Namespace):
    """MCP servers the user configured: their tools (as `Tool`s named `SERVER.TOOL`), resources and prompts."""

    api_name = "Mcp"

    @api(example=("Mcp",))
    def servers(self) -> list[dict[str, Any]]:
        """The configured servers: `[{name, transport, command, args | url, running}]`. Starts none."""
        return self.session.mcp.describe()

    @api(blocking=True, example=("Mcp", "demo"))
    def tools(self, server: str) -> list[str]:
        """A server's tools, named `SERVER.TOOL` as `Tool.call` and agents take them (starts the server)."""
        return self.session.mcp.tools(_name(server))

    @api(blocking=True, example=("Mcp", "demo"))
    def resources(self, server: str) -> list[dict[str, Any]]:
        """A server's resources: `[{uri, name, description?, mime_type?}]`."""
        return self.session.mcp.resources(_name(server))

    @api(blocking=True, example=("Mcp", "demo", "demo://motto"))
    def resource(self, server: str, uri: str) -> Any:
        """Read a resource: its text, or a list of `{uri, mime_type, text | bytes}` for other contents."""
        if not isinstance(uri, str):
            raise ApiError("Mcp.resource(server, uri): uri must be a string")
        return self.session.mcp.resource(_name(server), uri)

    @api(blocking=True, example=("Mcp", "demo"))
    def prompts(self, server: str) -> list[dict[str, Any]]:
        """A server's prompts: `[{name, description?, arguments = [{name, required?}]}]`."""
        return self.session.mcp.prompts(_name(server))

    @api(blocking=True, example=("Mcp", "demo", "review", {"code": "x = 1"}))
    def prompt(self, server: str, name: str, args: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A prompt filled with `args`: `[{role, content}]` messages, ready for `LLM.chat`."""
        if not isinstance(name, str):
            raise ApiError("Mcp.prompt(server, name, args?): name must be a string")
        if args not in (None, []) and not isinstance(args, dict):
            raise ApiError("Mcp.prompt(server, name, args?): args must be a map")
        return self.session.mcp.prompt(_name(server), name, args or {})


def _name(server: Any) -> str:
    if not isinstance(server, str):
        raise ApiError(f"an MCP server is named by a string, not {type(server).__name__}")
    return server
