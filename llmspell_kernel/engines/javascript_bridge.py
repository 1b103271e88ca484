"""Values between Python and the JavaScript engine, as JSON text.

The quickjs module passes only numbers and strings to and from a Python callable (a list
or dict cannot be returned to JS), so every value crosses as JSON. What JSON cannot hold
travels as a one-key object whose key starts with NUL (the prelude's reviver and replacer
understand the same markers):

    {"\\0h": id} / {"\\0h": [id, type]}   a handle (the same JS object for the same Python object)
    {"\\0F": [request, id]}              a Python future: a JS Promise that has the Future methods
    {"\\0f": id}                         a Python callable (or another engine's function)
    {"\\0j": id}                         a JS function: a ScriptFunction in Python
    {"\\0p": id}                         a JS Promise: a concurrent Future in Python
    {"\\0b": [bytes]}, {"\\0n": "NaN"}, {"\\0i": "123"}   bytes, non-finite numbers, BigInt
"""

from __future__ import annotations

import datetime as dt
import json
import re
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..errors import ConversionError, SpellError
from .base import LONE_SURROGATE, ScriptFunction
from .crossing import check_json

_MARK = "\\u0000"  # how JSON text spells the NUL that starts a marker key
_LONG_DIGITS = re.compile(r"\d{16}")  # an integer this long may be past Number.MAX_SAFE_INTEGER
MAX_SAFE = 2**53 - 1
_ROOM_CHECK = 64 * 1024  # a JSON text this long is checked against the engine's memory limit before it crosses


