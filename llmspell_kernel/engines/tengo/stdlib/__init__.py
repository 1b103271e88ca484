"""Tengo standard library modules, loaded lazily by name (one file each)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..meter import metered
from ..values import USER_FUNC_NAMES, ImmMap


def user_fn(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register fn as a Tengo user-function (type name 'user-function:<name>'), its result metered (`ops.metered`)."""
    fn = metered(fn)
    USER_FUNC_NAMES[fn] = name
    return fn


def load_module(name: str, rt: Any) -> ImmMap:
    mod = importlib.import_module(f"{__name__}.{name}_mod")
    attrs = mod.make(rt)
    attrs["__module_name__"] = name
    return ImmMap(attrs)
