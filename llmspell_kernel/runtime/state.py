"""The versioned state store: every change is a new immutable version.

Versions share structure (pyrsistent maps), so a thousand versions of a large
store cost what their changes cost. Each change records its author, time, key,
op, old and new value. Scopes are separate maps inside one version sequence, so
history and rollback stay global while `State.scope("agent:writer")` is isolated.
"""

from __future__ import annotations

import contextvars
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyrsistent import PMap, pmap

from ..errors import ApiError
from .checks import is_int
from .context import current_author
from .diff import leaf_diff, paths_by_kind
from .events import EventBus

ROOT = ""  # the scope of plain `State.*` calls
MAX_KEY_LENGTH = 1024  # characters in a state key
MAX_DEPTH = 64  # how deep a stored value may nest, counting its key's dotted parts: every reader can walk it

# the (scope, top-level key) pairs whose `update` function is running in this context (its calls, on any thread)
_updating: contextvars.ContextVar[frozenset[tuple[str, str]]] = contextvars.ContextVar(
    "llmspell_state_updating", default=frozenset())


def _refuse_inside_update(top: tuple[str, str], key: str) -> None:
    """A write to a key inside its own `update` function would make the update retry forever (each run of the
    function writes again, so the update always finds the key changed), or recurse until Python's limit."""
    if top in _updating.get():
        raise ApiError(f"State key {key!r} cannot be written inside the function of its own State.update: "
                       "the update would never commit; return the new value instead")


