"""Tengo syntax tree. Every node carries the (line, col) of Go's Node.Pos()."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class Node:
    __slots__ = ("col", "line")

    def pos(self) -> tuple[int, int]:
        return (self.line, self.col)


_NOT_CHILDREN = frozenset({"sym", "scope", "syms", "ksym", "vsym"})  # the resolver's links, not syntax


def children(node: Any) -> Iterator[Node]:
    """The syntax nodes directly inside `node`, in field order (what every compiler walk visits)."""
    for f in getattr(type(node), "FIELDS", ()):
        if f in _NOT_CHILDREN:
            continue
        v = getattr(node, f, None)
        if isinstance(v, list):
            yield from (x for x in v if isinstance(x, Node))
        elif isinstance(v, Node):
            yield v


def _node(name: str, fields: tuple[str, ...]) -> type:
    def __init__(self: Any, line: int, col: int, *args: Any) -> None:
        self.line = line
        self.col = col
        for f, a in zip(fields, args, strict=False):
            setattr(self, f, a)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{f}={getattr(self, f, None)!r}" for f in fields)
        return f"{name}({inner})"

    return type(name, (Node,), {"__slots__": fields, "__init__": __init__, "__repr__": __repr__, "FIELDS": fields})


# Expressions
Ident = _node("Ident", ("name", "sym"))
IntLit = _node("IntLit", ("value",))
FloatLit = _node("FloatLit", ("value",))
CharLit = _node("CharLit", ("value",))
StringLit = _node("StringLit", ("value",))
BoolLit = _node("BoolLit", ("value",))
UndefinedLit = _node("UndefinedLit", ())
ArrayLit = _node("ArrayLit", ("elements",))
MapLit = _node("MapLit", ("keys", "values"))
FuncLit = _node("FuncLit", ("params", "varargs", "body", "scope", "end"))  # end: (line, col) of its `}`
BinaryExpr = _node("BinaryExpr", ("op", "lhs", "rhs"))
UnaryExpr = _node("UnaryExpr", ("op", "expr"))
CondExpr = _node("CondExpr", ("cond", "true", "false"))
ParenExpr = _node("ParenExpr", ("expr",))
CallExpr = _node("CallExpr", ("func", "args", "ellipsis"))
IndexExpr = _node("IndexExpr", ("expr", "index"))
SliceExpr = _node("SliceExpr", ("expr", "low", "high"))
SelectorExpr = _node("SelectorExpr", ("expr", "sel"))
ImportExpr = _node("ImportExpr", ("name", "target"))
ErrorExpr = _node("ErrorExpr", ("expr",))
ImmutableExpr = _node("ImmutableExpr", ("expr",))
BadExpr = _node("BadExpr", ())

# Statements
ExprStmt = _node("ExprStmt", ("expr",))
AssignStmt = _node("AssignStmt", ("lhs", "rhs", "op", "syms"))
IncDecStmt = _node("IncDecStmt", ("expr", "op", "syms"))
BlockStmt = _node("BlockStmt", ("stmts",))
IfStmt = _node("IfStmt", ("init", "cond", "body", "else_"))
ForStmt = _node("ForStmt", ("init", "cond", "post", "body"))
ForInStmt = _node("ForInStmt", ("key", "value", "iterable", "body", "ksym", "vsym"))
BranchStmt = _node("BranchStmt", ("op",))
ReturnStmt = _node("ReturnStmt", ("result",))
ExportStmt = _node("ExportStmt", ("result",))
EmptyStmt = _node("EmptyStmt", ())
BadStmt = _node("BadStmt", ())
File = _node("File", ("stmts",))
