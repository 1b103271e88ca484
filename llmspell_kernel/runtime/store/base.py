"""The backend interface, and the JSON codec every persistent backend shares."""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol

SCHEMA_VERSION = 3


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


def encode(value: Any) -> str:
    """JSON text for a stored value; bytes survive as {"__bytes__": base64}, anything else as text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def decode(text: str | None) -> Any:
    return None if text is None else json.loads(text, object_hook=_bytes_hook)


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    to_map = getattr(value, "to_map", None)  # a State value inside an event's data
    return to_map() if callable(to_map) else str(value)


def _bytes_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    return obj
