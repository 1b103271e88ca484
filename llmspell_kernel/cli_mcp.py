"""`llmspell mcp`: serve a session's tools and agents over MCP (loaded only when used)."""

from __future__ import annotations

import sys

import click

from .errors import SpellError


@click.group()
def mcp() -> None:
    """The Model Context Protocol: serve this session's tools and agents."""


@mcp.command("serve")
@click.option("--session", "session_name", metavar="NAME", help="serve this named, persisted session")
@click.option("--http", "http", metavar="HOST:PORT",
              help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (e.g. 127.0.0.1:8765)")
@click.option("--offline", is_flag=True, default=None, help="send every model to the mock provider")
def serve(session_name: str | None, http: str | None, offline: bool | None) -> None:
    """Serve the session's tools (built-in, Python and script tools) and its agents (`agent.NAME`)."""
    from .mcp_server import serve_http, serve_stdio
    from .runtime.session import Session

    address = _address(http) if http else None
    try:
        with Session(session=session_name, offline=offline) as session:
            if address is None:
                serve_stdio(session)
            else:
                click.echo(f"serving MCP at http://{address[0]}:{address[1]}/mcp", err=True)
                serve_http(session, *address)
    except SpellError as exc:
        click.echo("\n".join(exc.render()), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        return


def _address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}", param_hint="--http")
    return host or "127.0.0.1", int(port)