def _check_safe_integers(value: Any) -> None:
    """Refuse an integer that a JS number cannot hold exactly, as Lua and Tengo refuse one past 64 bits."""
    if type(value) is int:
        if abs(value) > MAX_SAFE:
            raise ConversionError(f"the integer {value} does not fit JavaScript's safe integers (2**53 - 1)")
    elif isinstance(value, dict):
        for item in value.values():
            _check_safe_integers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_safe_integers(item)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_no_surrogates(value: Any) -> None:
    """Refuse a string with a lone surrogate, as Lua and Tengo refuse a string that is not valid UTF-8."""
    if isinstance(value, str):
        if LONE_SURROGATE.search(value):
            raise ConversionError("a JavaScript string with a lone surrogate is not valid UTF-8 and cannot cross "
                                  "to Python; send binary data as a Uint8Array")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_no_surrogates(key)
            _check_no_surrogates(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_no_surrogates(item)


def _js_integer(digits: str) -> int | float:
    value = int(digits)
    return value if abs(value) <= MAX_SAFE else float(value)


class JsBridge:
    """Encodes and decodes values for one JavaScript engine; owns its handle and function tables."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.api = engine.session.api
        self._handles: dict[int, Any] = {}  # handle id -> object (kept for the session: JS may hold it)
        self._handle_ids: dict[int, int] = {}  # id(object) -> handle id
        self._callables: dict[int, Callable[..., Any]] = {}
        self._callable_ids: dict[int, int] = {}
        self._functions: weakref.WeakValueDictionary[int, ScriptFunction] = weakref.WeakValueDictionary()
        self.released: list[int] = []  # JS functions no longer referenced from Python
        self.promises: dict[int, Future] = {}  # JS promises that crossed to Python, by id
        self._future_requests: dict[int, int] = {}  # handle id of a future -> its request id
        self._errors: dict[int, SpellError] = {}
        self._next = 0

    def _id(self) -> int:
        self._next += 1
        return self._next

    # Python -> JSON for JS -----------------------------------------------------------------
    def encode(self, value: Any) -> str:
        try:
            text = json.dumps(value, default=self._default, allow_nan=False, ensure_ascii=False,
                              separators=(",", ":"))
        except ValueError as exc:  # NaN or a cycle
            raise ConversionError(f"a value cannot cross into JavaScript: {exc}") from None
        if not text.isascii() and LONE_SURROGATE.search(text):  # quickjs would crash on text it cannot encode
            raise ConversionError("a string with a lone surrogate is not valid UTF-8 and cannot cross into "
                                  "JavaScript")
        if len(text) > _ROOM_CHECK:  # parsed, it takes its length again at least
            self.engine.room(2 * len(text))
        if _LONG_DIGITS.search(text):  # JSON.parse would round an integer past 2**53 in silence
            _check_safe_integers(value)
        return text

    def _default(self, obj: Any) -> Any:
        if type(obj) is ScriptFunction and obj.engine is self.engine:
            return {"\0j": obj.ref}
        if isinstance(obj, Future):
            hid = self._handle_id(obj)
            rid = self._future_requests.get(hid)
            if rid is None:
                rid = self._future_requests[hid] = self.engine.track(obj)
            return {"\0F": [rid, hid]}
        handle = self.api.handle_type(obj)
        if handle is not None:
            return {"\0h": [self._handle_id(obj), handle.api_name]}
        if isinstance(obj, (bytes, bytearray)):
            return {"\0b": list(obj)}
        if isinstance(obj, (dt.datetime, dt.date)):
            return obj.isoformat()
        if callable(obj):
            key = id(obj)
            fid = self._callable_ids.get(key)
            if fid is None or self._callables.get(fid) is not obj:
                fid = self._callable_ids[key] = self._id()
                self._callables[fid] = obj
            return {"\0f": fid}
        raise ConversionError(f"a Python {type(obj).__name__} cannot cross into JavaScript")

    def _handle_id(self, obj: Any) -> int:
        hid = self._handle_ids.get(id(obj))
        if hid is None or self._handles.get(hid) is not obj:
            hid = self._handle_ids[id(obj)] = self._id()
            self._handles[hid] = obj
        return hid

    def ok(self, value: Any) -> str:
        return '{"ok":1,"v":' + self.encode(value) + "}"

    def failure(self, error: SpellError) -> str:
        """An error envelope; the SpellError is remembered so that it keeps its class when it leaves JS."""
        if len(self._errors) > 256:
            self._errors.clear()
        eid = self._id()
        self._errors[eid] = error
        return json.dumps({"ok": 0, "e": {"name": error.kind, "message": error.message, "eid": eid}})

    def known_error(self, eid: Any) -> SpellError | None:
        return self._errors.get(eid) if isinstance(eid, int) else None

    # JSON from JS -> Python -------------------------------------------------------------------
    def decode(self, text: str) -> Any:
        check_json(self.engine, text)
        # a JS number past 2**53 is a double: it stays a float, so that it can cross back (encode refuses such ints)
        parse_int = _js_integer if _LONG_DIGITS.search(text) else None
        if _MARK not in text:
            value = json.loads(text, parse_int=parse_int)
        else:
            value = json.loads(text, object_hook=self._marker, parse_int=parse_int)
        if _SURROGATE_ESCAPE.search(text):  # JSON.stringify escapes a lone surrogate, and only that
            _check_no_surrogates(value)
        return value

    def envelope(self, text: str) -> dict[str, Any]:
        """A settled result, `{ok, v}` or `{ok, e}`, as JS encoded it."""
        env = self.decode(text)
        if not isinstance(env, dict) or "ok" not in env:  # JSON.stringify called a toJSON that a script added
            raise ConversionError("a result cannot cross to Python: a script changed how objects become JSON "
                                  "(Object.prototype.toJSON)")
        return env

    def _marker(self, obj: dict) -> Any:
        if len(obj) != 1:
            return obj
        ((key, value),) = obj.items()
        if key[:1] != "\0":
            return obj
        kind = key[1:]
        if kind == "h":
            handle = self._handles.get(value) if type(value) is int else None
            if handle is None:  # data that imitates a handle marker: a handle is never made from data
                raise ConversionError(f"no handle {value!r}: a handle cannot be made from data")
            return handle
        if kind == "j":
            return self.function(value)
        if kind == "p":
            return self.promises.setdefault(value, Future())
        if kind == "b":
            return bytes(value)
        if kind == "n":
            return float(value)
        if kind == "i":
            return int(value)
        return obj

    def function(self, fid: int) -> ScriptFunction:
        fn = self._functions.get(fid)
        if fn is None:
            fn = ScriptFunction(self.engine, fid)
            self._functions[fid] = fn
            weakref.finalize(fn, self.released.append, fid)
        return fn

    def take_released(self) -> list[int]:
        """JS functions that Python dropped and did not take up again since."""
        ids = [fid for fid in self.released if fid not in self._functions]
        self.released.clear()
        return ids

    def callable(self, fid: int) -> Callable[..., Any]:
        return self._callables[fid]

    def settle_promise(self, pid: int, text: str, error: Callable[[dict], SpellError]) -> None:
        """A JS promise that crossed to Python settled: complete its Future."""
        future = self.promises.pop(pid, None) or Future()
        try:
            env = self.envelope(text)
        except ConversionError as exc:
            env = {"ok": 0, "e": {"name": "ConversionError", "message": exc.message}}
        if not future.done():
            if env.get("ok"):
                future.set_result(env.get("v"))
            else:
                future.set_exception(error(env["e"]))
