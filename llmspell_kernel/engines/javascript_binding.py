"""The API table as the JavaScript prelude binds it: one JSON descriptor, each function by index.

Walked generically from `NAMESPACES`, `HANDLES` and `ALIASES`: a namespace gets every function
under its name, its aliases and the camelCase form of multi-word names (`runAsync`); a namespace
with a `constructor` (Agent, State) can be called with `new`; a handle type becomes a prototype
whose properties are getters. A function with a fast path (`State.get`) is bound to try it first.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ..api import ALIASES, HANDLES, NAMESPACES, alias_functions
from ..api.spec import ApiFunction


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _names(fn: ApiFunction) -> list[str]:
    """A function's names in JS: its own, its aliases, and camelCase forms of multi-word ones."""
    names = [fn.name, *fn.aliases]
    return names + [_camel(n) for n in names if "_" in n.strip("_")]


class Table:
    """The API table as the prelude binds it: built once per process, since the table is static."""

    def __init__(self) -> None:
        from ..api.misc import FutureMethods

        # (function, its namespace's name or the type its handle wraps, whether it is a namespace's)
        self.functions: list[tuple[ApiFunction, Any, bool]] = []
        index: dict[int, int] = {}

        def add(fn: ApiFunction, owner: Any, is_ns: bool) -> tuple[int, bool, bool]:
            """(index, blocking, has a fast path): a namespace's fast path answers without JSON."""
            index[id(fn)] = len(self.functions)
            self.functions.append((fn, owner, is_ns))
            return (len(self.functions) - 1, fn.blocking, is_ns and fn.fast is not None)

        namespaces: dict[str, dict[str, tuple[int, bool]]] = {}
        constructors: dict[str, int] = {}
        for ns in NAMESPACES:
            entries = namespaces[ns.api_name] = {}
            for fn in ns.functions().values():
                entries.update(dict.fromkeys(_names(fn), add(fn, ns.api_name, True)))
            if ns.constructor is not None:
                constructors[ns.api_name] = index[id(ns.functions()[ns.constructor])]
        self.namespaces = [ns.api_name for ns in NAMESPACES]
        for alias in ALIASES:
            entries = namespaces[alias.name] = {}
            for short, fn in alias_functions(alias).items():
                spec = (index[id(fn)], fn.blocking, fn.fast is not None)  # shared; it only becomes JSON
                entries.update(dict.fromkeys([short, *([_camel(short)] if "_" in short else [])], spec))
        handles = {}
        for handle in HANDLES:
            methods, props = {}, {}
            for fn in handle.functions().values():
                if fn.is_property:
                    props[fn.name] = add(fn, handle.wraps, False)[0]
                else:
                    methods.update(dict.fromkeys(_names(fn), add(fn, handle.wraps, False)))
            handles[handle.api_name] = {"methods": methods, "props": props}
        self.descriptor = json.dumps({"namespaces": namespaces, "constructors": constructors, "handles": handles,
                                      "future": FutureMethods.api_name})


@functools.cache
def table() -> Table:
    """The table as the prelude binds it (built once per process)."""
    return Table()
