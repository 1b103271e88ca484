"""Which MCP servers a session may use: only the user's (config.toml, Python, `%spell mcp add`), never a spell's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import ApiError

_FIELDS = {"command", "args", "env", "cwd", "url", "timeout", "sampling_model"}


@dataclass(frozen=True)
class ServerSpec:
    """One server: a command to start over stdio, or the URL of a streamable HTTP endpoint."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    timeout: float | None = None  # seconds per call; default: the session's `mcp_timeout`
    sampling_model: str | None = None  # answers the server's sampling requests; default: the session's model

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ApiError(f"invalid MCP server name {self.name!r}: use letters, digits and underscores")
        if (self.command is None) == (self.url is None):
            raise ApiError(f"MCP server {self.name!r} needs either `command` (stdio) or `url` (streamable HTTP)")
        if self.url is not None and not str(self.url).startswith(("http://", "https://")):
            raise ApiError(f"MCP server {self.name!r}: url must start with http:// or https://, not {self.url!r}")
        if not all(isinstance(a, str) for a in self.args):
            raise ApiError(f"MCP server {self.name!r}: args must be strings")

    @property
    def transport(self) -> str:
        return "stdio" if self.command is not None else "http"

    def describe(self) -> dict[str, Any]:
        where = {"url": self.url} if self.url else {"command": self.command, "args": list(self.args)}
        return {"name": self.name, "transport": self.transport, **where}


def spec_from(name: str, values: dict[str, Any]) -> ServerSpec:
    """A ServerSpec from a `[mcp.servers.NAME]` table (or the keyword arguments of `session.mcp.add`)."""
    if not isinstance(values, dict):
        raise ApiError(f"[mcp.servers.{name}] must be a table")
    unknown = set(values) - _FIELDS
    if unknown:
        raise ApiError(f"[mcp.servers.{name}]: unknown field(s) {', '.join(sorted(unknown))}; "
                       f"known: {', '.join(sorted(_FIELDS))}")
    args = values.get("args") or ()
    if isinstance(args, str):
        raise ApiError(f"[mcp.servers.{name}]: args must be a list of strings")
    env = {str(k): str(v) for k, v in (values.get("env") or {}).items()}
    return ServerSpec(name, values.get("command"), tuple(args), env, values.get("cwd"), values.get("url"),
                      values.get("timeout"), values.get("sampling_model"))


def specs_from_config(mcp: dict[str, Any]) -> dict[str, ServerSpec]:
    """The servers of the config's `mcp` table (`[mcp.servers.NAME]`)."""
    if not isinstance(mcp, dict):
        raise ApiError("the `mcp` config setting must be a table")
    unknown = set(mcp) - {"servers"}
    if unknown:
        raise ApiError(f"[mcp]: unknown field(s) {', '.join(sorted(unknown))}; servers go in [mcp.servers.NAME]")
    return {name: spec_from(name, values) for name, values in (mcp.get("servers") or {}).items()}
