"""A JavaScript cell as the body of an async function, so that top-level `await` works.

QuickJS (2021) has no top-level await in scripts, and a script's `let`/`const` would not
survive in an async wrapper. So, as Node's REPL does, a cell is tokenized (not parsed) and
its top-level statements are rewritten: declarations become assignments to globals
(`let x = 1` → `void (x = 1);`, `class A {}` → `A = class A {};`), function declarations
are copied to `globalThis`, and a final expression statement is returned. Only text is
inserted, never a newline, so line numbers in errors are the cell's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\f\v\u00a0\ufeff]+)
  | (?P<nl>\n)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*[\s\S]*?(?:\*/|\Z))
  | (?P<str>"(?:[^"\\\n]|\\[\s\S])*"?|'(?:[^'\\\n]|\\[\s\S])*'?)
  | (?P<num>(?:\d|\.\d)[\w.]*)
  | (?P<id>[\#A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)
  | (?P<punct>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.
              |\+\+|--|\+=|-=|\*=|/=|%=|&=|\|=|\^=|\*\*|<<|>>|[{}()\[\];,<>+\-*/%&|^!~?:=.@])
""", re.X)
_REGEX = re.compile(r"/(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[A-Za-z]*")
# after these, `/` starts a regular expression, not a division
_REGEX_AFTER_WORDS = {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
                      "do", "else", "yield", "await"}
_ENDS_VALUE = {")", "]", "}", "++", "--"}
_HEADERS = {"if", "for", "while", "with", "catch", "switch"}
_BLOCKS = {"function", "class", "if", "for", "while", "try", "switch", "do", "with"}
_CONTINUES = {"else", "catch", "finally"}
_NOT_EXPRESSION = {"let", "const", "var", "function", "class", "if", "for", "while", "do", "try", "switch",
                   "return", "throw", "break", "continue", "import", "export", "{", ";", "debugger", "with"}


@dataclass
class Token:
    kind: str  # id, num, str, tmpl, regex, punct
    text: str
    start: int
    end: int
    newline_before: bool
    closes_header: bool = False  # the `)` of `if (...)`, `for (...)`, ...


class SourceError(ValueError):
    """The cell cannot even be tokenized (an unterminated template or comment)."""


def tokenize(src: str) -> list[Token]:
    tokens: list[Token] = []
    _scan(src, 0, tokens, nested=False)
    return tokens


def _scan(src: str, i: int, tokens: list[Token], nested: bool) -> int:
    """Tokens from `i`; when nested in a template's `${`, stop at its closing brace and return its index."""
    newline, depth, n = False, 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "`":
            end = _template_end(src, i)
            tokens.append(Token("tmpl", src[i:end], i, end, newline))
            newline, i = False, end
            continue
        if ch == "/" and _regex_allowed(tokens):
            m = _REGEX.match(src, i)
            if m:
                tokens.append(Token("regex", m.group(), i, m.end(), newline))
                newline, i = False, m.end()
                continue
        m = _TOKEN.match(src, i)
        if m is None:  # an unexpected character: let QuickJS report it
            tokens.append(Token("punct", ch, i, i + 1, newline))
            newline, i = False, i + 1
            continue
        kind, text = m.lastgroup, m.group()
        i = m.end()
        if kind in ("ws", "lc"):
            continue
        if kind == "nl" or (kind == "bc" and "\n" in text):
            newline = True
            continue
        if kind == "bc":
            continue
        if kind == "punct" and nested:
            if text == "{":
                depth += 1
            elif text == "}":
                if depth == 0:
                    return m.start()
                depth -= 1
        tokens.append(Token(kind, text, m.start(), i, newline))
        newline = False
    if nested:
        raise SourceError("unterminated template literal")
    return i


def _template_end(src: str, i: int) -> int:
    j, n = i + 1, len(src)
    while j < n:
        ch = src[j]
        if ch == "\\":
            j += 2
        elif ch == "`":
            return j + 1
        elif ch == "$" and src.startswith("${", j):
            j = _scan(src, j + 2, [], nested=True) + 1
        else:
            j += 1
    raise SourceError("unterminated template literal")


def _regex_allowed(tokens: list[Token]) -> bool:
    if not tokens:
        return True
    last = tokens[-1]
    if last.kind == "punct":
        return last.text not in _ENDS_VALUE
    return last.kind == "id" and last.text in _REGEX_AFTER_WORDS


def statements(tokens: list[Token]) -> list[tuple[int, int]]:
    """Top-level statements as (first, last) token indexes, split at `;` and where ASI would split."""
    _mark_headers(tokens)
    out: list[tuple[int, int]] = []
    depth, first = 0, 0
    for k, tok in enumerate(tokens):
        if tok.kind == "punct":
            if tok.text in "([{":
                depth += 1
            elif tok.text in ")]}":
                depth -= 1
        if depth != 0:
            continue
        if tok.kind == "punct" and tok.text == ";":
            out.append((first, k))
            first = k + 1
        elif tok.text == "}" and tok.kind == "punct" and _block_statement(tokens, first) \
                and k + 1 < len(tokens) and not _continues_block(tokens[first], tokens[k + 1]):
            out.append((first, k))  # a declaration or block statement ends at its brace
            first = k + 1
        elif k + 1 < len(tokens) and tokens[k + 1].newline_before and _can_end(tok) and _starts_new(tokens[k + 1]):
            out.append((first, k))
            first = k + 1
    if first < len(tokens):
        out.append((first, len(tokens) - 1))
    return out


