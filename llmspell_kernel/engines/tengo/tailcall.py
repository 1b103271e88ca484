"""Self tail calls become loops, as the reference VM runs them (its frame is reused: no stack grows).

`f := func(n, acc) { ...; return f(n - 1, acc + n) }` is rewritten, on the syntax tree, into
`f := func(n, acc) { for { ...; { t0 := n - 1; t1 := acc + n; n = t0; acc = t1; continue }; return } }`,
so deep tail recursion runs in constant stack and an error inside it shows one frame, as in real Tengo.
Only plain cases are rewritten: the function is bound to a name by `:=`/`=`, takes fixed parameters, the call
passes as many arguments without `...`, the `return` is not inside a loop, and the body neither redeclares the
name nor has a stray `break`/`continue`. (The reference compares the callee with the running function at run
time; here the name is trusted to still hold it.)
"""

from __future__ import annotations

from typing import Any

from . import ast as A

_TEMP = "__tail_arg_{}"


def rewrite(tree: Any) -> None:
    for node in _walk(tree):
        if type(node) is A.AssignStmt and node.op in (":=", "=") and len(node.lhs) == 1 and len(node.rhs) == 1:
            target, fn = node.lhs[0], node.rhs[0]
            if type(target) is A.Ident and type(fn) is A.FuncLit and not fn.varargs:
                _rewrite_func(target.name, fn)


def _walk(node: Any) -> Any:
    yield node
    for child in A.children(node):
        yield from _walk(child)


def _rewrite_func(name: str, fn: Any) -> None:
    params = [p.name for p in fn.params]
    if name in params or not _plain(fn.body, name, in_loop=False):
        return
    if not _replace_tails(fn.body, name, params):
        return
    body = fn.body
    end_line, end_col = fn.end if fn.end else (body.line, body.col)
    loop_body = A.BlockStmt(body.line, body.col, [*body.stmts, A.ReturnStmt(end_line, end_col, None)])
    body.stmts = [A.ForStmt(body.line, body.col, None, None, None, loop_body)]


def _plain(node: Any, name: str, in_loop: bool) -> bool:
    """No redeclaration of `name`, no break/continue outside a loop (nested functions are their own)."""
    t = type(node)
    if t is A.FuncLit:
        return True
    if t is A.AssignStmt and node.op == ":=" and any(type(x) is A.Ident and x.name == name for x in node.lhs):
        return False
    if t is A.BranchStmt and not in_loop:
        return False
    inner = in_loop or t in (A.ForStmt, A.ForInStmt)
    return all(_plain(c, name, inner) for c in A.children(node))


def _is_tail_call(stmt: Any, name: str, nparams: int) -> bool:
    call = stmt.result if type(stmt) is A.ReturnStmt else None
    return (type(call) is A.CallExpr and type(call.func) is A.Ident and call.func.name == name
            and not call.ellipsis and len(call.args) == nparams)


def _loop_step(ret: Any, params: list[str]) -> Any:
    """`{ t0 := arg0; ...; p0 = t0; ...; continue }` in place of `return name(arg0, ...)`."""
    line, col = ret.line, ret.col
    stmts: list[Any] = [A.AssignStmt(line, col, [A.Ident(line, col, _TEMP.format(i))], [arg], ":=")
                        for i, arg in enumerate(ret.result.args)]
    stmts += [A.AssignStmt(line, col, [A.Ident(line, col, p)], [A.Ident(line, col, _TEMP.format(i))], "=")
              for i, p in enumerate(params)]
    stmts.append(A.BranchStmt(line, col, "continue"))
    return A.BlockStmt(line, col, stmts)


def _replace_tails(node: Any, name: str, params: list[str]) -> bool:
    """Replace the tail calls in the statement lists under `node` (outside loops and nested functions)."""
    t = type(node)
    if t in (A.FuncLit, A.ForStmt, A.ForInStmt):
        return False
    found = False
    if t is A.BlockStmt:
        for i, stmt in enumerate(node.stmts):
            if _is_tail_call(stmt, name, len(params)):
                node.stmts[i] = _loop_step(stmt, params)
                found = True
    for child in A.children(node):
        found = _replace_tails(child, name, params) or found
    return found
