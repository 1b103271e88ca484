"""math: Go's math package over floats."""

from __future__ import annotations

import math
import sys
from decimal import Decimal
from typing import Any

from ._args import define

_INF = float("inf")


def _safe(fn: Any) -> Any:
    def g(*a: Any) -> float:
        try:
            return float(fn(*a))
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return _INF
    return g


def _log(x: float) -> float:
    if x == 0:
        return -_INF
    if x < 0 or x != x:
        return math.nan
    return math.log(x) if x != _INF else _INF


_INV_LN2 = float(1 / Decimal("0.693147180559945309417232121458176568"))
_LN2_OVER_LN10 = float(Decimal("0.693147180559945309417232121458176568") /
                       Decimal("2.30258509299404568401799145468436421"))
MIN_INT32, MAX_INT32 = -(2**31), 2**31 - 1


def _log2(x: float) -> float:
    """Go's Log2: exact for powers of two, else Log(frac)/Ln2 + exp (which log10 builds on, as Go's does)."""
    if x != x or x <= 0 or x == _INF:
        return _log(x)
    frac, exp = math.frexp(x)
    if frac == 0.5:
        return float(exp - 1)
    return math.log(frac) * _INV_LN2 + exp


def _ilogb(x: float) -> int:
    if x == 0:
        return MIN_INT32
    if x != x or x in (_INF, -_INF):
        return MAX_INT32
    return math.frexp(x)[1] - 1


def _logb(x: float) -> float:
    if x == 0:
        return -_INF
    if x in (_INF, -_INF):
        return _INF
    return x if x != x else float(_ilogb(x))


def _integral(fn: Any) -> Any:
    """floor, ceil, trunc as Go's: a float result, the sign of zero kept, infinities and NaN unchanged."""
    def g(x: float) -> float:
        if x != x or x in (_INF, -_INF):
            return x
        r = float(fn(x))
        return math.copysign(r, x) if r == 0 else r
    return g


def _cbrt(x: float) -> float:
    """A cube root exact for perfect cubes, as Go's is (the C library's cbrt(27) is 3.0000000000000004)."""
    r = math.cbrt(x)
    near = round(r)
    return float(near) if near ** 3 == x else r


def _atanh(x: float) -> float:
    return math.copysign(_INF, x) if abs(x) == 1 else math.atanh(x)


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except ZeroDivisionError:
        return _INF
    except (OverflowError, ValueError):
        if x < 0 and y != int(y):
            return math.nan
        return _INF


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "e": math.e, "pi": math.pi, "phi": (1 + math.sqrt(5)) / 2, "sqrt2": math.sqrt(2),
        "sqrtE": math.sqrt(math.e), "sqrtPi": math.sqrt(math.pi), "sqrtPhi": math.sqrt((1 + math.sqrt(5)) / 2),
        "ln2": math.log(2), "log2E": 1 / math.log(2), "ln10": math.log(10), "log10E": 1 / math.log(10),
        "maxFloat32": 3.4028234663852886e38, "smallestNonzeroFloat32": 1.401298464324817e-45,
        "maxFloat64": sys.float_info.max, "smallestNonzeroFloat64": 5e-324,
        "maxInt": 9223372036854775807, "minInt": -9223372036854775808,
        "maxInt8": 127, "minInt8": -128, "maxInt16": 32767, "minInt16": -32768,
        "maxInt32": 2147483647, "minInt32": -2147483648, "maxInt64": 9223372036854775807,
        "minInt64": -9223372036854775808,
    }
    f1 = {
        "abs": abs, "acos": math.acos, "acosh": math.acosh, "asin": math.asin, "asinh": math.asinh,
        "atan": math.atan, "atanh": _atanh, "cbrt": _cbrt,
        "ceil": _integral(math.ceil), "cos": math.cos, "cosh": math.cosh, "erf": math.erf, "erfc": math.erfc,
        "exp": math.exp, "exp2": lambda x: 2.0 ** x, "expm1": math.expm1, "floor": _integral(math.floor),
        "gamma": math.gamma, "log": _log, "log10": lambda x: _log2(x) * _LN2_OVER_LN10,
        "log1p": lambda x: -_INF if x == -1 else math.log1p(x), "log2": _log2, "logb": _logb,
        "sin": math.sin, "sinh": math.sinh, "sqrt": math.sqrt, "tan": math.tan, "tanh": math.tanh,
        "trunc": _integral(math.trunc),
    }
    for name, fn in f1.items():
        if callable(fn):
            define(m, name, 1, "f", _safe(fn))
    f2 = {
        "atan2": math.atan2, "copysign": math.copysign, "dim": lambda x, y: max(x - y, 0.0),
        "hypot": math.hypot, "max": lambda x, y: max(x, y), "min": lambda x, y: min(x, y),
        "mod": math.fmod, "nextafter": math.nextafter, "pow": _pow, "remainder": math.remainder,
    }
    for name, fn in f2.items():
        define(m, name, 2, "ff", _safe(fn))
    define(m, "inf", 1, "i", lambda s: _INF if s >= 0 else -_INF)
    define(m, "is_inf", 2, "fi", lambda f, s: (s >= 0 and f == _INF) or (s <= 0 and f == -_INF))
    define(m, "is_nan", 1, "f", lambda f: f != f)
    define(m, "nan", 0, "", lambda: math.nan)
    define(m, "signbit", 1, "f", lambda f: math.copysign(1.0, f) < 0)
    define(m, "ilogb", 1, "f", _ilogb)
    define(m, "ldexp", 2, "fi", _safe(math.ldexp))
    define(m, "pow10", 1, "i", lambda n: 10.0 ** n if n < 309 else _INF)
    return m
