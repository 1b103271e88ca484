"""enum: the reference's source module, written in Python (same semantics)."""

from __future__ import annotations

from typing import Any

from ..ops import iterate, slice_
from ..values import ImmArray, ImmMap, TengoRuntimeErr


def _enumerable(x: Any) -> bool:
    return type(x) in (list, dict, ImmArray, ImmMap)


def _truthy(v: Any) -> bool:
    return v == v if type(v) is float else bool(v)


def make(rt: Any) -> dict[str, Any]:
    def fn2(name: str, impl: Any) -> Any:
        def f(*args: Any) -> Any:
            if len(args) != 2:
                raise TengoRuntimeErr(f"wrong number of arguments: want=2, got={len(args)}")
            return impl(*args)
        f.__name__ = "tf_enum_" + name
        return f

    def all_(x: Any, fn: Any) -> bool:
        if not _enumerable(x):
            return False
        return all(_truthy(fn(k, v)) for k, v in iterate(x))

    def any_(x: Any, fn: Any) -> bool:
        if not _enumerable(x):
            return False
        return any(_truthy(fn(k, v)) for k, v in iterate(x))

    def chunk(x: Any, size: Any) -> Any:
        if type(x) not in (list, ImmArray) or not x:
            return []
        res, idx = [], 0
        from ..ops import add
        while idx < len(x):
            res.append(slice_(x, idx, add(idx, size)))
            idx = add(idx, size)
        return res

    def at(x: Any, index: Any) -> Any:
        if not _enumerable(x):
            return None
        from ..ops import index as idx
        return idx(x, index)

    def each(x: Any, fn: Any) -> None:
        if _enumerable(x):
            for k, v in iterate(x):
                fn(k, v)

    def filter_(x: Any, fn: Any) -> Any:
        if type(x) not in (list, ImmArray):
            return x
        return [v for k, v in iterate(x) if _truthy(fn(k, v))]

    def find(x: Any, fn: Any) -> Any:
        if _enumerable(x):
            for k, v in iterate(x):
                if _truthy(fn(k, v)):
                    return v
        return None

    def find_index(x: Any, fn: Any) -> Any:
        if _enumerable(x):
            for k, v in iterate(x):
                if _truthy(fn(k, v)):
                    return k
        return None

    def map_(x: Any, fn: Any) -> Any:
        if not _enumerable(x):
            return []
        return [fn(k, v) for k, v in iterate(x)]

    m = {name: fn2(name, impl) for name, impl in [
        ("all", all_), ("any", any_), ("chunk", chunk), ("at", at), ("each", each), ("filter", filter_),
        ("find", find), ("find_index", find_index), ("map", map_),
        ("key", lambda k, v: k), ("value", lambda k, v: v)]}
    return m
