"""What the API table's examples expect of the world they run in, beyond a fresh session."""

from __future__ import annotations

import sys
from pathlib import Path

DEMO_SERVER = Path(__file__).resolve().parent / "mcp_demo_server.py"


def prepare(session, fn) -> None:
    """Configure what `fn`'s example names: the Mcp examples name the tests' MCP server, added as a user would."""
    if fn.owner == "Mcp":
        session.mcp.add("demo", sys.executable, [str(DEMO_SERVER)])
