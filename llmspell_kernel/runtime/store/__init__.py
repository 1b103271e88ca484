"""Where a session keeps what it must not lose: state versions and the event log.

`open_store(config)` picks the backend: SQLite for a named session (`LLMSPELL_SESSION`,
`%spell session NAME`, or `store = "path.sqlite3"`), memory otherwise. Every backend passes
the same test suite (tests/test_store.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .base import StoreBackend
from .memory import MemoryStore

__all__ = ["MemoryStore", "StoreBackend", "check_session_name", "open_store", "session_path", "sessions_dir"]

SESSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # a file name and a Redis key part on every system


def check_session_name(name: str) -> str:
    """`name` if it is a valid session name (1-64 ASCII letters, digits, '-' and '_'; not starting with '-' or '_')."""
    if not isinstance(name, str) or not SESSION_NAME.fullmatch(name):
        from ...errors import ApiError

        raise ApiError(f"invalid session name {name!r}: use 1 to 64 letters, digits, '-' and '_' "
                       "(starting with a letter or digit)")
    return name


def sessions_dir() -> Path:
    """Where named sessions live: `<platformdirs user data dir>/llmspell/sessions`."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("llmspell")) / "sessions"


def session_path(name: str) -> Path:
    """The SQLite file of a named session, under the platformdirs user data dir."""
    return sessions_dir() / f"{check_session_name(name)}.sqlite3"


def open_store(config: Any) -> StoreBackend:
    store, name = config.store, config.session
    if isinstance(store, str) and store.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(store, session=check_session_name(name) if name else "default")
    if store in (None, "", "sqlite") and not name:
        return MemoryStore()
    if store == "memory":
        return MemoryStore()
    from .sqlite import SQLiteStore

    if store in (None, "", "sqlite"):
        return SQLiteStore(session_path(name))
    return SQLiteStore(Path(store).expanduser())
