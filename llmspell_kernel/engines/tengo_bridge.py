"""Values between Python and the Tengo engine: plain data, handles, functions and error values.

Tengo's own `to_tengo`/`to_python` know nothing of sessions; this bridge adds what the
spell API needs. Handles become opaque objects whose methods are the API table's
functions, Tengo functions become `ScriptFunction`s that run under the engine's gate,
and an API failure becomes a Tengo `error` value that remembers the SpellError it came
from, so that the error keeps its class when it leaves Tengo again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import sys
import weakref
from collections.abc import Callable
from types import FunctionType
from typing import Any, ClassVar

from ..api.spec import ApiFunction, HandleType
from ..errors import ApiError, ConversionError, Frame, InterruptedSpell, LimitError, ScriptRuntimeError, SpellError
from .base import ScriptFunction
from .crossing import CrossingMeter
from .tengo import TengoErrorValue, TengoRuntime
from .tengo.runtime import _TENGO_CODE_FILES, _positions
from .tengo.values import (
    USER_FUNC_NAMES,
    Char,
    ImmArray,
    ImmMap,
    Opaque,
    TError,
    Time,
    char_str,
    go_quote,
    is_compiled_function,
    to_string,
    type_name,
)

MAX_DEPTH = 100
_INT64 = (-(2**63), 2**63 - 1)
_PLAIN = (str, float, bool, type(None), bytes)
_SIZED = (str, bytes)
_TENGO_ONLY = (Opaque, TError, Char, Time, ImmArray, ImmMap)
_MAX_KNOWN_ERRORS = 256


class ErrorValue(TengoErrorValue):
    """A Tengo `error` value inside data that crossed to Python; `error` is the API failure it came from."""

    def __init__(self, value: Any, error: SpellError | None = None) -> None:
        super().__init__(value)
        self.error = error

    @property
    def name(self) -> str:
        """What `describe()` shows: the value as Tengo prints it."""
        return "error: " + (go_quote(self.value) if isinstance(self.value, str) else repr(self.value))


class TengoHandle:
    """The object behind a Tengo opaque value for an API handle; Tengo sees only `__tengo_attrs__`.

    One subclass per handle type and engine (`AgentHandle`, ...), so that `type_name(agent)`
    reads `opaque:AgentHandle`. Members are bound once per handle; a property is read each time.
    """

    __slots__ = ("__weakref__", "_h_bound", "_h_obj", "_h_opaque")
    __tengo_attrs__: ClassVar[frozenset[str]] = frozenset()
    _h_bridge: ClassVar[TengoBridge]
    _h_instance: ClassVar[HandleType]
    _h_functions: ClassVar[dict[str, ApiFunction]]

    def __init__(self, obj: Any) -> None:
        self._h_obj = obj
        self._h_bound: dict[str, Callable[..., Any]] = {}
        # the same opaque value for every crossing of one object, so `==` (identity in Tengo) holds;
        # the cycle handle <-> opaque is collected with the handle
        self._h_opaque = Opaque(self)

    def __getattr__(self, name: str) -> Any:
        fn = type(self)._h_functions.get(name)
        if fn is None:
            raise AttributeError(name)
        bound = self._h_bound.get(name)
        if bound is None:
            bound = self._h_bound[name] = type(self)._h_bridge.host(
                fn.func, (type(self)._h_instance, self._h_obj), api_fn=fn)
        return bound() if fn.is_property else bound


class TengoBridge:
    """Converts values for one Tengo engine and builds its host functions."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.api = engine.session.api
        self._handle_classes: dict[type, type[TengoHandle]] = {}
        self._handles: weakref.WeakValueDictionary[int, TengoHandle] = weakref.WeakValueDictionary()
        # id(error value) -> (the value, the SpellError it stands for); bounded
        self._known: dict[int, tuple[TError, SpellError]] = {}

    # host functions: Python callables as Tengo functions ------------------------------
    def host(self, func: Callable[..., Any], receiver: tuple = (), *, api_fn: ApiFunction | None = None,
             name: str | None = None) -> Callable[..., Any]:
        """A Tengo function that calls `func(*receiver, *args)`: a failure returns an error value.

        Limits and interrupts are raised instead: they stop the whole chunk, and Tengo has no
        way to catch them.
        """
        from_tengo, to_tengo, engine = self.from_tengo, self.to_tengo, self.engine
        blocking = api_fn is not None and api_fn.blocking

        def host(*args: Any) -> Any:
            try:
                if blocking:  # a model call or a tool: what it allocates is not the script's memory
                    with engine.memory_exempt():
                        return to_tengo(func(*receiver, *[from_tengo(a) for a in args]))
                return to_tengo(func(*receiver, *[from_tengo(a) for a in args]))
            except (LimitError, InterruptedSpell):
                raise
            except SpellError as exc:
                return self.error_value(exc)
            except KeyboardInterrupt:
                raise engine.note_interrupt() from None
            except TypeError:  # wrong arguments are the script's mistake; any other TypeError is ours
                usage = api_fn.usage_error(args) if api_fn is not None else _usage_error(func, receiver, args, label)
                if usage is None:
                    raise
                return self.error_value(usage)

        label = name or (api_fn.qualname if api_fn is not None else getattr(func, "__name__", "host"))
        host.__name__ = host.__qualname__ = "host_" + "".join(c if c.isalnum() else "_" for c in label)
        USER_FUNC_NAMES[host] = label  # type_name(f) reads user-function:<label>
        return host

    @staticmethod
    def with_fast(fast: Callable[..., Any], miss: Any, full: Callable[..., Any], label: str) -> Callable[..., Any]:
        """`full` behind an API fast path, which returns a plain scalar (the same value in Tengo) or `miss`."""

        def quick(*args: Any) -> Any:
            value = fast(*args)
            return full(*args) if value is miss else value

        quick.__name__ = quick.__qualname__ = full.__name__
        USER_FUNC_NAMES[quick] = label
        return quick

    def error_value(self, error: SpellError) -> TError:
        """A Tengo error value for an API failure, remembered so that it can be raised as itself later.

        The failure is located at the script's call, as Lua reports `chunk:line:`, unless it
        already names where it happened (an error from another engine's function).
        """
        if error.line is None and error.chunk is None and error.engine in (None, self.engine.name):
            self._locate(error)
        value = TError(error.message)
        if len(self._known) >= _MAX_KNOWN_ERRORS:
            self._known.clear()
        self._known[id(value)] = (value, error.with_traceback(None))  # keep the error, not its frames
        return value

    def _locate(self, error: SpellError) -> None:
        """Fill in the engine, chunk, line, column, source line and stack of the running Tengo call."""
        frames = _script_frames(sys._getframe(2))
        if not frames:  # called from Python, not from a script
            return
        display, sources = self.engine._display, self.engine.runtime.sources
        top = frames[0]
        lines = sources.get(top.chunk, "").splitlines()
        source_line = lines[top.line - 1] if top.line and 0 < top.line <= len(lines) else None
        for frame in frames:
            frame.chunk = display(frame.chunk) or frame.chunk
        error.located(engine=self.engine.name, chunk=top.chunk, line=top.line, column=top.column,
                      frames=frames, source_line=source_line)

    def known_error(self, value: TError) -> SpellError | None:
        entry = self._known.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def raised(self, value: TError) -> SpellError:
        """The exception for an error value that leaves Tengo as a result: the API failure, or a RuntimeError."""
        known = self.known_error(value)
        if known is not None:
            return dataclasses.replace(known)  # a fresh exception: same class, message and location
        return ScriptRuntimeError(to_string(value.value), engine=self.engine.name)

    # handles ---------------------------------------------------------------------
    def handle_class(self, handle: HandleType) -> type[TengoHandle]:
        cls = self._handle_classes.get(type(handle))
        if cls is None:
            functions = type(handle).functions()
            cls = type(handle.api_name, (TengoHandle,), {
                "__slots__": (), "__tengo_attrs__": frozenset(functions), "_h_bridge": self,
                "_h_instance": handle, "_h_functions": functions,
            })
            self._handle_classes[type(handle)] = cls
        return cls

    def opaque(self, obj: Any, handle: HandleType) -> Opaque:
        proxy = self._handles.get(id(obj))
        if proxy is None or proxy._h_obj is not obj:
            proxy = self.handle_class(handle)(obj)
            self._handles[id(obj)] = proxy
        return proxy._h_opaque

    # Python -> Tengo -----------------------------------------------------------------------
    def to_tengo(self, value: Any) -> Any:
        kind = type(value)
        if kind is int:
            if not _INT64[0] <= value <= _INT64[1]:
                raise ConversionError(f"the integer {value} does not fit Tengo's 64-bit integers")
            return value
        if kind in _PLAIN or kind in _TENGO_ONLY:
            return value
        if isinstance(value, dict):  # after _TENGO_ONLY, so an immutable map stays one
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ConversionError(f"a map with a {type(key).__name__} key cannot cross into Tengo")
                out[key] = self.to_tengo(item)
            return out
        if isinstance(value, (list, tuple)):
            return [self.to_tengo(v) for v in value]
        if kind is ScriptFunction and value.engine is self.engine:
            return value.ref
        if kind is bytearray:
            return bytes(value)
        if isinstance(value, TengoErrorValue):
            error = TError(self.to_tengo(value.value))
            if getattr(value, "error", None) is not None:
                self._known[id(error)] = (error, value.error)
            return error
        if isinstance(value, dt.datetime):
            return _time(value)
        handle = self.api.handle_type(value)
        if handle is not None:
            return self.opaque(value, handle)
        if kind is FunctionType and (is_compiled_function(value) or value in USER_FUNC_NAMES):
            return value  # already a Tengo function
        if callable(value):
            host = self.host(value, name=getattr(value, "name", None) or getattr(value, "__name__", None))
            host.__llmspell_host__ = value  # type: ignore[attr-defined]  # crosses back as itself
            return host
        raise ConversionError(f"a Python {kind.__name__} cannot cross into Tengo")

    # Tengo -> Python -------------------------------------------------------------------------
    def from_tengo(self, value: Any, meter: CrossingMeter | None = None, depth: int = 0) -> Any:
        kind = type(value)
        if kind is str:
            return value if value.isascii() else _utf8(value)
        if kind is int or kind in _PLAIN:
            return value
        if kind is list or kind is ImmArray or kind is dict or kind is ImmMap:
            if depth >= MAX_DEPTH:
                raise _too_deep()
            meter = meter or CrossingMeter(self.engine)
            if kind is list or kind is ImmArray:
                return [self._item(v, meter, depth) for v in value]
            return {k if k.isascii() else _utf8(k): self._item(v, meter, depth, len(k)) for k, v in value.items()}
        if kind is Char:
            return char_str(value.v)
        if kind is TError:
            return ErrorValue(self.from_tengo(value.value, meter, depth + 1), self.known_error(value))
        if kind is Opaque:
            obj = value.obj
            return obj._h_obj if isinstance(obj, TengoHandle) else obj
        if kind is Time:
            return _datetime(value)
        if callable(value):
            host = getattr(value, "__llmspell_host__", None)
            if host is not None:  # a Python callable (or another engine's function) that went through Tengo
                return host
            return ScriptFunction(self.engine, value, USER_FUNC_NAMES.get(value) if kind is FunctionType else None)
        raise ConversionError(f"a Tengo {type_name(value)} cannot cross to Python")

    def _item(self, value: Any, meter: CrossingMeter, depth: int, key_size: int = 0) -> Any:
        """An item of a list or map, charged to the conversion's meter (a string by its length)."""
        meter.item(key_size + (len(value) if type(value) in _SIZED else 0))
        return self.from_tengo(value, meter, depth + 1)

    def call_args(self, fn: Any, args: tuple) -> list:
        """Arguments for a Tengo function called from outside, fitted to its parameters.

        Lua and JavaScript drop extra arguments and fill missing ones with nil, and callers such
        as `Event.on` or a workflow's `until` rely on that; a Tengo callback gets the same.
        """
        values = [self.to_tengo(a) for a in args]
        if is_compiled_function(fn):
            code = fn.__code__
            if not code.co_flags & inspect.CO_VARARGS:
                wanted = code.co_argcount
                values = values[:wanted] + [None] * (wanted - len(values))
        return values


