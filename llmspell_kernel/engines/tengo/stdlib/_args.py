"""Argument helpers shared by stdlib modules (reference error texts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..builtins import bad_type, to_float64, to_int64, wrong_args
from ..meter import SMALL, made
from ..values import TError, to_string
from . import user_fn

_ORD = ["first", "second", "third", "fourth", "fifth", "sixth"]


def ordinal(i: int) -> str:
    return _ORD[i] if i < len(_ORD) else str(i)


def as_int(fn: str, args: tuple, i: int) -> int:
    r = to_int64(args[i])
    if r is None:
        raise bad_type(fn, ordinal(i), "int(compatible)", args[i])
    return r


def as_float(fn: str, args: tuple, i: int) -> float:
    r = to_float64(args[i])
    if r is None:
        raise bad_type(fn, ordinal(i), "float(compatible)", args[i])
    return r


def as_str(fn: str, args: tuple, i: int) -> str:
    v = args[i]
    if v is None:
        raise bad_type(fn, ordinal(i), "string(compatible)", v)
    return to_string(v)


def as_bool(fn: str, args: tuple, i: int) -> bool:
    v = args[i]
    if type(v) is float:
        return v == v
    return bool(v)


def as_bytes(fn: str, args: tuple, i: int) -> bytes:
    v = args[i]
    if type(v) is bytes:
        return v
    if type(v) is str:
        return v.encode("utf-8", "surrogateescape")
    raise bad_type(fn, ordinal(i), "bytes(compatible)", v)


def as_size(fn: str, args: tuple, i: int) -> int:
    """An int that sizes the result (a width, a precision): a large one asks the memory meter before it is made."""
    n = as_int(fn, args, i)
    if n > SMALL:
        made(n)
    return n


def as_bytes_or_str(fn: str, args: tuple, i: int) -> bytes:
    if type(args[i]) not in (bytes, str):
        raise bad_type(fn, ordinal(i), "bytes/string", args[i])
    return as_bytes(fn, args, i)


def define(mod: dict, name: str, nargs: int | tuple[int, int], conv: str, impl: Callable[..., Any],
           anonymous: bool = False) -> None:
    """Register name: checks count, converts args per `conv` letters (i f s b y Y a, n: an int that sizes the result).

    `anonymous`: the reference registers the function without a name (its errors say 'user-function:')."""
    fn_type = "user-function:" + ("" if anonymous else name)
    lo, hi = (nargs, nargs) if isinstance(nargs, int) else nargs
    convs = {"i": as_int, "f": as_float, "s": as_str, "b": as_bool, "y": as_bytes, "Y": as_bytes_or_str,
             "n": as_size}

    def f(*args: Any) -> Any:
        if not lo <= len(args) <= hi:
            raise wrong_args(fn_type)
        conv_args = [convs[c](fn_type, args, k) if c in convs else args[k] for k, c in zip(range(len(args)), conv)]  # noqa: B905
        return impl(*conv_args)

    f.__name__ = "u_" + name
    mod[name] = user_fn("" if anonymous else name, f)


def err(msg: str) -> TError:
    return TError(msg)
