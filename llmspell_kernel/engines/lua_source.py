"""Find a Lua function's own text in its chunk, so that it can be stored and compiled again.

Lua tells where a function was defined only by lines (`linedefined`, `lastlinedefined`).
This module lists every `function ... end` that spans exactly those lines, as an
expression (`function name(a)` becomes `function(a)`, `function t:m(a)` becomes
`function(self, a)`); the engine then keeps the one whose bytecode matches.
"""

from __future__ import annotations

import re

_LONG_OPEN = re.compile(r"\[(=*)\[")
_NAME = re.compile(r"[A-Za-z_]\w*")
_OPENERS = {"function", "do", "if", "repeat"}  # `while` and `for` open their block with `do`
_CLOSERS = {"end", "until"}


def _tokens(text: str) -> list[tuple[str, int, int, int]]:
    """The keywords and names of a chunk, as (word, line, start offset, end offset); strings and comments skipped."""
    out: list[tuple[str, int, int, int]] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c == "-" and text.startswith("--", i):
            long = _LONG_OPEN.match(text, i + 2)
            end = text.find("]" + long.group(1) + "]", long.end()) if long else text.find("\n", i)
            end = n if end < 0 else end + (len(long.group(0)) if long else 0)
            line += text.count("\n", i, end)
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            line += text.count("\n", i, j)  # an escaped newline inside the string
            i = j + 1
        elif c == "[" and (long := _LONG_OPEN.match(text, i)):
            end = text.find("]" + long.group(1) + "]", long.end())
            end = n if end < 0 else end + len(long.group(0))
            line += text.count("\n", i, end)
            i = end
        elif c.isalpha() or c == "_":
            word = _NAME.match(text, i)
            assert word is not None
            out.append((word.group(0), line, i, word.end()))
            i = word.end()
        else:
            i += 1
    return out


def function_candidates(text: str, first: int, last: int) -> list[str]:
    """Each `function ... end` that starts on line `first` and ends on line `last`, as an expression."""
    tokens = _tokens(text)
    found = []
    for k, (word, line, start, _) in enumerate(tokens):
        if word != "function" or line != first:
            continue
        depth = 0
        for other, other_line, _, end in tokens[k:]:
            if other in _OPENERS:
                depth += 1
            elif other in _CLOSERS:
                depth -= 1
                if depth == 0:
                    if other == "end" and other_line == last:
                        found.append(_as_expression(text[start:end]))
                    break
    return found


def _as_expression(source: str) -> str:
    """`function a.b:c(x) ... end` -> `function(self, x) ... end`; an anonymous function stays as it is."""
    head = re.match(r"function\s*([A-Za-z_][\w.]*)?(:[A-Za-z_]\w*)?\s*\(", source)
    if head is None or head.group(1) is None:
        return source
    rest = source[head.end():]
    if head.group(2):  # a method: its implicit first parameter
        rest = "self" + ("" if rest.lstrip().startswith(")") else ", ") + rest
    return "function(" + rest
