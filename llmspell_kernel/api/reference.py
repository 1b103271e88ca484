"""docs/api.md, rendered from the API table.

`python -m llmspell_kernel.api.reference` (from the project root) rewrites docs/api.md;
`--check` only compares, and exits 1 if the file is stale. The table is walked generically,
so a namespace or handle type added to `table.py` appears with no change here.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from .generated import generated_file_main
from .spec import Alias, ApiFunction
from .table import ALIASES, HANDLES, NAMESPACES, alias_functions, global_names

DEFAULT_OUTPUT = Path("docs") / "api.md"
FUNCTION = "<fn>"  # an example argument that stands for a script function (a callback)
FUTURE = "<future>"  # an example argument that stands for a future, held in the variable `future`
PLAIN_GLOBALS = "Plain globals"  # the title of the namespace without a name (`display`)

_LUA_KEYWORDS = frozenset({
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in", "local", "nil",
    "not", "or", "repeat", "return", "then", "true", "until", "while",
})
_TENGO_KEYWORDS = frozenset({
    "break", "continue", "else", "for", "func", "error", "immutable", "if", "return", "export", "true", "false",
    "in", "undefined", "import",
})
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Syntax:
    """How one engine's language spells the literals and calls of an example."""

    title: str
    name: str  # the Markdown fence's language
    nil: str
    function: str  # the literal that FUNCTION stands for
    list_open: str
    list_close: str
    key_sep: str  # between a map key and its value
    keywords: frozenset[str]  # map keys that must be quoted
    quoted_key: str  # how a quoted map key is written, around the string literal
    method_sep: str  # between a handle variable and its method
    awaits: bool  # every API call returns a Promise

    def key(self, key: str) -> str:
        if _IDENT.match(key) and key not in self.keywords:
            return key
        return self.quoted_key.format(_string(key))

    def literal(self, value: Any) -> str:
        if value == FUNCTION:
            return self.function
        if value == FUTURE:
            return "future"
        if value is None:
            return self.nil
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"no literal for {value!r} in an example")
            return repr(value)
        if isinstance(value, str):
            return _string(value)
        if isinstance(value, (list, tuple)):
            return self.list_open + ", ".join(self.literal(v) for v in value) + self.list_close
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.key(k)}{self.key_sep}{self.literal(v)}" for k, v in value.items()) + "}"
        raise TypeError(f"no literal for {type(value).__name__} in an example")


LUA = Syntax(
    title="Lua", name="lua", nil="nil", function="function(x) return x end", list_open="{", list_close="}",
    key_sep=" = ", keywords=_LUA_KEYWORDS, quoted_key="[{}]", method_sep=":", awaits=False,
)
JAVASCRIPT = Syntax(
    title="JavaScript", name="javascript", nil="null", function="(x) => x", list_open="[", list_close="]",
    key_sep=": ", keywords=frozenset(), quoted_key="{}", method_sep=".", awaits=True,
)
TENGO = Syntax(
    title="Tengo", name="tengo", nil="undefined", function="func(x) { return x }", list_open="[", list_close="]",
    key_sep=": ", keywords=_TENGO_KEYWORDS, quoted_key="{}", method_sep=".", awaits=False,
)
LANGUAGES = (LUA, JAVASCRIPT, TENGO)


def _string(text: str) -> str:
    """A double-quoted literal that Lua, JavaScript and Tengo (Go) all read the same way."""
    # only escapes that all three share: the short ones, and \xHH for other control characters
    return '"' + "".join(
        _ESCAPES.get(c) or (f"\\x{ord(c):02x}" if c < " " or c == "\x7f" else c) for c in text
    ) + '"'


