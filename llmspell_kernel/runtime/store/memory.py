"""The in-memory backend: what an unnamed session uses. It keeps nothing beyond the process."""

from __future__ import annotations

from collections import deque
from typing import Any

from .base import decode, encode


class MemoryStore:
    name = "memory"

    def __init__(self) -> None:
        self._changes: list[dict[str, Any]] = []
        self._events: deque[dict[str, Any]] = deque(maxlen=100_000)
        self._agents: dict[str, dict[str, Any]] = {}
        self._tools: dict[str, dict[str, Any]] = {}
        self._checkpoints: dict[str, str] = {}  # kept encoded, as a persistent backend would: no shared objects

    def load_changes(self) -> list[dict[str, Any]]:
        return list(self._changes)

    def save_change(self, change: dict[str, Any]) -> None:
        self._changes.append(change)

    def load_events(self, limit: int) -> list[dict[str, Any]]:
        return list(self._events)[-limit:] if limit > 0 else []

    def save_event(self, event: dict[str, Any]) -> None:
        self._events.append(event)

    def load_agents(self) -> list[dict[str, Any]]:
        return list(self._agents.values())

    def save_agent(self, record: dict[str, Any]) -> None:
        self._agents[record["name"]] = record

    def delete_agent(self, name: str) -> None:
        self._agents.pop(name, None)

    def load_tools(self) -> list[dict[str, Any]]:
        return [self._tools[name] for name in sorted(self._tools)]

    def save_tool(self, record: dict[str, Any]) -> None:
        self._tools[record["name"]] = record

    def delete_tool(self, name: str) -> None:
        self._tools.pop(name, None)

    def load_checkpoint(self, run_id: str) -> dict[str, Any] | None:
        return decode(self._checkpoints.get(run_id))

    def save_checkpoint(self, record: dict[str, Any]) -> None:
        self._checkpoints[record["run_id"]] = encode(record)

    def list_checkpoints(self) -> list[dict[str, Any]]:
        return sorted((decode(text) for text in self._checkpoints.values()), key=lambda r: r["time"])

    def close(self) -> None:
        pass
