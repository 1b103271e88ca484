"""The Redis backend: one session shared by several kernels, on one machine or many.

Versions are a Redis list; a commit is a Lua script that appends only if the list still has
the length the writer saw, so two processes can never both write version N (the loser
catches up and retries). Events go to a Redis stream, and a reader thread hands the events
of other processes to the local event bus, so a timeline in kernel B shows kernel A live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...errors import ApiError
from .base import decode, encode

# append ARGV[2] only if the list holds exactly ARGV[1] versions
_COMMIT = """
if redis.call('LLEN', KEYS[1]) == tonumber(ARGV[1]) then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
STREAM_LENGTH = 100_000  # events kept in the stream (approximately)


class RedisStore:
    name = "redis"
    shared = True

    def __init__(self, url: str, session: str) -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover - redis is a dependency
            raise ApiError("a redis:// store needs the `redis` package: pip install redis") from None
        self.url, self.session = url, session
        self._db = redis.Redis.from_url(url)
        try:
            self._db.ping()
        except redis.RedisError as exc:
            raise ApiError(f"cannot reach the Redis store {url}: {exc}") from None
        prefix = f"llmspell:{session}:"
        self._changes, self._events, self._agents = prefix + "changes", prefix + "events", prefix + "agents"
        self._tools, self._checkpoints = prefix + "tools", prefix + "checkpoints"
        self._commit = self._db.register_script(_COMMIT)
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()

    # state ------------------------------------------------------------------------------------
    def load_changes(self) -> list[dict[str, Any]]:
        return self.changes_since(0)

    def changes_since(self, count: int) -> list[dict[str, Any]]:
        return [decode(raw) for raw in self._db.lrange(self._changes, count, -1)]

    def commit(self, change: dict[str, Any]) -> bool:
        """Append a change as version `change["version"]`; False when another process took that version."""
        return bool(self._commit(keys=[self._changes], args=[change["version"] - 1, encode(change)]))

    def save_change(self, change: dict[str, Any]) -> None:
        if not self.commit(change):
            raise ApiError(f"state version {change['version']} was already written by another process")

    # events -----------------------------------------------------------------------------------
    def load_events(self, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        entries = self._db.xrevrange(self._events, count=limit)
        return [decode(fields[b"e"]) for _, fields in reversed(entries)]

    def save_event(self, event: dict[str, Any]) -> None:
        self._db.xadd(self._events, {"e": encode(event)}, maxlen=STREAM_LENGTH, approximate=True)

    def follow_events(self, receive: Callable[[dict[str, Any]], None]) -> None:
        """Call `receive(event)` from a reader thread for each event added from now on."""
        last = self._db.xinfo_stream(self._events)["last-generated-id"] if self._db.exists(self._events) else "0-0"

        def read() -> None:
            nonlocal last
            while not self._stop.is_set():
                try:
                    batches = self._db.xread({self._events: last}, block=200, count=500)
                except Exception:  # the connection went away: stop following, the store still works
                    return
                for _, entries in batches or ():
                    for entry_id, fields in entries:
                        last = entry_id
                        receive(decode(fields[b"e"]))

        self._reader = threading.Thread(target=read, name="llmspell-redis-events", daemon=True)
        self._reader.start()

    # agents -----------------------------------------------------------------------------------
    def load_agents(self) -> list[dict[str, Any]]:
        return [decode(raw) for _, raw in sorted(self._db.hgetall(self._agents).items())]

    def save_agent(self, record: dict[str, Any]) -> None:
        self._db.hset(self._agents, record["name"], encode(record))

    def delete_agent(self, name: str) -> None:
        self._db.hdel(self._agents, name)

    def load_agent(self, name: str) -> dict[str, Any] | None:
        return decode(self._db.hget(self._agents, name))

    def agent_names(self) -> list[str]:
        return sorted(key.decode() for key in self._db.hkeys(self._agents))

    # tools and checkpoints --------------------------------------------------------------------
    def load_tools(self) -> list[dict[str, Any]]:
        return [decode(raw) for _, raw in sorted(self._db.hgetall(self._tools).items())]

    def save_tool(self, record: dict[str, Any]) -> None:
        self._db.hset(self._tools, record["name"], encode(record))

    def delete_tool(self, name: str) -> None:
        self._db.hdel(self._tools, name)

    def load_tool(self, name: str) -> dict[str, Any] | None:
        return decode(self._db.hget(self._tools, name))

    def tool_names(self) -> list[str]:
        return sorted(key.decode() for key in self._db.hkeys(self._tools))

    def load_checkpoint(self, run_id: str) -> dict[str, Any] | None:
        return decode(self._db.hget(self._checkpoints, run_id))

    def save_checkpoint(self, record: dict[str, Any]) -> None:
        self._db.hset(self._checkpoints, record["run_id"], encode(record))

    def list_checkpoints(self) -> list[dict[str, Any]]:
        return sorted((decode(raw) for raw in self._db.hvals(self._checkpoints)), key=lambda r: r["time"])

    def close(self) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=1)
        self._db.close()
