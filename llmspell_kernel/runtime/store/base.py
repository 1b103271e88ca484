"""The backend interface, and the JSON codec every persistent backend shares."""

from __future__ import annotations

import base64
import json
import math
from typing import Any, Protocol

SCHEMA_VERSION = 4  # 4: bytes and maps holding TAG are tagged (see encode)


class StoreBackend(Protocol):
    """What a session persists. A backend must make `save_change` durable before it returns."""

    name: str

    def load_changes(self) -> list[dict[str, Any]]:
        """Every state change, oldest first: {version, scope, key, op, old, new, author, time}."""

    def save_change(self, change: dict[str, Any]) -> None:
        """Append one state change (its version is one more than the last)."""

    def load_events(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` events, oldest first, as `Event.to_dict()` gave them."""

    def save_event(self, event: dict[str, Any]) -> None:
        """Append one event."""

    def load_agents(self) -> list[dict[str, Any]]:
        """Every saved agent: {name, definition, conversation, usage}."""

    def save_agent(self, record: dict[str, Any]) -> None:
        """Create or replace an agent's record."""

    def delete_agent(self, name: str) -> None:
        """Forget an agent."""

    def load_tools(self) -> list[dict[str, Any]]:
        """Every saved tool: {name, description, params, engine, source}."""

    def save_tool(self, record: dict[str, Any]) -> None:
        """Create or replace a tool's record."""

    def delete_tool(self, name: str) -> None:
        """Forget a tool."""

    def load_checkpoint(self, run_id: str) -> dict[str, Any] | None:
        """A checkpointed workflow run: {run_id, workflow, input, done, status, ...}; None if unknown."""

    def save_checkpoint(self, record: dict[str, Any]) -> None:
        """Create or replace a run's checkpoint; durable before it returns."""

    def list_checkpoints(self) -> list[dict[str, Any]]:
        """Every checkpointed run, oldest first."""

    def close(self) -> None:
        """Release the backend (flush what is pending)."""


class SharedBackend(StoreBackend, Protocol):
    """A backend several processes write at once (`shared = True`): it also answers what changed since."""

    shared: bool

    def changes_since(self, count: int) -> list[dict[str, Any]]:
        """The changes after the first `count`, oldest first (what other processes committed)."""

    def commit(self, change: dict[str, Any]) -> bool:
        """Append `change` as its version; False when another process took that version first."""

    def follow_events(self, receive: Any) -> None:
        """Hand every event other processes save to `receive`, from a thread of its own."""

    def load_agent(self, name: str) -> dict[str, Any] | None:
        """One agent's record, as another process may have saved it after this one started."""

    def agent_names(self) -> list[str]:
        """The names of every saved agent, sorted."""

    def load_tool(self, name: str) -> dict[str, Any] | None:
        """One tool's record, as another process may have saved it after this one started."""

    def tool_names(self) -> list[str]:
        """The names of every saved tool, sorted."""


TAG = "__llmspell__"  # the one key our own JSON objects carry; a user map holding it is escaped


def encode(value: Any) -> str:
    """Standard JSON text for a stored value.

    Bytes become {TAG: "bytes", "base64": ...}; a user map that holds TAG as a key becomes
    {TAG: "map", "items": [[key, value], ...]}, so no user value ever reads back as something
    else. NaN and infinities (JSON has none) become the strings "NaN", "Infinity", "-Infinity";
    state refuses them before this (`runtime/state.py`), so only event data meets this.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=False)
    except ValueError:  # a non-finite float somewhere: the rare path walks the value
        return encode(_tagged(value))
    if f'"{TAG}"' in text:  # bytes, or a user map with our key: the rare path walks the value
        return json.dumps(_tagged(value), ensure_ascii=False, separators=(",", ":"), default=_default)
    return text


def decode(text: str | None, *, legacy: bool = False) -> Any:
    """The value `encode` wrote; `legacy` reads the format before schema 4, where {"__bytes__": b64} was bytes."""
    if text is None:
        return None
    return json.loads(text, object_hook=_legacy_hook if legacy else _hook)


def _tagged(value: Any) -> Any:
    """`value` with bytes, user maps holding TAG and non-finite floats in their tagged forms."""
    if isinstance(value, dict):
        items = {key: _tagged(item) for key, item in value.items()}
        return {TAG: "map", "items": [list(pair) for pair in items.items()]} if TAG in items else items
    if isinstance(value, (list, tuple)):
        return [_tagged(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return {TAG: "bytes", "base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    to_map = getattr(value, "to_map", None)
    return _tagged(to_map()) if callable(to_map) else value


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return _tagged(value)
    to_map = getattr(value, "to_map", None)  # a State value inside an event's data
    return to_map() if callable(to_map) else str(value)


def _hook(obj: dict[str, Any]) -> Any:
    kind = obj.get(TAG)
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    if kind == "map":
        return dict(obj["items"])
    return obj


def _legacy_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    return obj