_ENTRIES = (TengoRuntime.run.__code__, TengoRuntime.call.__code__)  # where a Tengo invocation begins


def _script_frames(frame: Any) -> list[Frame]:
    """The Tengo frames of the running invocation, innermost first, as the runtime reports its own errors."""
    frames: list[Frame] = []
    while frame is not None:
        code = frame.f_code
        if code in _ENTRIES:
            break
        if code.co_filename in _TENGO_CODE_FILES and code.co_name.startswith(("tm_", "tf_")):
            pos = _positions(code)
            index = frame.f_lasti // 2
            line = column = None
            if 0 <= index < len(pos) and pos[index][0] is not None:
                line, column = pos[index][0], (pos[index][2] or 0) + 1
            frames.append(Frame(chunk=code.co_filename, line=line, column=column))
        frame = frame.f_back
    return frames


def _usage_error(func: Callable[..., Any], receiver: tuple, args: tuple, label: str) -> ApiError | None:
    """An ApiError if `args` do not fit a plain Python callable's signature."""
    try:
        inspect.signature(func).bind(*receiver, *args)
    except TypeError as exc:
        return ApiError(f"{label}: {exc}")
    except ValueError:  # no signature to check (some builtins)
        return None
    return None


def _utf8(text: str) -> str:
    """A Tengo string that holds invalid UTF-8 (kept as surrogate escapes) cannot cross, as in Lua."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConversionError("a Tengo string that is not valid UTF-8 cannot cross to Python; "
                              "send binary data as bytes, base64 or hex text") from None
    return text


def _too_deep() -> ConversionError:
    return ConversionError(f"a Tengo value nested more than {MAX_DEPTH} levels deep (a cycle?) cannot cross")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _time(value: dt.datetime) -> Time:
    aware = value if value.tzinfo is not None else value.astimezone()
    offset = aware.utcoffset() or dt.timedelta(0)
    ns = (aware - _EPOCH) // dt.timedelta(microseconds=1) * 1000
    return Time(ns, int(offset.total_seconds()), aware.tzname() or "UTC")


def _datetime(value: Time) -> dt.datetime:
    seconds, ns = divmod(value.ns, 1_000_000_000)
    zone = dt.timezone(dt.timedelta(seconds=value.off))
    return (_EPOCH + dt.timedelta(seconds=seconds, microseconds=ns // 1000)).astimezone(zone)
