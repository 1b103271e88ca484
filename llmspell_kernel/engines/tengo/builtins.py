"""Tengo's builtin functions (builtins.go), with the reference error texts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .formatter import format_values
from .meter import SMALL, made, metered
from .ops import _str_chars, wrap32
from .values import (
    BUILTIN_NAMES,
    MAX_INT,
    MIN_INT,
    Char,
    GoPanic,
    ImmArray,
    ImmMap,
    Opaque,
    TengoRuntimeErr,
    TError,
    Time,
    is_compiled_function,
    to_string,
    type_name,
)


class ArgTypeError(TengoRuntimeErr):
    pass


def wrong_args(fn_type: str) -> TengoRuntimeErr:
    return TengoRuntimeErr(f"wrong number of arguments in call to '{fn_type}'")


def bad_type(fn_type: str, name: str, expected: str, found: Any) -> TengoRuntimeErr:
    return TengoRuntimeErr(
        f"invalid type for argument '{name}' in call to '{fn_type}': expected {expected}, found {type_name(found)}")


_ORD = {0: "first", 1: "second", 2: "third"}

BUILTINS: dict[str, Callable[..., Any]] = {}


def builtin(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a builtin; scripts call it through `ops.metered`, which charges its result to the memory meter."""
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        BUILTINS[name] = metered(fn)
        BUILTIN_NAMES[BUILTINS[name]] = name
        return fn
    return deco


def _len_of(x: Any) -> int:
    t = type(x)
    if t is str:
        return len(x) if x.isascii() else len(x.encode("utf-8", "surrogateescape"))
    if t in (list, ImmArray, dict, ImmMap, bytes):
        return len(x)
    raise bad_type("builtin-function:len", "first", "array/string/bytes/map", x)


@builtin("len")
def b_len(*args: Any) -> int:
    if len(args) != 1:
        raise wrong_args("builtin-function:len")
    return _len_of(args[0])


def copy_value(v: Any) -> Any:
    t = type(v)
    if t is list or t is ImmArray:
        made(len(v) << 3)  # an array held many times is copied each time: metered as it goes
        return [copy_value(e) for e in v]
    if t is dict or t is ImmMap:
        made(len(v) << 3)
        return {k: copy_value(e) for k, e in v.items()}
    if t is Char:
        return Char(v.v)
    if t is TError:
        return TError(copy_value(v.value))
    if t is Time:
        return Time(v.ns, v.off, v.zone)
    return v


@builtin("copy")
def b_copy(*args: Any) -> Any:
    if len(args) != 1:
        raise wrong_args("builtin-function:copy")
    return copy_value(args[0])


@builtin("freeze")
def b_freeze(*args: Any) -> Any:
    """An immutable copy of arrays and maps, all the way down (a structure that holds itself stays one)."""
    if len(args) != 1:
        raise wrong_args("builtin-function:freeze")
    return _freeze(args[0], {})


def _freeze(v: Any, memo: dict[int, Any]) -> Any:
    t = type(v)
    if t is list or t is ImmArray:
        if id(v) in memo:
            return memo[id(v)]
        made(len(v) << 3)  # a copy, metered as it walks (as copy's)
        out = memo[id(v)] = ImmArray()
        out.extend(_freeze(e, memo) for e in v)
        return out
    if t is dict or t is ImmMap:
        if id(v) in memo:
            return memo[id(v)]
        made(len(v) << 3)
        out = memo[id(v)] = ImmMap()
        out.update((k, _freeze(e, memo)) for k, e in v.items())
        return out
    return v


@builtin("append")
def b_append(*args: Any) -> Any:
    if len(args) < 2:
        raise wrong_args("builtin-function:append")
    a = args[0]
    if type(a) is list or type(a) is ImmArray:
        if len(a) + len(args) > SMALL >> 3:
            made((len(a) + len(args)) * 8)
        return [*a, *args[1:]]
    raise bad_type("builtin-function:append", "first", "array", a)