def plain_copy(value: Any) -> Any:
    """A deep copy of lists and dicts (the only mutable values state holds)."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class Change:
    version: int
    scope: str
    key: str
    op: str
    old: Any
    new: Any
    author: dict[str, str]
    time: float

    def record(self) -> dict[str, Any]:
        """Every field, for a store backend."""
        return {"version": self.version, "scope": self.scope, "key": self.key, "op": self.op, "old": self.old,
                "new": self.new, "author": dict(self.author), "time": self.time}

    def to_dict(self) -> dict[str, Any]:
        out = {
            "version": self.version,
            "key": self.key,
            "op": self.op,
            "old": plain_copy(self.old),
            "new": plain_copy(self.new),
            "author": dict(self.author),
            "time": self.time,
        }
        if self.scope:
            out["scope"] = self.scope
        return out


def _split(key: str) -> list[str]:
    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        raise ApiError(f"invalid state key {key!r}: use a non-empty string, dots between parts")
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(f"state key too long ({len(key)} characters, at most {MAX_KEY_LENGTH}): {key[:40]!r}...")
    parts = key.split(".")
    if len(parts) > MAX_DEPTH:
        raise ApiError(f"state key too deep ({len(parts)} parts, at most {MAX_DEPTH}): {key[:40]!r}...")
    return parts


def check_storable(key: str, value: Any) -> None:
    """Refuse a value that could not be read back: nested deeper than MAX_DEPTH, or a NaN or infinity (not JSON)."""
    budget = MAX_DEPTH - len(_split(key))
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth >= budget:
                raise ApiError(f"state value under {key!r} nests too deep: with the key's parts, at most "
                               f"{MAX_DEPTH} levels")
            stack.extend((item, depth + 1) for item in (node.values() if isinstance(node, dict) else node))
        elif isinstance(node, float) and not math.isfinite(node):
            raise ApiError(f"state value under {key!r} holds {node}: JSON has no NaN or infinity; store null or "
                           "a string instead")


def lookup(data: PMap | dict, key: str, default: Any = None) -> Any:
    """Follow a dotted key into nested maps."""
    node: Any = data
    for part in _split(key):
        if not isinstance(node, (dict, PMap)) or part not in node:
            return default
        node = node[part]
    return node


def assoc(data: PMap, key: str, value: Any, *, delete: bool = False) -> PMap:
    """A new map with the dotted key set (or removed); nested maps are copied on the path only."""
    parts = _split(key)
    head, rest = parts[0], parts[1:]
    if not rest:
        return data.discard(head) if delete else data.set(head, value)
    child = data.get(head)
    if child is None and delete:
        return data
    if child is not None and not isinstance(child, dict):
        raise ApiError(f"cannot reach {key!r}: {head!r} holds a {type(child).__name__}, not a map")
    child = dict(child or {})
    node = child
    for part in rest[:-1]:
        nxt = node.get(part)
        if nxt is None:
            if delete:
                return data
            nxt = {}
        elif not isinstance(nxt, dict):
            raise ApiError(f"cannot reach {key!r}: {part!r} holds a {type(nxt).__name__}, not a map")
        node[part] = nxt = dict(nxt)
        node = nxt
    if delete:
        node.pop(rest[-1], None)
    else:
        node[rest[-1]] = value
    return data.set(head, child)


class StateStore:
    """The session's state: a sequence of versions, each a map of scopes to maps."""

    def __init__(self, bus: EventBus | None = None, backend: Any = None) -> None:
        self._bus = bus
        self._backend = backend  # a persistent store: each change is saved before it is applied
        self._shared = bool(getattr(backend, "shared", False))
        self._lock = threading.RLock()
        self._snapshots: list[PMap] = [pmap()]  # index = version number
        self._changes: list[Change] = []  # _changes[i] made version i + 1
        self._touched: dict[tuple[str, str], int] = {}  # (scope, top key) -> version that last wrote it
        self._validators: list[Callable[[str, str, Any], None]] = []
        # the latest version's top-level values per scope, as plain dicts updated in place: a read
        # of a top-level key is one dict lookup (see `head`), not a walk through persistent maps
        self._heads: dict[str, dict[str, Any]] = {ROOT: {}}
        if backend is not None:
            self._replay(backend.load_changes())

    def _replay(self, records: list[dict[str, Any]]) -> None:
        """Rebuild the versions from a backend's saved changes, without events or validation."""
        for record in records:
            change = Change(**{**record, "author": dict(record["author"])})
            current = self._snapshots[-1]
            if change.op == "rollback":
                snapshot = self._snapshots[change.new]
            else:
                try:  # a key past the bounds (written before them) would make every read fail
                    data = assoc(current.get(change.scope, pmap()), change.key, change.new,
                                 delete=change.op == "delete")
                    snapshot = current.set(change.scope, data)
                except ApiError as exc:  # keep it in the history, unapplied, so the rest reads
                    sys.stderr.write(f"note: state version {change.version} is not applied: {exc.message}\n")
                    snapshot = current
            self._snapshots.append(snapshot)
            self._changes.append(change)
            self._touched[(change.scope, change.key.split(".")[0])] = change.version
        for scope, head in self._heads.items():  # the mirrors stay the same objects: fast paths hold them
            head.clear()
            head.update(self._snapshots[-1].get(scope, pmap()))

    @property
    def shared(self) -> bool:
        """Whether other processes write to this store's backend (Redis): reads catch up first."""
        return self._shared

    def sync(self) -> None:
        """Catch up with the versions other processes committed to a shared backend."""
        if self._shared:
            with self._lock:
                records = self._backend.changes_since(len(self._changes))
                if records:
                    self._replay(records)

    # reading --------------------------------------------------------------
    @property
    def bus(self) -> EventBus | None:
        """Where this store reports its changes (`state.change` events)."""
        return self._bus

    def widget(self, key: str | None = None, **options: Any) -> Any:
        """A live StateHistory browser of this store (ipywidgets); `key` limits it to a key or glob."""
        from ..widgets.history import StateHistory  # ipywidgets only when a widget is asked for

        return StateHistory(self, key, **options)

    @property
    def version(self) -> int:
        self.sync()
        return len(self._snapshots) - 1

    def scope_map(self, scope: str = ROOT, version: int | None = None) -> PMap:
        self.sync()
        snap = self._snapshots[self._check_version(version) if version is not None else -1]
        return snap.get(scope, pmap())

    def get(self, key: str, default: Any = None, *, scope: str = ROOT) -> Any:
        return plain_copy(lookup(self.scope_map(scope), key, default))

    def head(self, scope: str = ROOT) -> dict[str, Any]:
        """The latest top-level values of a scope, live (updated in place). Read it; never mutate it."""
        with self._lock:
            if scope not in self._heads:
                self._heads[scope] = dict(self.scope_map(scope))
            return self._heads[scope]

    def keys(self, *, scope: str = ROOT) -> list[str]:
        return sorted(self.scope_map(scope).keys())

    def to_dict(self, *, scope: str = ROOT, version: int | None = None) -> dict[str, Any]:
        return {k: plain_copy(v) for k, v in self.scope_map(scope, version).items()}

    def history(self, key: str | None = None, *, scope: str | None = ROOT) -> list[Change]:
        self.sync()
        with self._lock:
            changes = list(self._changes)
        if scope is not None:
            changes = [c for c in changes if c.scope == scope]
        if key is not None:
            changes = [c for c in changes if _related(c.key, key)]
        return changes

    def diff(self, v1: int, v2: int, *, scope: str = ROOT) -> dict[str, list[str]]:
        """The dotted leaf paths added, removed and changed from `v1` to `v2` (see `diff.leaf_diff`)."""
        return paths_by_kind(leaf_diff(self.scope_map(scope, v1), self.scope_map(scope, v2)))

    # writing --------------------------------------------------------------
    def add_validator(self, validator: Callable[[str, str, Any], None]) -> None:
        """`validator(scope, key, new_top_value)` raises to refuse a write."""
        self._validators.append(validator)

    def set(self, key: str, value: Any, *, scope: str = ROOT) -> int:
        value = plain_copy(value)
        return self._retrying(lambda: self._commit(scope, key, "set", value))

    def delete(self, key: str, *, scope: str = ROOT) -> int:
        return self._retrying(lambda: self._commit(scope, key, "delete", None))

    def _retrying(self, commit: Callable[[], int]) -> int:
        """Commit on the latest version; with a shared backend, catch up and retry when another process won."""
        while True:
            with self._lock:
                self.sync()
                try:
                    return commit()
                except _Conflict:
                    continue

    def update(self, key: str, fn: Callable[[Any], Any], *, scope: str = ROOT) -> int:
        """Atomic read-modify-write without holding the lock while `fn` runs.

        `fn` may be a script function that itself touches state, so it runs
        outside the lock; the write commits only if nobody wrote that key in
        the meantime, else `fn` runs again on the newer value (compare-and-swap).
        """
        top = (scope, _split(key)[0])
        _refuse_inside_update(top, key)
        while True:
            with self._lock:
                seen = self._touched.get(top, 0)
                old = lookup(self.scope_map(scope), key)
            inside = _updating.set(_updating.get() | {top})
            try:
                new = fn(plain_copy(old))
            finally:
                _updating.reset(inside)
            with self._lock:
                self.sync()
                if self._touched.get(top, 0) == seen:
                    try:
                        return self._commit(scope, key, "update", plain_copy(new))
                    except _Conflict:  # another process committed meanwhile: run fn on its value
                        continue

    def rollback(self, version: int) -> int:
        """Restore the whole store as it was at `version`, as a new version."""

        def commit() -> int:
            target = self._snapshots[self._check_version(version)]
            latest = len(self._snapshots) - 1
            return self._append(target, Change(latest + 1, ROOT, "*", "rollback", latest, version,
                                               current_author().as_dict(), time.time()), touched=None)

        return self._retrying(commit)

    def _commit(self, scope: str, key: str, op: str, value: Any) -> int:
        _refuse_inside_update((scope, _split(key)[0]), key)
        current = self._snapshots[-1]
        data = current.get(scope, pmap())
        old = lookup(data, key)
        if op != "delete":
            check_storable(key, value)
        new_data = assoc(data, key, value, delete=(op == "delete"))
        top = _split(key)[0]
        for validate in self._validators:
            validate(scope, top, new_data.get(top))
        change = Change(len(self._snapshots), scope, key, op, old, value, current_author().as_dict(), time.time())
        return self._append(current.set(scope, new_data), change, touched=(scope, top))

    def _append(self, snapshot: PMap, change: Change, touched: tuple[str, str] | None) -> int:
        if self._shared:
            if not self._backend.commit(change.record()):  # its version was taken by another process
                raise _Conflict
        elif self._backend is not None:
            self._backend.save_change(change.record())  # durable first: a failed save changes nothing
        self._snapshots.append(snapshot)
        self._changes.append(change)
        if touched is None:  # a rollback touches every key
            for k in list(self._touched):
                self._touched[k] = change.version
            for scope, head in self._heads.items():
                head.clear()
                head.update(snapshot.get(scope, pmap()))
        else:
            self._touched[touched] = change.version
            scope, top = touched
            head = self._heads.get(scope)
            if head is not None:  # scopes nobody read yet are mirrored on first `head`
                data = snapshot.get(scope, pmap())
                if top in data:
                    head[top] = data[top]
                else:
                    head.pop(top, None)
        if self._bus is not None:
            self._bus.emit(
                "state.change",
                {"key": change.key, "op": change.op, "old": plain_copy(change.old),
                 "new": plain_copy(change.new), "version": change.version, "scope": change.scope},
                source="state",
            )
        return change.version

    def _check_version(self, version: int) -> int:
        if not is_int(version) or not 0 <= version <= self.version:
            raise ApiError(f"no state version {version!r}: versions run from 0 to {self.version}")
        return version


