"""MCP servers as tools: the user's configured servers, started on first use.

`config.py` reads the server list, `bridge.py` runs the mcp package's asyncio code on one loop thread per
session, `client.py` keeps one connection per server and `pool.py` offers them to the tool registry. The mcp
package itself is imported only when a server starts.
"""

from .config import ServerSpec
from .pool import McpServers

__all__ = ["McpServers", "ServerSpec"]
