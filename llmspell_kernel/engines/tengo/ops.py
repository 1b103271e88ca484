"""Slow paths of Tengo's operators, with the reference's exact error texts.

Generated code inlines the int fast paths and falls back to these.
"""

from __future__ import annotations

import math
from itertools import chain, islice
from typing import Any

from .meter import SMALL, made
from .values import (
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
    to_str,
    to_string,
    type_name,
    wrap64,
)

_inf = float("inf")

def _bad(a: Any, op: str, b: Any) -> TengoRuntimeErr:
    return TengoRuntimeErr(f"invalid operation: {type_name(a)} {op} {type_name(b)}")


def _fdiv(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int:
        if tb is int:
            r = a + b
            return r if MIN_INT <= r <= MAX_INT else wrap64(r)
        if tb is float:
            return a + b
        if tb is Char:
            return Char(wrap32(a + b.v))
    elif ta is float:
        if tb is float or tb is int:
            return a + b
    elif ta is str:
        if tb is str:
            if len(a) + len(b) > SMALL:
                made(len(a) + len(b))
            return a + b
        return a + to_str(b)
    elif ta is list:
        if tb is list:
            if len(a) + len(b) > SMALL >> 3:
                made((len(a) + len(b)) * 8)
            return a + b if b else a
    elif ta is ImmArray:
        if tb is ImmArray:
            if len(a) + len(b) > SMALL >> 3:
                made((len(a) + len(b)) * 8)
            return a + b
    elif ta is Char:
        if tb is Char:
            return Char(wrap32(a.v + b.v))
        if tb is int:
            return Char(wrap32(a.v + b))
    elif ta is bytes:
        if tb is bytes:
            if len(a) + len(b) > SMALL:
                made(len(a) + len(b))
            return a + b
    elif ta is Time:
        if tb is int:
            return Time(a.ns + b, a.off, a.zone) if b else a
    raise _bad(a, "+", b)


def wrap32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v > 0x7FFFFFFF else v


def sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int:
        if tb is int:
            r = a - b
            return r if MIN_INT <= r <= MAX_INT else wrap64(r)
        if tb is float:
            return a - b
        if tb is Char:
            return Char(wrap32(a - b.v))
    elif ta is float:
        if tb is float or tb is int:
            return a - b
    elif ta is Char:
        if tb is Char:
            return Char(wrap32(a.v - b.v))
        if tb is int:
            return Char(wrap32(a.v - b))
    elif ta is Time:
        if tb is int:
            return Time(a.ns - b, a.off, a.zone) if b else a
        if tb is Time:
            return wrap64(a.ns - b.ns)
    raise _bad(a, "-", b)


def mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int:
        if tb is int:
            r = a * b
            return r if MIN_INT <= r <= MAX_INT else wrap64(r)
        if tb is float:
            return a * b
    elif ta is float:
        if tb is float or tb is int:
            return a * b
    raise _bad(a, "*", b)


def quo(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int:
        if tb is int:
            if b == 0:
                raise GoPanic("integer divide by zero", runtime=True)
            q = abs(a) // abs(b)
            q = q if (a < 0) == (b < 0) else -q
            return q if q <= MAX_INT else wrap64(q)
        if tb is float:
            return _fdiv(float(a), b)
    elif ta is float:
        if tb is float or tb is int:
            return _fdiv(a, float(b))
    raise _bad(a, "/", b)


def rem(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise GoPanic("integer divide by zero", runtime=True)
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    raise _bad(a, "%", b)


def band(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a & b
    raise _bad(a, "&", b)


def bor(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a | b
    raise _bad(a, "|", b)


def bxor(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a ^ b
    raise _bad(a, "^", b)


def andnot(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a & ~b
    raise _bad(a, "&^", b)


def shl(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        n = b & 0xFFFFFFFFFFFFFFFF  # Go converts the count to uint64
        if n >= 64:
            return 0
        return wrap64(a << n)
    raise _bad(a, "<<", b)


def shr(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        n = b & 0xFFFFFFFFFFFFFFFF
        if n >= 64:
            return -1 if a < 0 else 0
        return a >> n
    raise _bad(a, ">>", b)


def _cmp(a: Any, b: Any, op: str) -> int | None:
    """-1/0/1 ordering for comparable pairs, None when invalid."""
    ta, tb = type(a), type(b)
    if ta is int or ta is float:
        if tb is int or tb is float:
            x, y = a, b
        elif tb is Char and ta is int:
            x, y = a, b.v
        else:
            return None
    elif ta is Char:
        if tb is Char:
            x, y = a.v, b.v
        elif tb is int:
            x, y = a.v, b
        else:
            return None
    elif ta is str and tb is str:
        x, y = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
    elif ta is Time and tb is Time:
        x, y = a.ns, b.ns
    else:
        return None
    if x != x or y != y:  # NaN: every ordering is false
        return 2
    return (x > y) - (x < y)


def _order(x: Any, y: Any, op: str, shown: tuple) -> int:
    """_cmp(x, y); a failure is worded with `shown` (left, operator, right) as the source wrote it."""
    c = _cmp(x, y, op)
    if c is None:
        raise _bad(*shown)
    return c


def gt(a: Any, b: Any) -> bool:
    return _order(a, b, ">", (a, ">", b)) == 1


def ge(a: Any, b: Any) -> bool:
    return _order(a, b, ">=", (a, ">=", b)) in (0, 1)


def lt(a: Any, b: Any) -> bool:
    return _order(b, a, ">", (a, "<", b)) == 1


def le(a: Any, b: Any) -> bool:
    return _order(b, a, ">=", (a, "<=", b)) in (0, 1)


def eq(a: Any, b: Any) -> bool:
    """Tengo's Equals (used for == and !=)."""
    ta, tb = type(a), type(b)
    if ta is int or ta is float:
        return (tb is int or tb is float) and a == b
    if ta is str or ta is bytes:
        return tb is ta and a == b
    if ta is bool:
        return tb is bool and a is b
    if a is None:
        return b is None
    if ta is Char:
        return tb is Char and a.v == b.v
    if ta is list or ta is ImmArray:
        if (tb is not list and tb is not ImmArray) or len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=False):
            if not eq(x, y):
                return False
        return True
    if ta is dict or ta is ImmMap:
        if (tb is not dict and tb is not ImmMap) or len(a) != len(b):
            return False
        for k, x in a.items():
            if not eq(x, b.get(k)):
                return False
        return True
    if ta is Time:
        return tb is Time and a.ns == b.ns
    if ta is TError or ta is Opaque:
        return a is b
    return False  # functions never compare equal


def neg(x: Any) -> Any:
    t = type(x)
    if t is int:
        return wrap64(-x)
    if t is float:
        return -x
    raise TengoRuntimeErr(f"invalid operation: -{type_name(x)}")


def bnot(x: Any) -> Any:
    if type(x) is int:
        return ~x
    raise TengoRuntimeErr(f"invalid operation: ^{type_name(x)}")


def truthy(x: Any) -> bool:
    if type(x) is float:
        return x == x
    return bool(x)


# --- indexing ------------------------------------------------------------

# chars are immutable values (no operation changes one in place): iterating a string shares these
_ASCII_CHARS = tuple(Char(c) for c in range(128))


def _chars_of(s: str) -> list[Char]:
    """A string's runes as char values (for-in over a string)."""
    if s.isascii():
        return [_ASCII_CHARS[ord(c)] for c in s]
    return [Char(c) for c in _str_chars(s)]


def _str_chars(s: str) -> list[int]:
    """Runes of a Go string (invalid bytes decode to U+FFFD)."""
    if s.isascii():
        return [ord(c) for c in s]
    return [0xFFFD if 0xDC80 <= ord(c) <= 0xDCFF else ord(c) for c in s]


def index(x: Any, i: Any) -> Any:
    t = type(x)
    if t is list or t is ImmArray:
        if type(i) is not int:
            raise TengoRuntimeErr(f"invalid index type: {type_name(i)}")
        return x[i] if 0 <= i < len(x) else None
    if t is dict or t is ImmMap:
        if i is None:
            raise TengoRuntimeErr("invalid index type: undefined")
        return x.get(i if type(i) is str else to_string(i))
    if t is str:
        if type(i) is not int:
            raise TengoRuntimeErr(f"invalid index type: {type_name(i)}")
        if x.isascii():
            return Char(ord(x[i])) if 0 <= i < len(x) else None
        rs = _str_chars(x)
        return Char(rs[i]) if 0 <= i < len(rs) else None
    if t is bytes:
        if type(i) is not int:
            raise TengoRuntimeErr(f"invalid index type: {type_name(i)}")
        return x[i] if 0 <= i < len(x) else None
    if x is None:
        return None
    if t is TError:
        if to_string(i) != "value":
            raise TengoRuntimeErr("invalid index on error")
        return x.value
    if t is Opaque:
        return opaque_attr(x, i)
    raise TengoRuntimeErr(f"not indexable: {type_name(i)}")  # the reference names the index's type here


def opaque_attr(x: Opaque, i: Any) -> Any:
    from .convert import to_tengo

    allowed = getattr(type(x.obj), "__tengo_attrs__", None)
    if type(i) is not str or not allowed or i not in allowed:
        raise TengoRuntimeErr(f"not indexable: {type_name(x)}")
    return to_tengo(getattr(x.obj, i))


def index_for_set(x: Any, i: Any) -> Any:
    """IndexGet used while walking an assignment's selector chain."""
    try:
        return index(x, i)
    except TengoRuntimeErr as e:
        if e.message.startswith("not indexable"):
            raise TengoRuntimeErr(f"not indexable: {type_name(x)}") from None
        raise


def set_index(x: Any, i: Any, v: Any) -> None:
    t = type(x)
    if t is list:
        n = to_int_index(i)
        if n is None:
            raise TengoRuntimeErr(f"invalid index type: {type_name(i)}")
        if n < 0 or n >= len(x):
            raise TengoRuntimeErr("index out of bounds")
        x[n] = v
        return
    if t is dict:
        if i is None:
            raise TengoRuntimeErr("invalid index type: undefined")
        x[i if type(i) is str else to_string(i)] = v
        return
    raise TengoRuntimeErr(f"not index-assignable: {type_name(x)}")


def to_int_index(i: Any) -> int | None:
    t = type(i)
    if t is int:
        return i
    if t is float:
        return int(i) if i == i and abs(i) < 9.3e18 else MIN_INT
    if t is Char:
        return i.v
    if t is bool:
        return 1 if i else 0
    if t is str:
        try:
            return int(i, 10) if i.strip() == i and "_" not in i else None
        except ValueError:
            return None
    return None


def slice_(x: Any, lo: Any, hi: Any) -> Any:
    lo_i = 0
    if lo is not None:
        if type(lo) is not int:
            raise TengoRuntimeErr(f"invalid slice index type: {type_name(lo)}")
        lo_i = lo
    t = type(x)
    if t is str and not x.isascii():
        data: Any = x.encode("utf-8", "surrogateescape")
    elif t in (list, ImmArray, str, bytes):
        data = x
    else:
        raise TengoRuntimeErr(f"not indexable: {type_name(x)}")
    n = len(data)
    if hi is None:
        hi_i = n
    elif type(hi) is int:
        hi_i = hi
    else:
        raise TengoRuntimeErr(f"invalid slice index type: {type_name(hi)}")
    if lo_i > hi_i:
        raise TengoRuntimeErr(f"invalid slice index: {lo_i} > {hi_i}")
    lo_i = min(max(lo_i, 0), n)
    hi_i = min(max(hi_i, 0), n)
    r = data[lo_i:hi_i]
    if t is str:
        return r if type(r) is str else r.decode("utf-8", "surrogateescape")
    if t is ImmArray:
        return list(r)
    return r


# --- iteration -----------------------------------------------------------

def iterate(x: Any) -> Any:
    """(key, value) pairs for a for-in loop."""
    t = type(x)
    if t is list or t is ImmArray:
        return zip(range(len(x)), x, strict=False)
    if t is dict or t is ImmMap:
        return _map_iter(x)
    if t is str:
        return enumerate(_chars_of(x))
    if t is bytes:
        return enumerate(x)
    if x is None:
        return ()
    raise TengoRuntimeErr(f"not iterable: {type_name(x)}")


def _map_iter(m: dict) -> Any:
    for k in list(m):
        yield k, m.get(k)


def _ticked_map_iter(m: dict, every: int, tick: Any) -> Any:
    n = every
    for k in list(m):
        yield k, m.get(k)
        n -= 1
        if not n:
            n = every
            tick()


def _seq_chunks(x: Any, every: int, tick: Any) -> Any:
    it = iter(x)
    lo, hi = 0, len(x)
    while True:
        nxt = lo + every
        if nxt >= hi:
            yield zip(range(lo, hi), it, strict=False)
            return
        yield zip(range(lo, nxt), islice(it, every), strict=False)
        lo = nxt
        tick()


def ticked_iterate(x: Any, every: int, tick: Any) -> Any:
    """iterate() that calls tick() every `every` items (between chunks for sequences),
    so that for-in loop bodies carry no budget check."""
    t = type(x)
    if t is dict or t is ImmMap:
        return _ticked_map_iter(x, every, tick) if len(x) > every else _map_iter(x)
    if t is list or t is ImmArray or t is bytes:
        if len(x) <= every:
            return zip(range(len(x)), x, strict=False)
        return chain.from_iterable(_seq_chunks(x, every, tick))
    if t is str:
        chars = _chars_of(x)
        if len(chars) <= every:
            return enumerate(chars)
        return chain.from_iterable(_seq_chunks(chars, every, tick))
    return iterate(x)


def spread(x: Any) -> Any:
    if type(x) is list or type(x) is ImmArray:
        return x
    raise TengoRuntimeErr(f"not an array: {type_name(x)}")


def make_error(v: Any) -> TError:
    return TError(v)


def make_immutable(v: Any) -> Any:
    t = type(v)
    if t is list:
        return ImmArray(v)
    if t is dict:
        return ImmMap(v)
    return v


def count_up(i: Any, e: Any, inclusive: bool, every: int, tick: Any) -> Any:
    """Generic `for i := a; i < e; i++` iteration with Tengo operators (ticks every `every`)."""
    n = every
    while (le(i, e) if inclusive else lt(i, e)):
        yield i
        i = add(i, 1)
        n -= 1
        if not n:
            n = every
            tick()


def _chunks(lo: int, hi: int, every: int, tick: Any) -> Any:
    while True:
        nxt = lo + every
        if nxt >= hi:
            yield range(lo, hi)
            return
        yield range(lo, nxt)
        lo = nxt
        tick()


def ticked_range(lo: int, hi: int, every: int, tick: Any) -> Any:
    """range(lo, hi) that calls tick() between chunks of `every` iterations, so the
    loop body itself carries no budget check."""
    if hi - lo <= every:
        return range(lo, hi)
    return chain.from_iterable(_chunks(lo, hi, every, tick))
