"""Where a session keeps what it must not lose: state versions and the event log.

`open_store(config)` picks the backend: SQLite for a named session (`LLMSPELL_SESSION`,
`%spell session NAME`, or `store = "path.sqlite3"`), memory otherwise. Every backend passes
the same test suite (tests/test_store.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import StoreBackend
from .memory import MemoryStore

__all__ = ["MemoryStore", "StoreBackend", "open_store", "session_path", "sessions_dir"]


def sessions_dir() -> Path:
    """Where named sessions live: `<platformdirs user data dir>/llmspell/sessions`."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("llmspell")) / "sessions"


def session_path(name: str) -> Path:
    """The SQLite file of a named session, under the platformdirs user data dir."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        from ...errors import ApiError

        raise ApiError(f"invalid session name {name!r}: use letters, digits, '-' and '_'")
    return sessions_dir() / f"{name}.sqlite3"


def open_store(config: Any) -> StoreBackend:
    store, name = config.store, config.session
    if isinstance(store, str) and store.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(store, session=name or "default")
    if store in (None, "", "sqlite") and not name:
        return MemoryStore()
    if store == "memory":
        return MemoryStore()
    from .sqlite import SQLiteStore

    if store in (None, "", "sqlite"):
        return SQLiteStore(session_path(name))
    return SQLiteStore(Path(store).expanduser())
