"""StateHistory: browse the versions of the session's state, see diffs, roll back (an anywidget).

The list of versions follows the store live: `state.change` events poke a `Batcher`, which redraws
once per burst. Selecting a version (a trait the browser sets) sends what it changed (`leaf_diff`, the
diff of `State.diff`) since the version above it in the list (with a key filter, the previous version
that touched the key, and only the paths under it), and the whole state at that version. Selecting or
filtering clears the last rollback's message. Rollback is a custom message the browser sends only after the
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
from ..runtime.diff import leaf_diff
from ..runtime.events import Event
from ..runtime.state import Change, StateStore
from . import HERE, esm
from .batch import Batcher
from .handle import SessionWidget

MAX_VERSIONS = 500  # newest first; older ones are reached through the key filter
MAX_VALUE = 2_000  # characters of one value in a diff row


def touches(key: str, pattern: str) -> bool:
    """Whether a key or path concerns a key pattern: a glob (`user.*`) or a dotted key (`user.name`).
    A change's key `*` (a rollback) touches every pattern."""
    if not pattern or key == "*":
        return True
    if any(c in pattern for c in "*?["):
        stem = pattern[:-2] if pattern.endswith(".*") else None
        return fnmatch.fnmatchcase(key, pattern) or (stem is not None and (key == stem or stem.startswith(key + ".")))
    return key == pattern or key.startswith(pattern + ".") or pattern.startswith(key + ".")


def summarize(change: Change) -> str:
    if change.op == "rollback":
        return f"rollback to v{change.new}"
    return f"{change.op} {change.key}"


def diff_rows(old: dict[str, Any], new: dict[str, Any], pattern: str = "") -> list[dict[str, Any]]:
    """The rows of the diff table: `leaf_diff` (as `State.diff`), values as short JSON, only paths
    that concern `pattern`."""
    rows = []
    for d in leaf_diff(old, new):
        if touches(d.path, pattern):
            row = {"path": d.path, "kind": d.kind}
            if d.kind != "added":
                row["old"] = _short(d.old)
            if d.kind != "removed":
                row["new"] = _short(d.new)
            rows.append(row)
    return rows


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
    base = traitlets.Int(-1, help="the version the diff starts from: the previous one the list shows").tag(sync=True)
    diff = traitlets.List(help="[{path, kind, old?, new?}]: the selected version against `base`").tag(sync=True)
    snapshot = traitlets.Dict(help="the whole state at the selected version").tag(sync=True)
    message = traitlets.Unicode("", help="the outcome of the last rollback, until the next action").tag(sync=True)

    def __init__(self, store: StateStore, key: str | None = None, *, interval: float = 0.2, **kwargs: Any) -> None:
        super().__init__(key_filter=key or "", **kwargs)
        self._store = store
        self._bus = store.bus
        self._batcher = Batcher(self._draw, interval)
        self._lock = threading.RLock()  # the timer thread and the kernel thread (selection, rollback) both draw
        self._listed: list[int] = []  # the versions the list shows, oldest first
        if self._bus is not None:
            self._bus.add_sink(self._sink)
        self._draw()
        self.observe(self._on_action, names=["key_filter", "selected"])
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
            changes = [c for c in self._store.history() if touches(c.key, self.key_filter)]
            rows = [self._row(c) for c in reversed(changes[-MAX_VERSIONS:])]
            if len(rows) < MAX_VERSIONS:
                rows.append({"version": 0, "time": "", "author": "", "op": "", "key": "", "summary": "empty store"})
            self._listed = [r["version"] for r in reversed(rows)]
            with self.hold_sync():
                self.versions, self.total, self.current = rows, len(changes) + 1, self._store.version

    def _on_action(self, change: dict[str, Any]) -> None:
        """The user filtered or selected: redraw what depends on it, and the last outcome goes."""
        with self._lock, self.hold_sync():
            self.message = ""
            if change["name"] == "key_filter":
                self._draw()
            self._show_selected()

    @staticmethod
    def _row(change: Change) -> dict[str, Any]:
        author = Author(**{k: v for k, v in change.author.items() if k in Author._fields})  # a stored one may differ
        return {"version": change.version, "time": time.strftime("%H:%M:%S", time.localtime(change.time)),
                "author": author.describe(), "op": change.op, "key": change.key, "summary": summarize(change)}

    def _show_selected(self) -> None:
        with self._lock:
            version = self.selected
            if 0 <= version <= self._store.version:
                # with a key filter, the previous version that touched it: the one above in the list
                base = max((v for v in self._listed if v < version), default=version - 1)
                state = self._store.to_dict(version=version)
                parent = self._store.to_dict(version=base) if base >= 0 else {}
                diff = diff_rows(parent, state, self.key_filter)
            else:
                base, diff, state = -1, [], {}
            with self.hold_sync():
                self.base, self.diff, self.snapshot = base, diff, state

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
            self.selected = made  # clears the last message: this one comes after
            self.message = f"rolled back to v{version}: the store is now v{made}"
        return made

    def summary(self) -> dict[str, Any]:
        self.flush()
        return {"kind": "state", "key": self.key_filter, "versions": self.total, "current": self.current,
                "selected": self.selected}
