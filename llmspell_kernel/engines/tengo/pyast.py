"""Small constructors for Python ast nodes, and Tengo position stamping."""

from __future__ import annotations

import ast as P
from typing import Any

MAXI = 0x7FFFFFFFFFFFFFFF
MINI = -0x8000000000000000


def N(name: str) -> P.Name:
    return P.Name(id=name, ctx=P.Load())


def ST(name: str) -> P.Name:
    return P.Name(id=name, ctx=P.Store())


def C(v: Any) -> P.Constant:
    return P.Constant(value=v)


def call(f: P.expr | str, *args: P.expr) -> P.Call:
    return P.Call(func=N(f) if isinstance(f, str) else f, args=list(args), keywords=[])


def walrus(name: str, value: P.expr) -> P.NamedExpr:
    return P.NamedExpr(target=ST(name), value=value)


def cls(x: P.expr) -> P.Attribute:
    # `x.__class__` is type(x) for every value Tengo code sees (host values arrive converted
    # or wrapped in Opaque), and on CPython 3.11 an attribute load beats a global load + call
    return P.Attribute(value=x, attr="__class__", ctx=P.Load())


def type_is(x: P.expr, tname: str) -> P.Compare:
    return P.Compare(left=cls(x), ops=[P.Is()], comparators=[N(tname)])


def both_type(a: P.expr, b: P.expr, tname: str) -> P.Compare:
    # type(a) is type(b) is T: evaluates a then b, then short-circuits on T only
    return P.Compare(left=cls(a), ops=[P.Is(), P.Is()], comparators=[cls(b), N(tname)])


def in_range(x: P.expr) -> P.Compare:
    # abs(MIN) fails the test too; the slow path then wraps it correctly
    return P.Compare(left=call("abs", x), ops=[P.LtE()], comparators=[C(MAXI)])


def is_true(e: Any) -> bool:
    return isinstance(e, P.Constant) and e.value is True


def and_(*vals: P.expr) -> P.expr:
    vals2 = [v for v in vals if v is not None and not is_true(v)]
    if not vals2:
        return C(True)
    if len(vals2) == 1:
        return vals2[0]
    return P.BoolOp(op=P.And(), values=vals2)


def ifexp(test: P.expr, body: P.expr, orelse: P.expr) -> P.expr:
    if is_true(test):
        return body
    return P.IfExp(test=test, body=body, orelse=orelse)


def binop(a: P.expr, op: P.operator, b: P.expr) -> P.BinOp:
    return P.BinOp(left=a, op=op, right=b)


def cmp(a: P.expr, op: P.cmpop, b: P.expr) -> P.Compare:
    return P.Compare(left=a, ops=[op], comparators=[b])


def sub0(x: P.expr) -> P.Subscript:
    return P.Subscript(value=x, slice=C(0), ctx=P.Load())


def sub0_store(x: P.expr) -> P.Subscript:
    return P.Subscript(value=x, slice=C(0), ctx=P.Store())


def assign(target: P.expr, value: P.expr) -> P.Assign:
    return P.Assign(targets=[target], value=value)


def expr_stmt(e: P.expr) -> P.Expr:
    return P.Expr(value=e)


def at(node: P.AST, line: int, col: int) -> P.AST:
    """Stamp a Python node with a Tengo position (col is 1-based)."""
    node.lineno = line
    node.end_lineno = line
    node.col_offset = col - 1
    node.end_col_offset = col
    return node


def stamp_missing(node: P.AST, line: int = 1, col: int = 1) -> None:
    """Give every unstamped node its nearest stamped ancestor's position."""
    if "lineno" in node._attributes:
        if getattr(node, "lineno", None) is None:
            at(node, line, col)
        else:
            line, col = node.lineno, node.col_offset + 1
    for child in P.iter_child_nodes(node):
        stamp_missing(child, line, col)


def is_simple(e: P.expr) -> bool:
    """Safe to evaluate twice (no side effects, cheap)."""
    return isinstance(e, (P.Name, P.Constant))