@builtin("delete")
def b_delete(*args: Any) -> None:
    if len(args) != 2:
        raise wrong_args("builtin-function:delete")
    m, k = args
    if type(m) is not dict:
        raise bad_type("builtin-function:delete", "first", "map", m)
    if type(k) is not str:
        raise bad_type("builtin-function:delete", "second", "string", k)
    m.pop(k, None)
    return None


@builtin("splice")
def b_splice(*args: Any) -> Any:
    if not args:
        raise wrong_args("builtin-function:splice")
    arr = args[0]
    if type(arr) is not list:
        raise bad_type("builtin-function:splice", "first", "array", arr)
    n = len(arr)
    start = 0
    if len(args) > 1:
        if type(args[1]) is not int:
            raise bad_type("builtin-function:splice", "second", "int", args[1])
        start = args[1]
        if start < 0 or start > n:
            raise TengoRuntimeErr("index out of bounds")
    count = n
    if len(args) > 2:
        if type(args[2]) is not int:
            raise bad_type("builtin-function:splice", "third", "int", args[2])
        count = args[2]
        if count < 0:
            raise TengoRuntimeErr("index out of bounds")
    if start + count > n:
        count = n - start
    deleted = arr[start:start + count]
    arr[start:start + count] = list(args[3:])
    return deleted