class _Conflict(Exception):
    """A shared backend refused a commit: another process wrote that version first."""


def _related(changed: str, asked: str) -> bool:
    """A change to `user` concerns `user.name`, and a change to `user.name` concerns `user`."""
    return changed == "*" or changed == asked or changed.startswith(asked + ".") or asked.startswith(changed + ".")


class StateValue:
    """An immutable State value (`State.new`, `State.at`): a map with lineage."""

    __slots__ = ("_data", "_parent", "_version")

    def __init__(self, data: PMap | dict | None = None, version: int = 0, parent: StateValue | None = None) -> None:
        self._data = data if isinstance(data, PMap) else pmap(plain_copy(dict(data or {})))
        self._version = version
        self._parent = parent

    def get(self, key: str, default: Any = None) -> Any:
        return plain_copy(lookup(self._data, key, default))

    def _derive(self, data: PMap) -> StateValue:
        return StateValue(data, self._version + 1, self)

    def set(self, key: str, value: Any) -> StateValue:
        return self._derive(assoc(self._data, key, plain_copy(value)))

    def merge(self, values: dict[str, Any]) -> StateValue:
        data = self._data
        for key, value in (values or {}).items():
            data = assoc(data, key, plain_copy(value))
        return self._derive(data)

    def delete(self, key: str) -> StateValue:
        return self._derive(assoc(self._data, key, None, delete=True))

    def keys(self) -> list[str]:
        return sorted(self._data.keys())

    def to_map(self) -> dict[str, Any]:
        return {k: plain_copy(v) for k, v in self._data.items()}

    @property
    def version(self) -> int:
        return self._version

    @property
    def parent(self) -> StateValue | None:
        return self._parent

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StateValue) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"State(v{self._version}, {self.to_map()!r})"


@dataclass(frozen=True)
class StateView:
    """The store seen through one scope: `State` itself is the root view."""

    store: StateStore
    scope: str = ROOT

    def __repr__(self) -> str:
        return f"StateView({self.scope or 'root'!r}, {self.store.to_dict(scope=self.scope)!r})"