def camel_case(name: str) -> str:
    """The JavaScript alias of a multi-word name: `run_async` -> `runAsync`."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def signature(fn: ApiFunction) -> str:
    """`Agent.create(opts?)`: optional parameters end with `?`; a property has no parentheses."""
    if fn.is_property:
        return fn.qualname
    return f"{fn.qualname}({_params(fn)})"


def _params(fn: ApiFunction) -> str:
    return ", ".join(p.name + ("?" if p.default is not p.empty else "") for p in fn.params())


def _namespace_names() -> set[str]:
    return {ns.api_name for ns in NAMESPACES if ns.api_name}


def example(fn: ApiFunction, syntax: Syntax) -> str | None:
    """The function's `example=` as an expression in one engine's language, or None without one."""
    if fn.example is None:
        return None
    receiver, *args = fn.example
    if not receiver:  # a plain global function: display(...)
        target = fn.name
    elif fn.is_property or receiver in _namespace_names():
        target = f"{receiver}.{fn.name}"
    else:  # a variable that holds a handle (`agent`, even where a lower-case alias global has that name)
        target = f"{receiver}{syntax.method_sep}{fn.name}"
    if fn.is_property:
        return target
    call = f"{target}({', '.join(syntax.literal(a) for a in args)})"
    return f"await {call}" if syntax.awaits else call


def _facts(fn: ApiFunction) -> str:
    facts = ["*Property*: read, not called" if fn.is_property else f"*Blocks*: {'yes' if fn.blocking else 'no'}"]
    if fn.aliases:
        facts.append("*Aliases*: " + ", ".join(f"`{fn.owner}.{a}`" if fn.owner else f"`{a}`" for a in fn.aliases))
    camel = [camel_case(n) for n in (fn.name, *fn.aliases) if "_" in n]
    if camel:
        facts.append("*JavaScript also*: " + ", ".join(f"`{c}`" for c in camel))
    return " · ".join(facts)


def _function(fn: ApiFunction) -> dict[str, Any]:
    examples = [(s.name, example(fn, s)) for s in LANGUAGES] if fn.example is not None else []
    return {"signature": signature(fn), "facts": _facts(fn), "doc": fn.doc, "examples": examples}


def _alias(alias: Alias) -> dict[str, Any]:
    mapping = [(f"{alias.name}.{short}", fn.qualname) for short, fn in alias_functions(alias).items()]
    return {"name": alias.name, "target": alias.target, "all": not alias.names, "mapping": mapping}


def _anchor(title: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _link(title: str) -> str:
    return f"[{title}](#{_anchor(title)})"


def context() -> dict[str, Any]:
    """Everything the template shows, taken from the table."""
    namespaces = [{
        "title": ns.api_name or PLAIN_GLOBALS, "doc": ns.describe(),
        "delegate": _link(ns.delegate[0].api_name) if ns.delegate else None,
        "functions": [_function(f) for f in ns.functions().values()],
    } for ns in NAMESPACES]
    handles = [{
        "title": h.api_name, "doc": h.describe(), "delegate": None,
        "functions": [_function(f) for f in h.functions().values()],
    } for h in HANDLES]
    # the variables that examples use as receivers, each with the handle type it holds
    variables = {f.example[0]: _link(h.api_name) for h in HANDLES for f in h.functions().values()
                 if f.example and f.example[0] not in _namespace_names()}
    plain = {f.name for ns in NAMESPACES if not ns.api_name for f in ns.functions().values()}
    kinds = {a.name: ("alias", _link("Aliases")) for a in ALIASES}
    kinds.update({name: ("function", _link(PLAIN_GLOBALS)) for name in plain})
    kinds.update({name: ("namespace", _link(name)) for name in _namespace_names()})
    return {
        "globals": [(name, *kinds[name]) for name in global_names()],
        "aliases": [_alias(a) for a in ALIASES],
        "namespaces": namespaces,
        "handles": handles,
        "variables": sorted(variables.items()),
        "constructors": [(f"new {ns.api_name}({_params(ctor)})", signature(ctor))
                         for ns in NAMESPACES if ns.constructor for ctor in [ns.functions()[ns.constructor]]],
        "camel": sorted({(n, camel_case(n)) for t in [*NAMESPACES, *HANDLES] for f in t.functions().values()
                         for n in (f.name, *f.aliases) if "_" in n}),
        "function_literals": [(s.title, s.function) for s in LANGUAGES],
    }


def render() -> str:
    """docs/api.md as the table describes it now."""
    from jinja2 import Environment, StrictUndefined  # only for the docs: kernels import this module for help

    env = Environment(keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined,
                      autoescape=False)
    template = env.from_string(files(__package__).joinpath("reference.md.j2").read_text(encoding="utf-8"))
    return template.render(**context())


def main(argv: list[str] | None = None) -> int:
    return generated_file_main(argv, module="llmspell_kernel.api.reference", default=DEFAULT_OUTPUT, render=render)


if __name__ == "__main__":
    sys.exit(main())
