"""Crossing values between Python hosts and Tengo."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from .values import USER_FUNC_NAMES, Char, ImmArray, ImmMap, Opaque, TError, Time, char_str, is_compiled_function


class TengoErrorValue:
    """A Tengo `error` value seen from Python."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"TengoErrorValue({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TengoErrorValue) and other.value == self.value

    __hash__ = None  # type: ignore[assignment]


class TengoFunction:
    """A Tengo function callable from Python with Python values."""

    def __init__(self, fn: Callable[..., Any], runtime: Any = None) -> None:
        self.fn = fn
        self.runtime = runtime

    def __call__(self, *args: Any) -> Any:
        from .runtime import call_tengo

        return to_python(call_tengo(self.fn, [to_tengo(a) for a in args], self.runtime))

    def __repr__(self) -> str:
        return "<TengoFunction>"


def wrap_host_callable(fn: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
    """A Python callable as a Tengo user-function (SpellError -> error value)."""
    from llmspell_kernel.errors import SpellError

    def host_fn(*args: Any) -> Any:
        try:
            res = fn(*[to_python(a) for a in args])
        except SpellError as e:
            return TError(e.message)
        return to_tengo(res)

    nm = name or getattr(fn, "__name__", "host")
    host_fn.__name__ = "host_" + "".join(c if c.isalnum() else "_" for c in nm)
    USER_FUNC_NAMES[host_fn] = nm
    host_fn.__tengo_host__ = fn  # type: ignore[attr-defined]
    return host_fn


def to_tengo(v: Any) -> Any:
    t = type(v)
    if v is None or t in (bool, int, str, float, Char, ImmArray, ImmMap, TError, Time, Opaque):
        if t is int and not -0x8000000000000000 <= v <= 0x7FFFFFFFFFFFFFFF:
            from .values import wrap64

            return wrap64(v)
        return v
    if t is bytes or t is bytearray:
        return bytes(v)
    if t is list or t is tuple:
        return [to_tengo(e) for e in v]
    if t is dict:
        return {str(k): to_tengo(e) for k, e in v.items()}
    if isinstance(v, TengoErrorValue):
        return TError(to_tengo(v.value))
    if isinstance(v, TengoFunction):
        return v.fn
    if isinstance(v, dict):
        return {str(k): to_tengo(e) for k, e in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_tengo(e) for e in v]
    if t is FunctionType and (is_compiled_function(v) or v in USER_FUNC_NAMES):
        return v
    if callable(v) and not isinstance(v, type) and not hasattr(type(v), "__tengo_attrs__"):
        return wrap_host_callable(v)
    return Opaque(v)


def to_python(v: Any, runtime: Any = None) -> Any:
    t = type(v)
    if v is None or t in (bool, int, str, float):
        return v
    if t is list or t is ImmArray:
        return [to_python(e, runtime) for e in v]
    if t is dict or t is ImmMap:
        return {k: to_python(e, runtime) for k, e in v.items()}
    if t is bytes:
        return v
    if t is Char:
        return char_str(v.v)
    if t is TError:
        return TengoErrorValue(to_python(v.value, runtime))
    if t is Opaque:
        return v.obj
    if t is Time:
        import datetime as dt

        return dt.datetime.fromtimestamp(v.ns / 1e9, dt.timezone(dt.timedelta(seconds=v.off)))
    if callable(v):
        host = getattr(v, "__tengo_host__", None)
        if host is not None:
            return host
        return TengoFunction(v, runtime)
    return v