@builtin("string")
def b_string(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise wrong_args("builtin-function:string")
    v = args[0]
    if type(v) is str:
        return v
    if v is not None:
        return to_string(v)
    return args[1] if len(args) == 2 else None


def parse_go_int10(s: str) -> int | None:
    """strconv.ParseInt(s, 10, 64)."""
    if not s or s != s.strip() or "_" in s:
        return None
    body = s[1:] if s[0] in "+-" else s
    if not body.isdigit() or not body.isascii():
        return None
    v = int(s)
    return v if MIN_INT <= v <= MAX_INT else None


def to_int64(v: Any) -> int | None:
    t = type(v)
    if t is int:
        return v
    if t is float:
        if v != v or v >= 9.223372036854775807e18 or v < -9.223372036854775808e18:
            return MIN_INT  # Go's int64(float) on amd64 for out-of-range values
        return int(v)
    if t is Char:
        return v.v
    if t is bool:
        return 1 if v else 0
    if t is str:
        return parse_go_int10(v)
    return None


@builtin("int")
def b_int(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise wrong_args("builtin-function:int")
    r = to_int64(args[0])
    if r is not None:
        return r
    return args[1] if len(args) == 2 else None


def parse_go_float(s: str) -> float | None:
    import re

    t = s.strip()
    if t != s or not t:
        return None
    low = t.lower().lstrip("+-")
    if low in ("inf", "infinity", "nan"):
        return float(t)
    if not re.fullmatch(r"[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?|[+-]?0[xX][0-9a-fA-F_.]+[pP][+-]?\d+", t):
        return None
    try:
        if "x" in t.lower():
            return float.fromhex(t.replace("_", ""))
        return float(t)
    except ValueError:
        return None


def to_float64(v: Any) -> float | None:
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)
    if t is str:
        return parse_go_float(v)
    return None


@builtin("float")
def b_float(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise wrong_args("builtin-function:float")
    r = to_float64(args[0])
    if r is not None:
        return r
    return args[1] if len(args) == 2 else None


def truthy(v: Any) -> bool:
    if type(v) is float:
        return v == v
    return bool(v)


@builtin("bool")
def b_bool(*args: Any) -> Any:
    if len(args) != 1:
        raise wrong_args("builtin-function:bool")
    return truthy(args[0])


@builtin("char")
def b_char(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise wrong_args("builtin-function:char")
    v = args[0]
    if type(v) is Char:
        return v
    if type(v) is int:
        return Char(wrap32(v))
    return args[1] if len(args) == 2 else None


@builtin("bytes")
def b_bytes(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise wrong_args("builtin-function:bytes")
    v = args[0]
    if type(v) is int:
        if v > 2147483647:
            raise TengoRuntimeErr("exceeding bytes size limit")
        if v > SMALL:
            made(v)
        if v < 0:
            raise GoPanic("makeslice: len out of range", runtime=True)
        return bytes(v)
    if type(v) is bytes:
        return v
    if type(v) is str:
        return v.encode("utf-8", "surrogateescape")
    return args[1] if len(args) == 2 else None


@builtin("time")
def b_time(*args: Any) -> Any:
    if len(args) not in (1, 2):
        raise wrong_args("builtin-function:time")
    v = args[0]
    if type(v) is Time:
        return v
    if type(v) is int:
        import time as _t

        lt = _t.localtime(v) if -62135596800 < v < 253402300800 else None
        return Time(v * 1_000_000_000, (lt.tm_gmtoff or 0) if lt else 0, (lt.tm_zone or "UTC") if lt else "UTC")
    return args[1] if len(args) == 2 else None


def _is(name: str, pred: Callable[[Any], bool]) -> None:
    fn_type = "builtin-function:" + name

    def f(*args: Any) -> bool:
        if len(args) != 1:
            raise wrong_args(fn_type)
        return pred(args[0])

    f.__name__ = "b_" + name
    BUILTINS[name] = f
    BUILTIN_NAMES[f] = name


def _callable(v: Any) -> bool:
    return callable(v) and type(v) is not Opaque and type(v) is not type


_is("is_int", lambda v: type(v) is int)
_is("is_float", lambda v: type(v) is float)
_is("is_string", lambda v: type(v) is str)
_is("is_bool", lambda v: type(v) is bool)
_is("is_char", lambda v: type(v) is Char)
_is("is_bytes", lambda v: type(v) is bytes)
_is("is_array", lambda v: type(v) is list)
_is("is_immutable_array", lambda v: type(v) is ImmArray)
_is("is_map", lambda v: type(v) is dict)
_is("is_immutable_map", lambda v: type(v) is ImmMap)
_is("is_iterable", lambda v: v is None or type(v) in (list, ImmArray, dict, ImmMap, str, bytes))
_is("is_time", lambda v: type(v) is Time)
_is("is_error", lambda v: type(v) is TError)
_is("is_undefined", lambda v: v is None)
_is("is_function", is_compiled_function)
_is("is_callable", _callable)


@builtin("type_name")
def b_type_name(*args: Any) -> str:
    if len(args) != 1:
        raise wrong_args("builtin-function:type_name")
    return type_name(args[0])


def format_args(fn_type: str, args: tuple) -> tuple[str, list]:
    """The format string and its values, checked as `format`, `fmt.sprintf` and `fmt.printf` check them."""
    if not args:
        raise wrong_args(fn_type)
    if type(args[0]) is not str:
        raise bad_type(fn_type, "format", "string", args[0])
    return args[0], list(args[1:])


@builtin("format")
def b_format(*args: Any) -> Any:
    f, values = format_args("builtin-function:format", args)
    return format_values(f, values) if values else f


@builtin("range")
def b_range(*args: Any) -> list:
    if len(args) not in (2, 3):
        raise wrong_args("builtin-function:range")
    for i, a in enumerate(args):
        if type(a) is not int:
            raise bad_type("builtin-function:range", ("start", "stop", "step")[i], "int", a)
    step = args[2] if len(args) == 3 else 1
    if step <= 0:
        raise TengoRuntimeErr("range step must be greater than 0")
    start, stop = args[0], args[1]
    made(abs(stop - start) // step * 8)  # 8 bytes an item, as `metered` counts: asked before it is made
    if start <= stop:
        return list(range(start, stop, step))
    return list(range(start, stop, -step))


__all__ = ["BUILTINS", "_str_chars", "copy_value"]
