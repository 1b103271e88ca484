"""The in-memory backend: what an unnamed session uses. It keeps nothing beyond the process."""

from __future__ import annotations

from collections import deque
from typing import Any


class MemoryStore:
    name = "memory"

    def __init__(self) -> None:
        self._changes: list[dict[str, Any]] = []
        self._events: deque[dict[str, Any]] = deque(maxlen=100_000)
        self._agents: dict[str, dict[str, Any]] = {}

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

    def close(self) -> None:
        pass
