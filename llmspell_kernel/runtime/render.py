"""How values look: a text form for terminals, and a MIME bundle for notebooks."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from .state import StateValue, StateView

if TYPE_CHECKING:
    from .agents import Agent


def _is_agent(value: Any) -> bool:
    """An Agent exists only once its module is loaded, and rendering never loads it."""
    agents = sys.modules.get(f"{__package__}.agents")
    return agents is not None and isinstance(value, agents.Agent)


def _default(value: Any) -> Any:
    if isinstance(value, StateValue):
        return value.to_map()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return describe(value)


def describe(value: Any) -> str:
    """A one-line summary of a handle (agents, states, futures, functions)."""
    if _is_agent(value):
        return f"<Agent {value.name} ({value.effective_model}), tools: {', '.join(value.tools) or 'none'}>"
    if isinstance(value, StateValue):
        return f"<State v{value.version} keys: {', '.join(value.keys()) or 'none'}>"
    if isinstance(value, StateView):
        return f"<State scope {value.scope or 'root'}>"
    summary = getattr(value, "summary", None)
    if callable(summary) and getattr(type(value), "_repr_mimebundle_", None) is not None:
        return repr(value)  # a session widget: its summary, since a terminal cannot show the widget
    name = getattr(value, "name", None)
    return f"<{type(value).__name__} {name}>" if isinstance(name, str) else f"<{type(value).__name__}>"


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=True, default=_default)


def as_text(value: Any) -> str:
    """Strings as they are, None as nothing, numbers and booleans as JSON, containers as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return repr(value)
    if isinstance(value, (bool, int, float, list, dict, tuple)):
        return to_json(value)
    return describe(value)


def agent_card(agent: Agent) -> str:
    """An agent as Markdown: name, model, tools and usage."""
    usage = agent.usage.to_dict()
    tools = ", ".join(f"`{t}`" for t in agent.tools) or "none"
    return (f"**Agent `{agent.name}`** · model `{agent.effective_model}` · tools: {tools}\n\n"
            "| calls | prompt tokens | completion tokens | cost |\n|---:|---:|---:|---:|\n"
            f"| {usage['calls']} | {usage['prompt_tokens']} | {usage['completion_tokens']} | ${usage['cost']:.4f} |")


def protocol_bundle(value: Any) -> dict[str, Any] | None:
    """The bundle of an object that speaks IPython's display protocol itself (a widget), or None."""
    if getattr(type(value), "_repr_mimebundle_", None) is None:
        return None
    bundle = value._repr_mimebundle_()
    if isinstance(bundle, tuple):  # (data, metadata), as anywidget returns it
        bundle = bundle[0]
    return dict(bundle) if bundle else None


def mime_bundle(value: Any, mime: str | None = None) -> dict[str, Any]:
    """The IPython display-protocol bundle for a value."""
    if mime is None:
        bundle = protocol_bundle(value)
        if bundle is not None:  # a widget returned or displayed from a spell renders as the widget
            bundle.setdefault("text/plain", describe(value))
            return bundle
    if mime in ("text/markdown", "text/html"):
        return {mime: str(value), "text/plain": str(value)}
    if _is_agent(value):
        return {"text/markdown": agent_card(value), "text/plain": describe(value)}
    if isinstance(value, StateValue):
        value = value.to_map()
    if mime == "application/json" or isinstance(value, (dict, list, tuple)):
        plain = json.loads(to_json(value, indent=None))
        data = plain if isinstance(plain, (dict, list)) else {"value": plain}
        return {"application/json": data, "text/plain": as_text(value)}
    return {"text/plain": as_text(value)}
