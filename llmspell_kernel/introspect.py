"""What Tab, Shift-Tab and Enter need inside a spell: completion, inspection and is_complete.

Everything about the API comes from the table (names, signatures, docstrings, examples in the
engine's syntax); the engine adds its keywords, the user's globals and its own syntax check.
Offsets are indices into Python strings, so they count Unicode code points, as the protocol says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .api.reference import JAVASCRIPT, LUA, TENGO, Syntax, camel_case, example, signature
from .api.spec import ApiFunction, HandleType, Namespace
from .api.table import ALIASES, NAMESPACES, alias_functions
from .runtime.render import as_text, describe

SYNTAX: dict[str, Syntax] = {"lua": LUA, "js": JAVASCRIPT, "tengo": TENGO}
# the words Tab offers as keywords (JavaScript's map keys need no quoting, so its Syntax lists none)
KEYWORDS: dict[str, frozenset[str]] = {
    "lua": LUA.keywords, "tengo": TENGO.keywords,
    "js": frozenset({"async", "await", "break", "case", "catch", "class", "const", "continue", "default", "delete",
                     "do", "else", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
                     "instanceof", "let", "new", "null", "of", "return", "switch", "this", "throw", "true", "try",
                     "typeof", "undefined", "var", "void", "while", "yield"}),
}
_RECEIVER = re.compile(r"(?:(?P<owner>[A-Za-z_]\w*)\s*(?P<sep>[.:])\s*)?(?P<word>[A-Za-z_]\w*)?$")
# a string argument being typed: Agent.get("wri|
_STRING_ARG = re.compile(r"(?P<call>[A-Za-z_]\w*[.:][A-Za-z_]\w*)\s*\(\s*(?P<quote>[\"'`])(?P<partial>[^\"'`]*)$")
_NAME_AT = re.compile(r"[A-Za-z_]\w*(?:\s*[.:]\s*[A-Za-z_]\w*)?")
# a cell that names its engine: `%%spell js`, `%%lua`, `%%tengo` (options may follow)
_SPELL_MAGIC = re.compile(r"\s*%%(?:spell\s+(?P<engine>\w+)|(?P<short>lua|js|tengo))\b[^\n]*\n?")


def spell_cell(code: str, default_engine: str | None = None) -> tuple[str, str, int] | None:
    """(engine, spell source, offset of the source in `code`) for a spell cell, else None.

    A `%%spell ENGINE` (or `%%lua`, `%%js`, `%%tengo`) cell is a spell; so is any cell without a
    leading `%` when there is a default engine (the LLMSpell kernel's cells).
    """
    match = _SPELL_MAGIC.match(code)
    if match:
        return match["engine"] or match["short"], code[match.end():], match.end()
    if default_engine is None or code.lstrip().startswith("%"):
        return None
    return default_engine, code, 0


@dataclass
class Completion:
    matches: list[str]
    start: int
    end: int
    types: list[dict[str, Any]] = field(default_factory=list)

    def reply(self) -> dict[str, Any]:
        """The content of a Jupyter `complete_reply`."""
        return {"status": "ok", "matches": self.matches, "cursor_start": self.start, "cursor_end": self.end,
                "metadata": {"_jupyter_types_experimental": self.types}}


# the API table, seen by name -------------------------------------------------------------------
def _namespaces() -> dict[str, type[Namespace]]:
    return {ns.api_name: ns for ns in NAMESPACES if ns.api_name}


def _alias_names() -> dict[str, dict[str, ApiFunction]]:
    return {alias.name: alias_functions(alias) for alias in ALIASES}


def _method_names(fn_name: str, fn: ApiFunction, engine: str) -> list[str]:
    names = [fn_name, *fn.aliases]
    if engine == "js" and "_" in fn_name:
        names.append(camel_case(fn_name))
    return names


def _functions_of(owner: str, session: Any, engine: Any) -> dict[str, ApiFunction] | None:
    """The functions reachable as `owner.` (a namespace, an alias global or a handle variable)."""
    namespaces = _namespaces()
    if owner in namespaces:
        return dict(namespaces[owner].functions())
    aliases = _alias_names()
    if owner in aliases:
        return aliases[owner]
    handle = _handle_of(session, engine, owner)
    return dict(handle.functions()) if handle is not None else None


def _handle_of(session: Any, engine: Any, name: str) -> HandleType | None:
    value = _global(engine, name)
    return session.api.handle_type(value) if value is not _MISSING else None


_MISSING = object()


def _global(engine: Any, name: str) -> Any:
    try:
        return engine.global_value(name)
    except (KeyError, NotImplementedError):
        return _MISSING


# completion ----------------------------------------------------------------------------------------
def complete(session: Any, engine_name: str, code: str, cursor: int | None = None) -> Completion:
    """Completions at `cursor` in a spell of the engine `engine_name`."""
    cursor = len(code) if cursor is None else cursor
    before = code[:cursor]
    engine = session.engine(engine_name)
    string_arg = _STRING_ARG.search(before)
    if string_arg:
        names = _argument_names(session, string_arg["call"])
        if names is not None:
            partial = string_arg["partial"]
            found = sorted(n for n in names if n.startswith(partial))
            return Completion(found, cursor - len(partial), cursor, _typed(found, cursor - len(partial), cursor,
                                                                              "value"))
    match = _RECEIVER.search(before)
    word = (match["word"] or "") if match else ""
    start = cursor - len(word)
    candidates: dict[str, str] = {}
    if match and match["owner"]:
        functions = _functions_of(match["owner"], session, engine)
        if functions is None:  # a user's map: its keys
            value = _global(engine, match["owner"])
            functions = {}
            if isinstance(value, dict):
                candidates.update(dict.fromkeys((k for k in value if isinstance(k, str)), "property"))
        for name, fn in functions.items():
            for shown in _method_names(name, fn, engine_name):
                candidates[shown] = "property" if fn.is_property else "function"
        namespace = _namespaces().get(match["owner"])
        if namespace is not None:
            candidates.update(dict.fromkeys(session.api.namespaces[namespace.api_name].values(engine), "property"))
    else:
        candidates.update(dict.fromkeys(_namespaces(), "module"))
        candidates.update(dict.fromkeys(_alias_names(), "module"))
        for ns in NAMESPACES:
            if not ns.api_name:
                candidates.update(dict.fromkeys(ns.functions(), "function"))
        for name in engine.global_names():
            candidates.setdefault(name, "variable")
        for keyword in sorted(KEYWORDS.get(engine_name, ())):
            candidates.setdefault(keyword, "keyword")
    found = sorted(n for n in candidates if n.startswith(word) and not n.startswith("__"))
    types = [{"start": start, "end": cursor, "text": n, "type": candidates[n]} for n in found]
    return Completion(found, start, cursor, types)


def _typed(names: list[str], start: int, end: int, kind: str) -> list[dict[str, Any]]:
    return [{"start": start, "end": end, "text": n, "type": kind} for n in names]


def _argument_names(session: Any, call: str) -> list[str] | None:
    """The names that fit the first string argument of `call` (agents, tools, state keys, artifacts)."""
    owner, function = re.split(r"[.:]", call, maxsplit=1)
    target = _namespaces().get(owner)
    if target is None and owner in _alias_names():
        fn = _alias_names()[owner].get(function)
        target, function = (_namespaces().get(fn.owner), fn.name) if fn else (None, function)
    if target is None:
        return None
    sources = {
        "Agent": (session.agents.names, {"get", "remove"}),
        # the tools of MCP servers already started: a Tab must not start a server
        "Tool": (lambda: sorted({*session.tools.names(sources=False), *session.mcp.known_tools()}), {"call", "info"}),
        "Mcp": (session.mcp.names, {"tools", "resources", "resource", "prompts", "prompt"}),
        "State": (lambda: _state_keys(session), {"get", "set", "update", "delete", "history", "schema"}),
        "Artifact": (lambda: [a["name"] for a in session.artifacts.list()], {"get", "delete", "store"}),
    }
    names, functions = sources.get(target.api_name, (None, set()))
    return names() if names is not None and function in functions else None


def _state_keys(session: Any) -> list[str]:
    """Top-level keys and the dotted paths into nested maps."""
    keys: list[str] = []

    def walk(prefix: str, value: Any, depth: int) -> None:
        keys.append(prefix)
        if isinstance(value, dict) and depth < 3:
            for key, item in value.items():
                walk(f"{prefix}.{key}", item, depth + 1)

    for key, value in session.state.to_dict().items():
        walk(key, value, 0)
    return keys


# inspection ----------------------------------------------------------------------------------------
def inspect(session: Any, engine_name: str, code: str, cursor: int | None = None) -> str | None:
    """Help for the name at `cursor` (Markdown), or None when there is nothing to say."""
    cursor = len(code) if cursor is None else cursor
    name = _name_at(code, cursor)
    if not name:
        return None
    engine = session.engine(engine_name)
    owner, _, member = [*re.split(r"\s*([.:])\s*", name), None, None][:3]
    if member:
        functions = _functions_of(owner, session, engine) or {}
        fn = functions.get(member) or next((f for f in functions.values() if member in _method_names(
            f.name, f, engine_name)), None)
        return _function_help(fn, engine_name) if fn is not None else None
    namespace = _namespaces().get(owner)
    if namespace is not None:
        lines = [f"**{owner}**: {namespace.describe()}", ""]
        lines += [f"- `{signature(fn)}`: {fn.summary}" for fn in namespace.functions().values()]
        return "\n".join(lines)
    plain = next((ns.functions()[owner] for ns in NAMESPACES if not ns.api_name and owner in ns.functions()), None)
    if plain is not None:
        return _function_help(plain, engine_name)
    value = _global(engine, owner)
    if value is _MISSING:
        return None
    return _value_help(session, owner, value)


def _name_at(code: str, cursor: int) -> str | None:
    """The (possibly dotted) name under or just before the cursor."""
    for match in _NAME_AT.finditer(code):
        if match.start() <= cursor <= match.end():
            return match.group(0)
    return None


def _function_help(fn: ApiFunction, engine_name: str) -> str:
    parts = [f"`{signature(fn)}`" + (" (blocks)" if fn.blocking else ""), "", fn.doc]
    syntax = SYNTAX.get(engine_name)
    sample = example(fn, syntax) if syntax else None
    if sample:
        parts += ["", f"Example ({syntax.title}):", "", f"```{syntax.name}", sample, "```"]
    return "\n".join(parts)


def _value_help(session: Any, name: str, value: Any) -> str:
    handle = session.api.handle_type(value)
    if handle is None:
        text = as_text(value)
        if len(text) > 600:
            text = text[:600] + " …"
        return f"**{name}**: {type(value).__name__}\n\n```\n{text}\n```"
    lines = [f"**{name}**: {describe(value)}", "", handle.describe()]
    info = getattr(value, "info", None)
    if callable(info):
        lines += ["", "```", as_text(info()), "```"]
    lines += ["", "Methods: " + ", ".join(f"`{n}`" for n in handle.functions())]
    return "\n".join(lines)


# is_complete -----------------------------------------------------------------------------------------
def is_complete(session: Any, engine_name: str, code: str) -> dict[str, str]:
    """The content of an `is_complete_reply`: complete, incomplete (with an indent) or invalid."""
    status = session.engine(engine_name).is_complete(code)
    return {"status": status, "indent": "  " if status == "incomplete" else ""}
