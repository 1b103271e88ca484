"""The SQLite backend: one file per named session, WAL mode, a schema version with migrations.

A state change is committed before `State.set` returns (synchronous=NORMAL in WAL mode: a
process crash loses nothing committed; only a power cut may lose the last transactions).

Several processes may use one file at once (two kernels, or two `llmspell run --session s`):
a change's version is the table's primary key, so of two writers of version N one commits and
the other is told (`commit` returns False), catches up (`changes_since`) and retries, as on
Redis. Writers wait for each other's lock up to BUSY_TIMEOUT. `PRAGMA data_version` tells a
reader cheaply whether another process committed anything since it last looked.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import ApiError
from .base import SCHEMA_VERSION, decode, encode

BUSY_TIMEOUT = 120.0  # seconds a writer waits for another process's write lock (a loaded machine is slow)
FOLLOW_INTERVAL = 0.25  # seconds between looks for other processes' events


def _retag(db: sqlite3.Connection) -> None:
    """Schema 4 tags bytes so no user map can collide: rewrite the values stored with the old tag."""
    columns = {"changes": ("old", "new", "author"), "events": ("data",),
               "agents": ("definition", "conversation", "usage"), "tools": ("record",), "checkpoints": ("record",)}
    for table, names in columns.items():
        for column in names:
            rows = db.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} LIKE ?", ('%"__bytes__"%',))
            for rowid, text in rows.fetchall():
                retagged = encode(decode(text, legacy=True))
                db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (retagged, rowid))

# MIGRATIONS[n] takes the schema from version n to n + 1: SQL, or a function of the connection
MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
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
    _retag,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


class SQLiteStore:
    name = "sqlite"
    shared = True  # other processes may write the same file: reads catch up, commits check the version

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._seen: int | None = None  # PRAGMA data_version when `changes_since` last read the table
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()

    def _migrate(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")  # one process migrates; another waits, then finds it done
        try:
            current = self._db.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise ApiError(f"{self.path} was written by a newer llmspell (schema {current}, this one knows "
                               f"{SCHEMA_VERSION}); upgrade llmspell-kernel to open it")
            for version in range(current, SCHEMA_VERSION):
                step = MIGRATIONS[version]
                if callable(step):
                    step(self._db)
                else:
                    for statement in step.split(";"):  # executescript would commit the open transaction
                        if statement.strip():
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._db.execute("PRAGMA user_version").fetchone()[0]

    def load_changes(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT version, scope, key, op, old, new, author, time FROM changes ORDER BY version").fetchall()
        return [_change(row) for row in rows]

    def changes_since(self, count: int) -> list[dict[str, Any]]:
        """The changes after the first `count` (what other processes committed), oldest first."""
        with self._lock:
            seen = self._db.execute("PRAGMA data_version").fetchone()[0]  # before the read: a later commit shows
            if seen == self._seen:  # no other connection committed since the last look: we know every change
                return []
            rows = self._db.execute("SELECT version, scope, key, op, old, new, author, time FROM changes "
                                    "WHERE version > ? ORDER BY version", (count,)).fetchall()
            self._seen = seen
        return [_change(row) for row in rows]

    def commit(self, change: dict[str, Any]) -> bool:
        """Append `change` as its version; False when another process took that version first."""
        row = (change["version"], change["scope"], change["key"], change["op"], encode(change["old"]),
               encode(change["new"]), encode(change["author"]), change["time"])
        with self._lock:
            try:
                self._db.execute("INSERT INTO changes (version, scope, key, op, old, new, author, time) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            except sqlite3.IntegrityError:  # the primary key: that version exists
                return False
        return True

    def save_change(self, change: dict[str, Any]) -> None:
        if not self.commit(change):
            raise ApiError(f"state version {change['version']} was already written by another process")

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

    def follow_events(self, receive: Callable[[dict[str, Any]], None]) -> None:
        """Call `receive(event)` from a thread of its own for each event saved from now on (ours included)."""
        with self._lock:
            last = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

        def follow() -> None:
            nonlocal last
            while not self._stop.wait(FOLLOW_INTERVAL):
                try:
                    batch = self.events_after(last)
                except sqlite3.Error:  # closed under us: stop following, the store still works
                    return
                for seq, event in batch:
                    receive(event)
                    last = seq

        self._follower = threading.Thread(target=follow, name="llmspell-sqlite-events", daemon=True)
        self._follower.start()

    def load_agents(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT name, definition, conversation, usage FROM agents ORDER BY name").fetchall()
        return [_agent(row) for row in rows]

    def save_agent(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO agents (name, definition, conversation, usage) VALUES (?, ?, ?, ?)",
                (record["name"], encode(record["definition"]), encode(record["conversation"]), encode(record["usage"])))

    def delete_agent(self, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM agents WHERE name = ?", (name,))

    def load_agent(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT name, definition, conversation, usage FROM agents WHERE name = ?",
                                   (name,)).fetchone()
        return None if row is None else _agent(row)

    def agent_names(self) -> list[str]:
        with self._lock:
            return [name for (name,) in self._db.execute("SELECT name FROM agents ORDER BY name")]

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

    def load_tool(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM tools WHERE name = ?", (name,)).fetchone()
        return None if row is None else decode(row[0])

    def tool_names(self) -> list[str]:
        with self._lock:
            return [name for (name,) in self._db.execute("SELECT name FROM tools ORDER BY name")]

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
        self._stop.set()
        if self._follower is not None and self._follower is not threading.current_thread():
            self._follower.join(timeout=5)
        with self._lock:
            self._db.close()


def _agent(row: tuple) -> dict[str, Any]:
    name, definition, conversation, usage = row
    return {"name": name, "definition": decode(definition), "conversation": decode(conversation),
            "usage": decode(usage)}


def _change(row: tuple) -> dict[str, Any]:
    version, scope, key, op, old, new, author, when = row
    return {"version": version, "scope": scope, "key": key, "op": op, "old": decode(old), "new": decode(new),
            "author": decode(author), "time": when}


def _event(row: tuple) -> dict[str, Any]:
    event_id, kind, when, source, engine, parent, duration, data = row
    event = {"id": event_id, "type": kind, "time": when, "source": source, "engine": engine, "parent_id": parent,
             "data": decode(data)}
    if duration is not None:
        event["duration"] = duration
    return event
