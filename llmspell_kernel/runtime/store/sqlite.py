"""The SQLite backend: one file per named session, WAL mode, a schema version with migrations.

A state change is committed before `State.set` returns (synchronous=NORMAL in WAL mode: a
process crash loses nothing committed; only a power cut may lose the last transactions).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from ...errors import ApiError
from .base import SCHEMA_VERSION, decode, encode

# MIGRATIONS[n] takes the schema from version n to n + 1
MIGRATIONS = [
    """
    CREATE TABLE changes (version INTEGER PRIMARY KEY, scope TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL,
                          old TEXT, new TEXT, author TEXT NOT NULL, time REAL NOT NULL);
    CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
                         time REAL NOT NULL, source TEXT, engine TEXT, parent_id TEXT, duration REAL, data TEXT);
    CREATE INDEX events_type ON events(type);
    """,
    """
    CREATE TABLE agents (name TEXT PRIMARY KEY, definition TEXT NOT NULL, conversation TEXT NOT NULL,
                         usage TEXT NOT NULL);
    """,
    """
    CREATE TABLE tools (name TEXT PRIMARY KEY, record TEXT NOT NULL);
    CREATE TABLE checkpoints (run_id TEXT PRIMARY KEY, record TEXT NOT NULL, time REAL NOT NULL);
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


class SQLiteStore:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()

    def _migrate(self) -> None:
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise ApiError(f"{self.path} was written by a newer llmspell (schema {current}, this one knows "
                           f"{SCHEMA_VERSION}); upgrade llmspell-kernel to open it")
        for version in range(current, SCHEMA_VERSION):
            self._db.executescript(f"BEGIN; {MIGRATIONS[version]} PRAGMA user_version = {version + 1}; COMMIT;")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._db.execute("PRAGMA user_version").fetchone()[0]

    def load_changes(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT version, scope, key, op, old, new, author, time FROM changes ORDER BY version").fetchall()
        return [{"version": v, "scope": s, "key": k, "op": op, "old": decode(old), "new": decode(new),
                 "author": decode(author), "time": t} for v, s, k, op, old, new, author, t in rows]

    def save_change(self, change: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO changes (version, scope, key, op, old, new, author, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (change["version"], change["scope"], change["key"], change["op"], encode(change["old"]),
                 encode(change["new"]), encode(change["author"]), change["time"]))

    def load_events(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, type, time, source, engine, parent_id, duration, data FROM events "
                "ORDER BY seq DESC LIMIT ?", (max(0, limit),)).fetchall()
        return [_event(row) for row in reversed(rows)]

    def save_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO events (id, type, time, source, engine, parent_id, duration, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (event["id"], event["type"], event["time"], event["source"], event.get("engine"),
                 event.get("parent_id"), event.get("duration"), encode(event["data"])))

    def load_agents(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT name, definition, conversation, usage FROM agents ORDER BY name").fetchall()
        return [{"name": name, "definition": decode(definition), "conversation": decode(conversation),
                 "usage": decode(usage)} for name, definition, conversation, usage in rows]

    def save_agent(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO agents (name, definition, conversation, usage) VALUES (?, ?, ?, ?)",
                (record["name"], encode(record["definition"]), encode(record["conversation"]), encode(record["usage"])))

    def delete_agent(self, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM agents WHERE name = ?", (name,))

    def load_tools(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT record FROM tools ORDER BY name").fetchall()
        return [decode(record) for (record,) in rows]

    def save_tool(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO tools (name, record) VALUES (?, ?)",
                             (record["name"], encode(record)))

    def delete_tool(self, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM tools WHERE name = ?", (name,))

    def load_checkpoint(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM checkpoints WHERE run_id = ?", (run_id,)).fetchone()
        return decode(row[0]) if row else None

    def save_checkpoint(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO checkpoints (run_id, record, time) VALUES (?, ?, ?)",
                             (record["run_id"], encode(record), record["time"]))

    def list_checkpoints(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT record FROM checkpoints ORDER BY time").fetchall()
        return [decode(record) for (record,) in rows]

    def events_after(self, seq: int) -> list[tuple[int, dict[str, Any]]]:
        """Events saved after the row `seq`, with their row numbers (to follow a live session)."""
        with self._lock:
            rows = self._db.execute("SELECT seq, id, type, time, source, engine, parent_id, duration, data FROM events "
                                    "WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
        return [(row[0], _event(row[1:])) for row in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            versions = self._db.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
            events = self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        return {"versions": versions, "events": events}

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _event(row: tuple) -> dict[str, Any]:
    event_id, kind, when, source, engine, parent, duration, data = row
    event = {"id": event_id, "type": kind, "time": when, "source": source, "engine": engine, "parent_id": parent,
             "data": decode(data)}
    if duration is not None:
        event["duration"] = duration
    return event
