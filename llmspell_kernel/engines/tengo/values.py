"""Runtime values of Tengo mapped onto Python for speed.

int -> int (kept in int64 range), float -> float, string -> str (invalid
UTF-8 bytes as surrogateescape), bool -> bool, undefined -> None,
array -> list, map -> dict, bytes -> bytes. Small classes cover the rest:
Char, TError, ImmArray, ImmMap, Time, Opaque.
"""

from __future__ import annotations

import datetime as _dt
import weakref
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from .meter import made

MAX_INT = 0x7FFFFFFFFFFFFFFF
MIN_INT = -0x8000000000000000


class TengoRuntimeErr(Exception):
    """A Tengo runtime error raised inside generated code or helpers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GoPanic(TengoRuntimeErr):
    """Where the reference's Go code panics: a runtime error here; the CLI prints `panic: ...` and exits with 2.
    `runtime`: a Go runtime panic (its text starts `runtime error: `)."""

    def __init__(self, message: str, runtime: bool = False) -> None:
        super().__init__(message)
        self.panic_text = ("runtime error: " if runtime else "") + message


def wrap64(v: int) -> int:
    """Two's complement wraparound into int64, as Go arithmetic does."""
    v &= 0xFFFFFFFFFFFFFFFF
    return v - 0x10000000000000000 if v > MAX_INT else v


class Char:
    __slots__ = ("v",)

    def __init__(self, v: int) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return type(other) is Char and other.v == self.v  # type: ignore[union-attr]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("char", self.v))

    def __bool__(self) -> bool:
        return self.v != 0

    def __repr__(self) -> str:
        return f"Char({self.v})"


class TError:
    """Tengo `error` value: falsy, compared by identity."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"TError({self.value!r})"


class ImmArray(list):
    """immutable-array: a list the generated code never writes to."""

    __slots__ = ()


class ImmMap(dict):
    """immutable-map."""

    __slots__ = ()


class Opaque:
    """A host object passed through; only `__tengo_attrs__` names are visible."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __bool__(self) -> bool:
        return True


class Time:
    """time value: nanoseconds since the Unix epoch plus a zone."""

    __slots__ = ("loc", "ns", "off", "zone")

    def __init__(self, ns: int, off: int = 0, zone: str = "UTC", loc: str | None = None) -> None:
        self.ns = ns
        self.off = off
        self.zone = zone  # the abbreviation in effect ("EST")
        self.loc = loc  # the location's name ("America/New_York"), when it is not the abbreviation

    def __eq__(self, other: object) -> bool:
        return type(other) is Time and other.ns == self.ns  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(self.ns)

    def __bool__(self) -> bool:
        return self.ns != ZERO_TIME_NS

    def parts(self) -> _dt.datetime:
        secs, _ = divmod(self.ns, 1_000_000_000)
        tz = _dt.timezone(_dt.timedelta(seconds=self.off))
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc).astimezone(tz) + _dt.timedelta(seconds=secs)

    def nanos(self) -> int:
        return self.ns % 1_000_000_000


# Go's zero time (0001-01-01 00:00:00 UTC) in Unix nanoseconds.
ZERO_TIME_NS = -62135596800 * 1_000_000_000


