"""User modules for JavaScript spells: `require` (CommonJS) and `import`/`export` (ES syntax).

QuickJS's module loader is not reachable through the quickjs module, so ES syntax is rewritten
to CommonJS, statement by statement, on the same lines: `import x from "./a.js"` becomes
`const x = __ls_default(require("./a.js"))`, `export function f` keeps the function and sets
`exports.f` at the end. A module runs once, in a function of `(exports, require, module,
__filename, __dirname)`, with a `require` that resolves beside its own file. Only files under the
sandbox root load; there are no host modules.
"""

from __future__ import annotations

from .javascript_source import Token, statements, tokenize

MODULE_EXTENSIONS = ("", ".js", ".mjs", ".cjs", "/index.js")


def es_to_commonjs(src: str) -> str:
    """Rewrite top-level `import` and `export` statements; other code is left as it is."""
    if "import" not in src and "export" not in src:
        return src
    tokens = tokenize(src)
    if not any(t.kind == "id" and t.text in ("import", "export") for t in tokens):
        return src
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    exported: list[tuple[str, str]] = []  # (export name, local name), set at the end
    for first, last in statements(tokens):
        head = tokens[first]
        if head.kind != "id":
            continue
        if head.text == "import" and first + 1 <= last and tokens[first + 1].text not in ("(", "."):
            edits.append((head.start, tokens[last].end, _import(tokens[first:last + 1], src)))
        elif head.text == "export":
            edits.extend(_export(tokens, first, last, src, exported))
    out, pos = [], 0
    for start, end, text in sorted(edits):
        out += [src[pos:start], text]
        pos = end
    out.append(src[pos:])
    tail = "".join(f"exports[{name!r}] = {local}; " for name, local in exported)
    marker = "Object.defineProperty(exports, '__esModule', {value: true}); " if _exports(tokens) else ""
    return marker + "".join(out) + ("\n;" + tail if tail else "")


def _exports(tokens: list[Token]) -> bool:
    return any(t.kind == "id" and t.text == "export" for t in tokens)


def _import(toks: list[Token], src: str) -> str:
    """`import a, {b as c} from "m"` -> `const {default: a, b: c} = __ls_namespace(require("m"));`"""
    source = next((t.text for t in reversed(toks) if t.kind == "str"), None)
    if source is None:
        return src[toks[0].start:toks[-1].end]  # not a form we know: QuickJS will report it
    require = f"__ls_namespace(require({source}))"
    names = [t for t in toks[1:] if t.text != "from" and t.kind != "str" and t.text != ";"]
    if not names:  # import "m"
        return require + ";"
    if names[0].text == "*":  # import * as ns from "m"
        return f"const {names[2].text} = {require};"
    parts, k = [], 0
    if names[0].kind == "id":  # a default import first
        parts.append(f"default: {names[0].text}")
        k = 1
    while k < len(names):
        tok = names[k]
        if tok.text == "*" and k + 2 < len(names):
            return f"const {names[k + 2].text} = {require}; const {{{', '.join(parts)}}} = {names[k + 2].text};"
        if tok.kind == "id" and tok.text != "as":
            if k + 2 < len(names) and names[k + 1].text == "as":
                parts.append(f"{tok.text}: {names[k + 2].text}")
                k += 3
                continue
            parts.append(tok.text)
        k += 1
    return f"const {{{', '.join(parts)}}} = {require};"


def _export(tokens: list[Token], first: int, last: int, src: str,
            exported: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    head, nxt = tokens[first], tokens[first + 1] if first + 1 <= last else None
    if nxt is None:
        return []
    if nxt.text == "default":
        return [(head.start, nxt.end, "exports.default =")]
    if nxt.text == "{":  # export {a, b as c}
        k = first + 2
        while k <= last and tokens[k].text != "}":
            if tokens[k].kind == "id":
                if k + 2 <= last and tokens[k + 1].text == "as":
                    exported.append((tokens[k + 2].text, tokens[k].text))
                    k += 3
                    continue
                exported.append((tokens[k].text, tokens[k].text))
            k += 1
        return [(head.start, tokens[last].end, "")]
    k = first + 1
    if tokens[k].text == "async":
        k += 1
    if tokens[k].text in ("function", "class"):
        k += 1
        if k <= last and tokens[k].text == "*":
            k += 1
        if k <= last and tokens[k].kind == "id":
            exported.append((tokens[k].text, tokens[k].text))
    elif tokens[k].text in ("const", "let", "var"):
        depth = 0
        for j in range(k + 1, last + 1):  # the simple names declared: `a` in `a = 1, b`
            tok = tokens[j]
            if tok.text in "([{":
                depth += 1
            elif tok.text in ")]}":
                depth -= 1
            elif depth == 0 and tok.kind == "id" and tokens[j - 1].text in (",", tokens[k].text):
                exported.append((tok.text, tok.text))
    return [(head.start, nxt.start, "")]


def wrap_module(src: str) -> str:
    """A module's code as the body of its CommonJS function, starting on a line of its own."""
    return ("__ls_define(function (exports, require, module, __filename, __dirname) {\n"
            + es_to_commonjs(src) + "\n})")
