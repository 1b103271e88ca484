"""llmspell.d.ts, TypeScript declarations for JavaScript spells, generated from the API table.

`python -m llmspell_kernel.api.typescript` rewrites llmspell_kernel/resources/llmspell.d.ts;
`--check` only compares and exits 1 if the file is stale. Editors that read it complete and
type-check spells: every API call returns a Promise, `new Agent(...)` and `new State(...)` give
handles at once, and multi-word names also have their camelCase forms (as the engine binds them).
"""

from __future__ import annotations

import re
import sys
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace

from .generated import generated_file_main
from .spec import ApiFunction
from .table import ALIASES, HANDLES, NAMESPACES, alias_functions

OUTPUT = Path(str(files("llmspell_kernel.resources").joinpath("llmspell.d.ts")))
_SCALARS = {"Any": "any", "str": "string", "int": "number", "float": "number", "bool": "boolean", "None": "null",
            "bytes": "Uint8Array", "object": "any"}
_HANDLE_NAMES = {h.wraps.rpartition(":")[2]: h.api_name for h in HANDLES}
_IDENT = re.compile(r"[A-Za-z_$][\w$]*\Z")
# words a TypeScript parameter cannot be called (a parameter's name does not matter to callers)
_RESERVED = {"default", "function", "class", "new", "delete", "in", "var", "let", "const", "import", "export",
             "return", "this", "switch", "case", "for", "while", "do", "if", "else", "typeof", "void", "with"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def ts_type(annotation: str) -> str:
    """A Python annotation (as written in the API's source) as a TypeScript type."""
    text = annotation.strip()
    parts = _split(text, "|")
    if len(parts) > 1:
        return " | ".join(dict.fromkeys(ts_type(p) for p in parts))
    match = re.fullmatch(r"(\w+)\[(.*)\]", text)
    if match:
        outer, inner = match.groups()
        args = [ts_type(a) for a in _split(inner, ",")]
        if outer in ("list", "tuple", "List", "Sequence"):
            return f"{_wrap(args[0])}[]"
        if outer in ("dict", "Dict", "Mapping"):
            return f"Record<string, {args[-1]}>"
        return "any"
    if text in _HANDLE_NAMES:
        name = _HANDLE_NAMES[text]
        return "Future<any>" if name == "Future" else name
    return _SCALARS.get(text, "any")


def _split(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _wrap(t: str) -> str:
    return f"({t})" if " " in t else t


def _returns(fn: ApiFunction) -> str:
    if fn.name.endswith("_async"):  # starts work and hands back its future
        return "Future<any>"
    return ts_type(str(fn.signature.return_annotation))


def _params(fn: ApiFunction) -> str:
    out = []
    for p in fn.params():
        kind = "(...args: any[]) => any" if p.name in ("fn", "on_chunk") else ts_type(str(p.annotation))
        if p.name == "opts" and fn.options:
            kind = "{ " + " ".join(f"{key}?: {t};" for key, (t, _) in fn.options.items()) + " } | null"
        optional = "?" if p.default is not p.empty else ""
        name = p.name + "_" if p.name in _RESERVED else p.name
        out.append(f"{name}{optional}: {kind}")
    return ", ".join(out)


def _key(name: str) -> str:
    # a member called `new` would read as a construct signature
    return name if _IDENT.match(name) and name != "new" else f'"{name}"'


def _doc(fn: ApiFunction, indent: str) -> str:
    return f"{indent}/** {fn.summary.replace('*/', '* /')} */\n" if fn.summary else ""


def _members(functions: dict[str, ApiFunction], indent: str) -> str:
    lines = []
    for name, fn in functions.items():
        names = [name, *fn.aliases] if name == fn.name else [name]
        names += [camel(n) for n in names if "_" in n.strip("_")]
        for member in dict.fromkeys(names):
            lines.append(_doc(fn, indent))
            if fn.is_property:
                lines.append(f"{indent}readonly {_key(member)}: {_returns(fn)};\n")
            else:
                lines.append(f"{indent}{_key(member)}({_params(fn)}): Promise<{_returns(fn)}>;\n")
    return "".join(lines)


# What the engine itself defines besides the API (javascript_prelude.js). Spells run in no browser:
# use these declarations with `"lib": ["es2020"]`, not the DOM's.
_ENGINE_GLOBALS = """\
declare const console: {
  log(...data: any[]): void;
  info(...data: any[]): void;
  debug(...data: any[]): void;
  /** To stderr. */
  error(...data: any[]): void;
  /** To stderr. */
  warn(...data: any[]): void;
};
declare function setTimeout(fn: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(fn: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(fn: () => void): void;

"""


def render() -> str:
    out = ["// Generated from the llmspell API table by `python -m llmspell_kernel.api.typescript`. Do not edit.\n",
           "// Every API call returns a Promise: `await` it (top-level await works in a cell).\n",
           '// Use with `"lib": ["es2020"]`: spells run in QuickJS, not in a browser.\n\n', _ENGINE_GLOBALS]
    out.append("/** A Python future seen from JavaScript: a Promise that also has the Future methods. */\n")
    future = next(h for h in HANDLES if h.api_name == "Future")
    out.append("interface Future<T = any> extends Promise<T> {\n")
    out.append(_members(future.functions(), "  ").replace("Promise<any>;", "Promise<T>;"))
    out.append("}\n\n")
    for handle in HANDLES:
        if handle.api_name == "Future":
            continue
        out.append(f"/** {handle.describe().splitlines()[0] if handle.describe() else handle.api_name} */\n")
        out.append(f"interface {handle.api_name} {{\n{_members(handle.functions(), '  ')}}}\n\n")
    dummy = SimpleNamespace(params={}, name="js")
    for ns in NAMESPACES:
        if not ns.api_name:
            for name, fn in ns.functions().items():
                out.append(_doc(fn, ""))
                out.append(f"declare function {name}({_params(fn)}): Promise<{_returns(fn)}>;\n")
            out.append("\n")
            continue
        values = ns(SimpleNamespace(params={})).values(dummy)
        body = _members(ns.functions(), "  ")
        for key, value in values.items():
            kind = "Record<string, any>" if isinstance(value, dict) else ts_type(type(value).__name__)
            body += f"  readonly {key}: {kind};\n"
        if ns.constructor is not None:
            fn = ns.functions()[ns.constructor]
            body += f"  /** The same as `{ns.api_name}.{fn.name}`, but the handle comes at once. */\n"
            body += f"  new ({_params(fn)}): {_returns(fn)};\n"
        summary = ns.describe().splitlines()[0] if ns.describe() else ns.api_name
        out.append(f"/** {summary} */\ndeclare const {ns.api_name}: {{\n{body}}};\n\n")
    for alias in ALIASES:
        out.append(f"/** Lower-case alias of `{alias.target}`, for go-llmspell spells. */\n")
        out.append(f"declare const {alias.name}: {{\n{_members(alias_functions(alias), '  ')}}};\n\n")
    return "".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    return generated_file_main(argv, module="llmspell_kernel.api.typescript", default=OUTPUT, render=render)


if __name__ == "__main__":
    sys.exit(main())
