"""`Tool`: register tools (in any engine) and call them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from .spec import HandleType, Namespace, api

if TYPE_CHECKING:  # the runtime module loads when a spell first uses it
    from ..runtime.tools import Tool


class ToolApi(Namespace):
    """Tools: named functions with a JSON schema for their arguments, callable by agents."""

    api_name = "Tool"

    @api(example=("Tool", {"name": "shout", "description": "Upper-case a text",
                            "params": {"type": "object", "properties": {"text": {"type": "string"}}},
                            "fn": "<fn>"}))
    def register(self, definition: dict[str, Any]) -> Tool:
        """Register a tool: `name`, `description`, `params` (a JSON schema object), `fn(args)`. Returns a handle.

        With `approve = true`, an agent's call of the tool first asks the user (see Agent.create's `approve`).
        """
        if not isinstance(definition, dict):
            raise ApiError("Tool.register(def): def must be a map with name, description, params and fn")
        unknown = set(definition) - {"name", "description", "params", "fn", "approve"}
        if unknown:
            raise ApiError(f"Tool.register: unknown field(s) {', '.join(sorted(unknown))}")
        return self.session.tools.register(definition.get("name"), definition.get("fn"),
                                           definition.get("description") or "", definition.get("params") or None,
                                           definition.get("approve", False))

    @api(blocking=True, example=("Tool", "calculator", {"expression": "6*7"}))
    def call(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Validate `args` against the tool's schema, then run it. A bad argument names the field."""
        return self.session.tools.call(name, {} if args in (None, []) else args)

    @api(example=("Tool",))
    def list(self) -> list[str]:
        """The names of every tool, built-in and registered, sorted."""
        return self.session.tools.names()

    @api(example=("Tool", "calculator"))
    def info(self, name: str) -> dict[str, Any]:
        """A tool's name, description, params schema, and whether agents' calls need approval."""
        return self.session.tools.get(name).info()


class ToolMethods(HandleType):
    """A tool handle, as `Tool.register` returns it."""

    api_name = "ToolHandle"
    wraps = "llmspell_kernel.runtime.tools:Tool"

    @api(blocking=True, example=("tool", {"text": "hi"}))
    def call(self, tool: Tool, args: dict[str, Any] | None = None) -> Any:
        """Run this tool with `args`, validated against its schema."""
        return self.session.tools.call(tool.name, {} if args in (None, []) else args)

    @api(property=True, example=("tool",))
    def name(self, tool: Tool) -> str:
        """The tool's name."""
        return tool.name