def now_time() -> Time:
    import time as _time

    ns = _time.time_ns()
    lt = _time.localtime(ns // 1_000_000_000)
    return Time(ns, lt.tm_gmtoff or 0, lt.tm_zone or "UTC")


# --- type names ----------------------------------------------------------

BUILTIN_NAMES: dict[Any, str] = {}  # builtin function -> name
# stdlib/host function -> name; weak, so that per-object host functions (a handle's
# bound methods) die with the object instead of living as long as the process
USER_FUNC_NAMES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

_TYPE_NAMES = {
    int: "int", float: "float", str: "string", bool: "bool", type(None): "undefined",
    list: "array", dict: "map", bytes: "bytes", Char: "char", TError: "error",
    ImmArray: "immutable-array", ImmMap: "immutable-map", Time: "time",
}


def type_name(v: Any) -> str:
    t = type(v)
    n = _TYPE_NAMES.get(t)
    if n is not None:
        return n
    if t is FunctionType or t is BuiltinFunctionType or t is MethodType:
        b = BUILTIN_NAMES.get(v)
        if b is not None:
            return "builtin-function:" + b
        u = USER_FUNC_NAMES.get(v)
        if u is not None:
            return "user-function:" + u
        if t is FunctionType and v.__name__.startswith("tf_"):
            return "compiled-function"
        return "user-function:" + getattr(v, "__name__", "")
    if t is Opaque:
        return "opaque:" + type(v.obj).__name__
    if callable(v):
        return "user-function:" + getattr(v, "__name__", type(v).__name__)
    return "object"


def is_compiled_function(v: Any) -> bool:
    return type(v) is FunctionType and v.__name__.startswith("tf_") and v not in BUILTIN_NAMES


# --- string forms -------------------------------------------------------

def fmt_float_e(f: float) -> str:
    """Go strconv.FormatFloat(f, 'e', -1, 64): shortest digits, d.ddde±dd."""
    if f != f or f in (float("inf"), float("-inf")):
        return fmt_float(f)
    from decimal import Decimal

    sign, digits, exp = Decimal(repr(f)).normalize().as_tuple() if f else (int(str(f)[0] == "-"), (0,), 0)
    ds = "".join(map(str, digits))
    e10 = len(ds) - 1 + int(exp)
    mant = ("-" if sign else "") + ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{mant}e{'-' if e10 < 0 else '+'}{abs(e10):02d}"


def fmt_float(f: float) -> str:
    """Go strconv.FormatFloat(f, 'f', -1, 64): shortest digits, no exponent."""
    if f != f:
        return "NaN"
    if f == float("inf"):
        return "+Inf"
    if f == float("-inf"):
        return "-Inf"
    r = repr(f)
    neg = r.startswith("-")
    if neg:
        r = r[1:]
    if "e" in r:
        mant, exp_s = r.split("e")
        exp = int(exp_s)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    point = len(ip) + exp - (len(ip + fp) - len((ip + fp).lstrip("0")))
    digits = digits.rstrip("0")
    if not digits:
        out = "0"
    elif point <= 0:
        out = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        out = digits + "0" * (point - len(digits))
    else:
        out = digits[:point] + "." + digits[point:]
    return "-" + out if neg else out


_QUOTE_ESC = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v", 92: "\\\\", 34: '\\"'}


def go_quote(s: str, q: str = '"') -> str:
    """Go strconv.Quote."""
    out = [q]
    for ch in s:
        c = ord(ch)
        if 0xDC80 <= c <= 0xDCFF:  # raw invalid byte
            out.append(f"\\x{c - 0xDC00:02x}")
        elif ch == q or ch == "\\":
            out.append("\\" + ch)
        elif c < 0x80 and c in _QUOTE_ESC and ch != "'" and ch != '"':
            out.append(_QUOTE_ESC[c])
        elif ch.isprintable():
            out.append(ch)
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\x{c:02x}")
        elif 0xD800 <= c < 0xE000:
            out.append("\\ufffd")
        elif c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:
            out.append(f"\\U{c:08x}")
    out.append(q)
    return "".join(out)


def char_str(cp: int) -> str:
    if cp < 0 or cp > 0x10FFFF or 0xD800 <= cp < 0xE000:
        return "\ufffd"
    return chr(cp)


def time_str(t: Time) -> str:
    d = t.parts()
    s = d.strftime("%Y-%m-%d %H:%M:%S")
    if d.year < 1000:
        s = f"{d.year:04d}" + s[s.index("-"):]
    ns = t.nanos()
    if ns:
        s += "." + f"{ns:09d}".rstrip("0")
    off = t.off
    sign = "-" if off < 0 else "+"
    off = abs(off)
    s += f" {sign}{off // 3600:02d}{off % 3600 // 60:02d}"
    s += " " + (t.zone or f"{sign}{off // 3600:02d}{off % 3600 // 60:02d}")
    return s


def to_str(v: Any) -> str:
    """Object.String(): the display form used inside containers and by %v."""
    t = type(v)
    if t is str:
        return go_quote(v)
    if t is int:
        return str(v)
    if t is bool:
        return "true" if v else "false"
    if t is float:
        return fmt_float(v)
    if v is None:
        return "<undefined>"
    if t is list or t is ImmArray:
        made(len(v) << 3)  # an array held many times is written out each time: metered as it goes
        return "[" + ", ".join([to_str(e) for e in v]) + "]"
    if t is dict or t is ImmMap:
        made(len(v) << 3)
        return "{" + ", ".join([f"{k}: {to_str(e)}" for k, e in v.items()]) + "}"
    if t is Char:
        return char_str(v.v)
    if t is TError:
        return "error: " + to_str(v.value)
    if t is bytes:
        return v.decode("utf-8", "surrogateescape")
    if t is Time:
        return time_str(v)
    if t is Opaque:
        return f"<{type(v.obj).__name__}>"
    if callable(v):
        tn = type_name(v)
        if tn.startswith("builtin-function"):
            return "<builtin-function>"
        if tn == "compiled-function":
            return "<compiled-function>"
        return "<user-function>"
    return str(v)


def to_string(v: Any) -> str:
    """tengo.ToString: strings raw, undefined empty, everything else String()."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    return to_str(v)