def _block_statement(tokens: list[Token], first: int) -> bool:
    head = tokens[first]
    if head.kind == "punct":
        return head.text == "{"
    if head.text == "async":
        return first + 1 < len(tokens) and tokens[first + 1].text == "function"
    return head.text in _BLOCKS


def _continues_block(head: Token, nxt: Token) -> bool:
    return nxt.kind == "id" and (nxt.text in _CONTINUES or (head.text == "do" and nxt.text == "while"))


def _mark_headers(tokens: list[Token]) -> None:
    stack: list[bool] = []
    for k, tok in enumerate(tokens):
        if tok.kind != "punct":
            continue
        if tok.text in "([{":
            stack.append(tok.text == "(" and k > 0 and tokens[k - 1].kind == "id" and tokens[k - 1].text in _HEADERS)
        elif tok.text in ")]}" and stack:
            tok.closes_header = stack.pop()


def _can_end(tok: Token) -> bool:
    if tok.kind in ("num", "str", "tmpl", "regex"):
        return True
    if tok.kind == "id":
        return tok.text not in ("else", "do", "return", "typeof", "new", "delete", "void", "in", "of",
                                "instanceof", "await", "yield", "async", "function", "class", "extends",
                                "let", "const", "var", "case")
    return tok.text in _ENDS_VALUE and not tok.closes_header


def _starts_new(tok: Token) -> bool:
    if tok.kind == "id":
        return tok.text not in _CONTINUES and tok.text not in ("in", "of", "instanceof")
    if tok.kind == "punct":
        return tok.text in ("{", "!", "~", "++", "--", "+", "-", ";", "@")
    return tok.kind != "tmpl"


def _edits_for(src: str, tokens: list[Token], first: int, last: int, final: bool,
               hoisted: list[str]) -> list[tuple[int, str]]:
    head = tokens[first]
    edits: list[tuple[int, str]] = []
    ends_semicolon = tokens[last].kind == "punct" and tokens[last].text == ";"
    body_end = tokens[last].start if ends_semicolon else tokens[last].end
    tail = "" if ends_semicolon else ";"
    word = head.text if head.kind == "id" else None
    nxt = tokens[first + 1] if first + 1 <= last else None
    if word in ("let", "const", "var") and nxt is not None and (nxt.kind == "id" or nxt.text in "{["):
        edits.append((head.start, "void ("))
        edits.append((head.end, "\x00"))  # the keyword is removed (see apply)
        edits.extend(_declarators(tokens, first + 1, last if not ends_semicolon else last - 1))
        edits.append((body_end, ")" + tail))
        return edits
    if word == "class" and nxt is not None and nxt.kind == "id":
        return [(head.start, f"{nxt.text} = "), (body_end, tail)]
    if word == "function" or (word == "async" and nxt is not None and nxt.text == "function"):
        k = first + (2 if word == "async" else 1)
        if k <= last and tokens[k].text == "*":
            k += 1
        if k <= last and tokens[k].kind == "id":
            hoisted.append(tokens[k].text)
        return []
    if final and head.text not in _NOT_EXPRESSION:
        return [(head.start, "return ("), (body_end, ")" + tail)]
    return []


def _declarators(tokens: list[Token], first: int, last: int) -> list[tuple[int, str]]:
    """Each declarator of `let a = 1, {b} = o, c` as an assignment expression."""
    edits: list[tuple[int, str]] = []
    depth, start, has_init = 0, first, False
    for k in range(first, last + 2):
        tok = tokens[k] if k <= last else None
        if tok is not None and tok.kind == "punct":
            if tok.text in "([{":
                depth += 1
            elif tok.text in ")]}":
                depth -= 1
            elif depth == 0 and tok.text == "=":
                has_init = True
        if tok is None or (depth == 0 and tok.kind == "punct" and tok.text == ","):
            if start <= min(k - 1, last):
                end = tokens[min(k - 1, last)].end
                if tokens[start].text == "{":
                    edits += [(tokens[start].start, "("), (end, ")")]
                elif not has_init:
                    edits.append((end, " = undefined"))
            start, has_init = k + 1, False
    return edits


def as_async_body(src: str, runner: str) -> str:
    """The cell as `runner(async () => {...})`: one line of header, then the source on its own lines."""
    if src.startswith("#!"):
        src = "//" + src[2:]
    tokens = tokenize(src)
    spans = statements(tokens)
    edits: list[tuple[int, str]] = []
    hoisted: list[str] = []
    for n, (first, last) in enumerate(spans):
        edits += _edits_for(src, tokens, first, last, n == len(spans) - 1, hoisted)
    out, pos = [], 0
    for at, text in sorted(edits, key=lambda e: e[0]):
        if text == "\x00":  # remove the keyword just opened: from the previous edit's position to here
            pos = at
            continue
        out.append(src[pos:at])
        out.append(text)
        pos = at
    out.append(src[pos:])
    hoist = "".join(f"globalThis.{name} = {name}; " for name in hoisted)
    # the body starts on a line of its own: QuickJS 2021 gives no line for a frame on a function's first line
    return f"{runner}(async () => {{ {hoist}\n" + "".join(out) + "\n})"
