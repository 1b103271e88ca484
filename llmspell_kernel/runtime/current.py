"""The session that Python code means when it says `llmspell_kernel.session()`."""

from __future__ import annotations

import threading

from .session import Session

_lock = threading.Lock()
_current: Session | None = None


def current_session() -> Session:
    global _current
    with _lock:
        if _current is None:
            _current = Session()
        return _current


def set_current_session(session: Session | None) -> None:
    global _current
    with _lock:
        _current = session
