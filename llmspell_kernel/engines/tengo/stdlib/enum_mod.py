"""enum: the reference's source module (`enum`), written in Python with the same contract.

A non-enumerable `x` (anything but an array or a map, mutable or not) gives undefined; `chunk` and `filter`
take arrays only; `at` takes an int index for an array and a string key for a map (else undefined); a
callback's result counts by Tengo truthiness.
"""

from __future__ import annotations

from typing import Any

from ..ops import add, index, iterate, slice_, truthy
from ..values import ImmArray, ImmMap, TengoRuntimeErr

_ARRAYS = (list, ImmArray)
_ENUMERABLE = (list, dict, ImmArray, ImmMap)


def make(rt: Any) -> dict[str, Any]:
    def fn2(name: str, impl: Any) -> Any:
        def f(*args: Any) -> Any:
            if len(args) != 2:
                raise TengoRuntimeErr(f"wrong number of arguments: want=2, got={len(args)}")
            return impl(*args)
        f.__name__ = "tf_enum_" + name
        return f

    def all_(x: Any, fn: Any) -> Any:
        if type(x) not in _ENUMERABLE:
            return None
        return all(truthy(fn(k, v)) for k, v in iterate(x))

    def any_(x: Any, fn: Any) -> Any:
        if type(x) not in _ENUMERABLE:
            return None
        return any(truthy(fn(k, v)) for k, v in iterate(x))

    def chunk(x: Any, size: Any) -> Any:
        if type(x) not in _ARRAYS or not truthy(size):
            return None
        res, idx = [], 0
        while idx < len(x):
            res.append(slice_(x, idx, add(idx, size)))
            idx = add(idx, size)
        return res

    def at(x: Any, key: Any) -> Any:
        if type(x) not in _ENUMERABLE or type(key) is not (int if type(x) in _ARRAYS else str):
            return None
        return index(x, key)

    def each(x: Any, fn: Any) -> None:
        if type(x) in _ENUMERABLE:
            for k, v in iterate(x):
                fn(k, v)

    def filter_(x: Any, fn: Any) -> Any:
        if type(x) not in _ARRAYS:
            return None
        return [v for k, v in iterate(x) if truthy(fn(k, v))]

    def find(x: Any, fn: Any, want_key: bool = False) -> Any:
        if type(x) in _ENUMERABLE:
            for k, v in iterate(x):
                if truthy(fn(k, v)):
                    return k if want_key else v
        return None

    def map_(x: Any, fn: Any) -> Any:
        if type(x) not in _ENUMERABLE:
            return None
        return [fn(k, v) for k, v in iterate(x)]

    return {name: fn2(name, impl) for name, impl in [
        ("all", all_), ("any", any_), ("chunk", chunk), ("at", at), ("each", each), ("filter", filter_),
        ("find", find), ("find_key", lambda x, fn: find(x, fn, True)), ("map", map_),
        ("key", lambda k, v: k), ("value", lambda k, v: v)]}
