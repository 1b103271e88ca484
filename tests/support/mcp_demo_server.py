"""A small MCP server for the tests, written with the mcp package: `python mcp_demo_server.py [stdio|http PORT]`.

Its tools cover what the client must handle: a plain result, structured data, an error, a crash of the whole
process, a slow call (timeouts and the stop button), a sampling request and an elicitation.
"""

from __future__ import annotations

import os
import sys
import time

from mcp import types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

server = MCPServer("demo")


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def fail(message: str) -> str:
    """Always fails with the message."""
    raise ToolError(message)


@server.tool()
def crash() -> str:
    """Ends the server process at once, as a crashing server would."""
    os._exit(3)


@server.tool()
def pid() -> int:
    """The server's process id (tells a restart from a reuse)."""
    return os.getpid()


@server.tool()
def slow(seconds: float) -> str:
    """Sleep, then answer."""
    time.sleep(seconds)
    return "done"


@server.tool()
async def summarize(text: str, ctx: Context) -> str:
    """Ask the client's model to summarize (a sampling request)."""
    result = await ctx.session.create_message(
        messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text=text))],
        max_tokens=50)
    return f"summary: {result.content.text}"


class Name(BaseModel):
    name: str


@server.tool()
async def greet(ctx: Context) -> str:
    """Ask the user for a name (an elicitation)."""
    answer = await ctx.elicit("Your name?", Name)
    return f"hello {answer.data.name}" if answer.action == "accept" else f"no name ({answer.action})"


@server.resource("demo://motto")
def motto() -> str:
    """A fixed text."""
    return "spells all the way down"


@server.prompt()
def review(code: str) -> str:
    """Ask for a review of some code."""
    return f"Please review:\n{code}"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
