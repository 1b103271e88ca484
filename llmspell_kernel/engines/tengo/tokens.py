"""Token kinds, keywords and operator precedence of Tengo (mirrors Go's)."""

from __future__ import annotations

# Literal kinds; every other token kind is its own spelling ("+", "func", ...).
IDENT = "IDENT"
INT = "INT"
FLOAT = "FLOAT"
CHAR = "CHAR"
STRING = "STRING"
EOF = "EOF"
ILLEGAL = "ILLEGAL"
SEMI = ";"

LITERALS = frozenset({IDENT, INT, FLOAT, CHAR, STRING})

KEYWORDS = frozenset({
    "break", "continue", "else", "for", "func", "error", "immutable", "if",
    "return", "export", "true", "false", "in", "undefined", "import",
})

# Binary operator precedence, as Go's token.Precedence.
PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
    "+": 4, "-": 4, "|": 4, "^": 4,
    "*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5, "&^": 5,
}

ASSIGN_OPS = {
    "+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "&=": "&",
    "|=": "|", "^=": "^", "<<=": "<<", ">>=": ">>", "&^=": "&^",
}


def token_string(kind: str) -> str:
    """What Go's token.String() prints for a kind (used in parse errors)."""
    return kind
