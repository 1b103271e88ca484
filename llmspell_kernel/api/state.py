"""`State`: the session's shared, versioned store, and immutable State values."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..runtime.state import StateValue, StateView
from .spec import HandleType, Namespace, api


def _map(value: Any, what: str) -> dict[str, Any]:
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise ApiError(f"{what} takes a map, not {type(value).__name__}")
    return value


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_SCALAR = frozenset({float, bool, type(None)})  # values every engine takes as they are (with str and int64)
_FAST_STR = 64 * 1024  # longer strings are not fast-path values


def _fast_get(methods: Any, view: StateView, miss: Any):
    """`State.get` of a top-level key holding a scalar: one dict lookup, no conversion, no copy."""
    head = view.store.head(view.scope)
    catch_up = view.store.sync if view.store.shared else None  # other processes write: each read catches up first

    def get(key: Any = None, default: Any = None, *extra: Any) -> Any:
        if key.__class__ is str and not extra and key and "." not in key:
            if catch_up is not None:
                catch_up()  # brings `head` up to date
            value = head.get(key, default)
            kind = value.__class__
            if kind is int:
                return value if _INT64_MIN <= value <= _INT64_MAX else miss
            if kind is str:  # a long one takes the full path, where an engine checks it against its memory limit
                return value if len(value) <= _FAST_STR else miss
            if kind in _SCALAR:
                return value
        return miss

    return get


class StateViewMethods(HandleType):
    """A view of the shared store, isolated under a scope name (`State.scope("agent:writer")`)."""

    api_name = "StateScope"
    wraps = "llmspell_kernel.runtime.state:StateView"

    @api(example=("State", "user.name", "guest"), fast=_fast_get)
    def get(self, view: StateView, key: str, default: Any = None) -> Any:
        """The value at `key` (a dotted key reaches into nested maps), or `default`."""
        return view.store.get(key, default, scope=view.scope)

    @api(example=("State", "user.name", "Ada"))
    def set(self, view: StateView, key: str, value: Any) -> int:
        """Set `key` to `value`. Returns the new version number."""
        return view.store.set(key, value, scope=view.scope)

    @api(example=("State", "counter", "<fn>"))
    def update(self, view: StateView, key: str, fn: Any) -> int:
        """Atomic read-modify-write: `fn(old)` returns the new value. Returns the new version."""
        if not callable(fn):
            raise ApiError("State.update(key, fn): fn must be a function")
        return view.store.update(key, fn, scope=view.scope)

    @api(example=("State", "draft"))
    def delete(self, view: StateView, key: str) -> int:
        """Remove `key`. Returns the new version number."""
        return view.store.delete(key, scope=view.scope)

    @api(example=("State",))
    def keys(self, view: StateView) -> list[str]:
        """The top-level keys, sorted."""
        return view.store.keys(scope=view.scope)

    @api(example=("State",))
    def version(self, view: StateView) -> int:
        """The current version number (0 before any change)."""
        return view.store.version

    @api(example=("State", "user"))
    def history(self, view: StateView, key: str | None = None) -> list[dict[str, Any]]:
        """Changes, oldest first: `[{version, key, op, old, new, author, time}]`, for one key if given."""
        return [c.to_dict() for c in view.store.history(key, scope=view.scope)]

    @api(example=("State", 1))
    def at(self, view: StateView, version: int) -> StateValue:
        """An immutable State value: the store as it was at `version`."""
        return StateValue(view.store.scope_map(view.scope, version), version)

    @api(example=("State", 1, 2))
    def diff(self, view: StateView, v1: int, v2: int) -> dict[str, list[str]]:
        """`{added, removed, changed}` between two versions: each a sorted list of dotted leaf paths
        (`user.name`); a map added or removed whole is one path."""
        return view.store.diff(v1, v2, scope=view.scope)

    @api(example=("State", 1))
    def rollback(self, view: StateView, version: int) -> int:
        """Restore the store as it was at `version`. The restore is itself a new version."""
        return view.store.rollback(version)

    @api(example=("State",))
    def to_map(self, view: StateView) -> dict[str, Any]:
        """The whole (scoped) store as a map."""
        return view.store.to_dict(scope=view.scope)


class StateApi(Namespace):
    """The session's shared, versioned store: every change is a new version, with history."""

    api_name = "State"
    constructor = "new"
    delegate = (StateViewMethods, lambda self: self.session.state_view)

    @api(example=("State", "agent:writer"))
    def scope(self, name: str) -> StateView:
        """A view with the same methods, isolated under `name` (for example `"agent:writer"`)."""
        if not isinstance(name, str) or not name:
            raise ApiError("State.scope(name): name must be a non-empty string")
        return StateView(self.session.state, name)

    @api(example=("State", "user.*"))
    def timeline(self, key: str | None = None) -> Any:
        """A live widget of the store's versions, with diffs and rollback: `display` it in a notebook.

        `key` (a key or glob, `"user.*"`) shows only the versions that touched it.
        """
        if key is not None and not isinstance(key, str):
            raise ApiError("State.timeline(key): key must be a string")
        return self.session.state.widget(key)

    @api(example=("State", {"topic": "tides"}))
    def new(self, values: Any = None) -> StateValue:
        """An immutable State value made from a map. Its `set`, `merge` and `delete` return new values."""
        if isinstance(values, StateValue):
            return values
        return StateValue(_map(values, "State.new"))

    @api(example=("State", "user", {"type": "object", "required": ["name"]}))
    def schema(self, key: str, json_schema: dict[str, Any]) -> bool:
        """Attach a JSON schema to a top-level key; writes that do not match it are refused."""
        from ..runtime.schema import validator

        self.session.state_schemas[key] = validator(json_schema, f"State.schema({key!r}): invalid schema")
        return True


class StateValueMethods(HandleType):
    """An immutable State value with lineage (`State.new`, `State.at`, `agent.run(state)`)."""

    api_name = "StateValue"
    wraps = "llmspell_kernel.runtime.state:StateValue"

    @api(example=("state", "topic"))
    def get(self, value: StateValue, key: str, default: Any = None) -> Any:
        """The value at `key` (dotted keys reach into maps), or `default`."""
        return value.get(key, default)

    @api(example=("state", "topic", "tides"))
    def set(self, value: StateValue, key: str, item: Any) -> StateValue:
        """A new State with `key` set; this one is unchanged."""
        return value.set(key, item)

    @api(example=("state", {"topic": "tides", "done": False}))
    def merge(self, value: StateValue, values: dict[str, Any]) -> StateValue:
        """A new State with every key of `values` set."""
        return value.merge(_map(values, "merge"))

    @api(example=("state", "draft"))
    def delete(self, value: StateValue, key: str) -> StateValue:
        """A new State without `key`."""
        return value.delete(key)

    @api(example=("state",))
    def keys(self, value: StateValue) -> list[str]:
        """The top-level keys, sorted."""
        return value.keys()

    @api(example=("state",))
    def to_map(self, value: StateValue) -> dict[str, Any]:
        """The State as a plain map."""
        return value.to_map()

    @api(example=("state",))
    def version(self, value: StateValue) -> int:
        """How many changes made this value from its origin (or the store version for `State.at`)."""
        return value.version

    @api(example=("state",))
    def parent(self, value: StateValue) -> StateValue | None:
        """The State this one was derived from, or nil."""
        return value.parent
