"""The one table of the spell API, and its binding to a session.

Everything an engine binds, the kernel completes and the docs describe comes
from `NAMESPACES`, `HANDLES` and `ALIASES` below.
"""

from __future__ import annotations

from typing import Any

from .agents import AgentApi, AgentMethods
from .artifacts import ArtifactApi
from .events import EventApi
from .files import FsApi
from .llm import LLMApi, PromptApi
from .mcp import McpApi
from .misc import AsyncApi, DisplayApi, FutureMethods, GlobalsApi, JsonApi, SpellApi
from .spec import Alias, ApiFunction, HandleType, Namespace, type_key
from .state import StateApi, StateValueMethods, StateViewMethods
from .tools import ToolApi, ToolMethods
from .widgets import WidgetMethods
from .workflows import WorkflowApi, WorkflowMethods

NAMESPACES: list[type[Namespace]] = [
    AgentApi, ToolApi, StateApi, ArtifactApi, EventApi, WorkflowApi, LLMApi, PromptApi, FsApi, JsonApi, DisplayApi,
    SpellApi, AsyncApi, McpApi, GlobalsApi,
]
HANDLES: list[type[HandleType]] = [
    AgentMethods, ToolMethods, WorkflowMethods, StateViewMethods, StateValueMethods, FutureMethods, WidgetMethods,
]
ALIASES: list[Alias] = [
    Alias("agent", "Agent"),
    Alias("tools", "Tool", {"list": "list", "execute": "call", "register": "register", "info": "info"}),
    Alias("state", "State"),
    Alias("llm", "LLM"),
]


def namespace(name: str) -> type[Namespace]:
    for ns in NAMESPACES:
        if ns.api_name == name:
            return ns
    raise KeyError(name)


def alias_functions(alias: Alias) -> dict[str, ApiFunction]:
    """The functions an alias global offers, under their alias names."""
    target = namespace(alias.target).functions()
    if not alias.names:
        return dict(target)
    return {short: target[full] for short, full in alias.names.items()}


def global_names() -> list[str]:
    """Every global the API defines, in every engine."""
    names = [ns.api_name for ns in NAMESPACES if ns.api_name]
    names += list(GlobalsApi.functions())
    names += [a.name for a in ALIASES]
    return names


class BoundApi:
    """The API table bound to one session: namespace instances and handle dispatch."""

    def __init__(self, session: Any) -> None:
        self.namespaces: dict[str, Namespace] = {ns.api_name: ns(session) for ns in NAMESPACES}
        self.handles: dict[str, HandleType] = {h.wraps: h(session) for h in HANDLES}
        self._by_type: dict[type, HandleType | None] = {}

    def handle_type(self, value: Any) -> HandleType | None:
        """The handle type that exposes `value`, or None for a plain value."""
        cls = type(value)
        try:
            return self._by_type[cls]
        except KeyError:
            keys = (type_key(base) for base in cls.__mro__)
            found = next((self.handles[key] for key in keys if key in self.handles), None)
            self._by_type[cls] = found
            return found
