"""StateHistory: browse the versions of the session's state, see diffs, roll back (an anywidget).

The list of versions follows the store live: `state.change` events poke a `Batcher`, which redraws
once per burst. Selecting a version (a trait the browser sets) sends its diff against its parent
and the whole state at that version. Rollback is a custom message the browser sends only after the
user confirmed; it calls `StateStore.rollback`, so the restore is a new version like any other.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from typing import Any

import anywidget
import traitlets

from ..runtime.context import Author, acting_as
from ..runtime.events import Event
from ..runtime.state import Change, StateStore
from . import HERE, esm
from .batch import Batcher
from .handle import SessionWidget

MAX_VERSIONS = 500  # newest first; older ones are reached through the key filter
MAX_VALUE = 2_000  # characters of one value in a diff row


def touches(change: Change, pattern: str) -> bool:
    """Whether a change concerns a key pattern: a glob (`user.*`) or a dotted key (`user.name`)."""
    if not pattern or change.key == "*":  # a rollback touches every key
        return True
    key = change.key
    if any(c in pattern for c in "*?["):
        stem = pattern[:-2] if pattern.endswith(".*") else None
        return fnmatch.fnmatchcase(key, pattern) or (stem is not None and (key == stem or stem.startswith(key + ".")))
    return key == pattern or key.startswith(pattern + ".") or pattern.startswith(key + ".")


def summarize(change: Change) -> str:
    if change.op == "rollback":
        return f"rollback to v{change.new}"
    return f"{change.op} {change.key}"


def diff_paths(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Leaf-level differences between two states, as dotted paths with old and new values."""
    if isinstance(old, dict) and isinstance(new, dict):
        rows: list[dict[str, Any]] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else key
            if key not in old:
                rows.append({"path": sub, "kind": "added", "new": _short(new[key])})
            elif key not in new:
                rows.append({"path": sub, "kind": "removed", "old": _short(old[key])})
            elif old[key] != new[key]:
                rows += diff_paths(old[key], new[key], sub)
        return rows
    return [] if old == new else [{"path": path, "kind": "changed", "old": _short(old), "new": _short(new)}]


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


class StateHistory(SessionWidget, anywidget.AnyWidget):
    _esm = esm("history.js")
    _css = HERE / "widgets.css"

    versions = traitlets.List(help="[{version, time, author, op, key, summary}], newest first").tag(sync=True)
    total = traitlets.Int(0, help="versions that pass the key filter").tag(sync=True)
    current = traitlets.Int(0, help="the store's latest version").tag(sync=True)
    key_filter = traitlets.Unicode("", help="a key or glob: only versions that touched it").tag(sync=True)
    selected = traitlets.Int(-1, help="the version whose diff and state show").tag(sync=True)
    diff = traitlets.List(help="the selected version against its parent").tag(sync=True)
    snapshot = traitlets.Dict(help="the whole state at the selected version").tag(sync=True)
    message = traitlets.Unicode("", help="the outcome of the last rollback").tag(sync=True)

    def __init__(self, store: StateStore, key: str | None = None, *, interval: float = 0.2, **kwargs: Any) -> None:
        super().__init__(key_filter=key or "", **kwargs)
        self._store = store
        self._bus = store.bus
        self._batcher = Batcher(self._draw, interval)
        self._lock = threading.RLock()  # the timer thread and the kernel thread (selection, rollback) both draw
        if self._bus is not None:
            self._bus.add_sink(self._sink)
        self._draw()
        self.observe(lambda _: self._draw(), names=["key_filter"])
        self.observe(lambda _: self._show_selected(), names=["selected"])
        self.on_msg(self._on_msg)

    def _sink(self, event: Event) -> None:
        if event.type == "state.change":
            self._batcher.poke()

    def flush(self) -> None:
        self._batcher.flush_now()

    def stop(self) -> None:
        if self._bus is not None:
            self._bus.remove_sink(self._sink)
        self._batcher.stop()

    # drawing --------------------------------------------------------------------------
    def _draw(self) -> None:
        with self._lock:
            changes = [c for c in self._store.history() if touches(c, self.key_filter)]
            rows = [self._row(c) for c in reversed(changes[-MAX_VERSIONS:])]
            if len(rows) < MAX_VERSIONS:
                rows.append({"version": 0, "time": "", "author": "", "op": "", "key": "", "summary": "empty store"})
            with self.hold_sync():
                self.versions, self.total, self.current = rows, len(changes) + 1, self._store.version

    @staticmethod
    def _row(change: Change) -> dict[str, Any]:
        author = Author(**{k: v for k, v in change.author.items() if k in Author._fields})  # a stored one may differ
        return {"version": change.version, "time": time.strftime("%H:%M:%S", time.localtime(change.time)),
                "author": author.describe(), "op": change.op, "key": change.key, "summary": summarize(change)}

    def _show_selected(self) -> None:
        with self._lock:
            version = self.selected
            if 0 <= version <= self._store.version:
                state = self._store.to_dict(version=version)
                parent = self._store.to_dict(version=version - 1) if version > 0 else {}
                diff = diff_paths(parent, state)
            else:
                diff, state = [], {}
            with self.hold_sync():
                self.diff, self.snapshot = diff, state

    # rolling back ---------------------------------------------------------------------
    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        """The browser's confirmed rollback: `{"action": "rollback", "version": n}`."""
        if isinstance(content, dict) and content.get("action") == "rollback":
            self.rollback(content.get("version"))

    def rollback(self, version: Any) -> int | None:
        """Restore `version` as a new version (as `State.rollback` does); report the outcome in `message`."""
        try:
            with acting_as(chunk="state widget"):
                made = self._store.rollback(version)
        except Exception as exc:
            self.message = f"rollback failed: {exc}"
            return None
        self.flush()
        with self._lock, self.hold_sync():
            self.message = f"rolled back to v{version}: the store is now v{made}"
            self.selected = made
        return made

    def summary(self) -> dict[str, Any]:
        self.flush()
        return {"kind": "state", "key": self.key_filter, "versions": self.total, "current": self.current,
                "selected": self.selected}
