"""Statement code generation and the chunk compiler.

A chunk becomes one Python module defining `tm_<id>()`; Tengo functions are
nested Python defs (closures), top-level variables are Python globals of the
runtime namespace so they persist between `run` calls.
"""

from __future__ import annotations

import ast as P
import hashlib
from collections.abc import Callable
from typing import Any

from . import ast as A
from .emit_expr import ExprGen, last_pos, orig
from .pyast import (
    ST,
    C,
    N,
    and_,
    assign,
    at,
    call,
    expr_stmt,
    ifexp,
    is_simple,
    stamp_missing,
    sub0_store,
    type_is,
    walrus,
)
from .resolver import FuncInfo, Resolver, Sym

# Python function name -> (number of parameters, variadic) for arity errors
FUNC_ARITY: dict[str, tuple[int, bool]] = {}


class Unit:
    """A compiled chunk or module: code object plus constants to bind."""

    def __init__(self, code: Any, entry: str, consts: dict[str, Any], pysrc: P.Module, modules: list) -> None:
        self.code, self.entry, self.consts, self.pyast, self.modules = code, entry, consts, pysrc, modules


class CodeGen(ExprGen):
    def __init__(self, res: Resolver, filename: str) -> None:
        self.res = res
        self.filename = filename
        self.consts: dict[str, Any] = {}
        self.kinds: dict = {}
        self.ntmp = 0
        self.cur: FuncInfo = res.main
        self.pre: list[P.stmt] = []
        self.loops: list[list | None] = []

    # -- helpers used by ExprGen -----------------------------------------
    def tmp(self) -> str:
        self.ntmp += 1
        return f"_t{self.ntmp}"

    def const_name(self, kind: str, value: Any) -> str:
        from .values import Char

        name = f"K_{kind}{value}".replace("-", "m")
        self.consts[name] = Char(value)
        return name

    def tick(self, line: int, col: int) -> list[P.stmt]:
        """Function-entry budget tick on the shared global countdown."""
        dec = at(P.AugAssign(target=ST("_bud"), op=P.Sub(), value=C(1)), line, col)
        test = P.Compare(left=N("_bud"), ops=[P.LtE()], comparators=[C(0)])
        return [dec, at(P.If(test=test, body=[expr_stmt(call("_tick"))], orelse=[]), line, col)]

    def loop_tick(self, line: int, col: int) -> tuple[P.stmt, list[P.stmt]]:
        """Back-edge tick: a local countdown (cheap) that calls the hook every N."""
        name = self.tmp()
        init = at(assign(ST(name), N("_TICK_N")), line, col)
        dec = at(P.AugAssign(target=ST(name), op=P.Sub(), value=C(1)), line, col)
        test = P.UnaryOp(op=P.Not(), operand=N(name))
        body = [at(assign(ST(name), N("_TICK_N")), line, col), at(expr_stmt(call("_tick")), line, col)]
        return init, [dec, at(P.If(test=test, body=body, orelse=[]), line, col)]

    def hoist_func(self, n: A.FuncLit) -> str:
        fi: FuncInfo = n.scope
        outer_cur, outer_pre, outer_loops = self.cur, self.pre, self.loops
        self.cur, self.pre, self.loops = fi, [], []
        body: list[P.stmt] = []
        decl = self.declarations(fi)
        body.extend(decl)
        body.extend(self.tick(n.line, n.col))
        if fi.varargs and fi.params:
            last = fi.params[-1].py
            body.append(at(assign(ST(last), call("list", N(last))), n.line, n.col))
        body.extend(self.block_stmts(n.body.stmts))
        self.cur, self.pre, self.loops = outer_cur, outer_pre, outer_loops
        params = fi.params
        posargs = [P.arg(arg=p.py) for p in (params[:-1] if fi.varargs else params)]
        vararg = P.arg(arg=params[-1].py) if fi.varargs and params else None
        boxed_free = self.boxed_free(fi)
        args = P.arguments(posonlyargs=[], args=posargs, vararg=vararg,
                           kwonlyargs=[P.arg(arg=s.py) for s in boxed_free],
                           kw_defaults=[N(s.py) for s in boxed_free], kwarg=None, defaults=[])
        fdef = at(P.FunctionDef(name=fi.name, args=args, body=body or [P.Pass()], decorator_list=[], returns=None,
                                type_comment=None), n.line, n.col)
        FUNC_ARITY[fi.name] = (len(params), fi.varargs)
        self.pre.append(fdef)
        return fi.name

    def boxed_free(self, fi: FuncInfo) -> list:
        seen: dict[str, Any] = {}
        for s in fi.free:
            if s.boxed and s.py not in seen:
                seen[s.py] = s
        return list(seen.values())

    def declarations(self, fi: FuncInfo) -> list[P.stmt]:
        out: list[P.stmt] = []
        gl = sorted(fi.globals | {"_bud"})
        out.append(P.Global(names=gl))
        boxed = {s.py for s in fi.free if s.boxed}
        nl = sorted(n for n in fi.nonlocals if n not in boxed)
        if nl:
            out.append(P.Nonlocal(names=nl))
        return out

    # -- statements --------------------------------------------------------
    def block_stmts(self, stmts: list, last_value: bool = False) -> list[P.stmt]:
        out: list[P.stmt] = []
        for i, s in enumerate(stmts):
            self.pre = []
            if last_value and i == len(stmts) - 1 and type(s) is A.ExprStmt:
                v = self.expr(s.expr)
                new = [at(P.Return(value=v), s.line, s.col)]
            else:
                new = self.stmt(s)
            out.extend(self.pre)
            out.extend(new)
            self.pre = []
        return out

    def sub_block(self, stmts: list) -> list[P.stmt]:
        saved = self.pre
        body = self.block_stmts(stmts)
        self.pre = saved
        return body or [P.Pass()]

    def stmt(self, n: Any) -> list[P.stmt]:
        t = type(n)
        if t is A.ExprStmt:
            return [at(expr_stmt(self.expr(n.expr)), n.line, n.col)]
        if t is A.AssignStmt:
            return self.assign(n, n.lhs[0], n.rhs[0], n.op)
        if t is A.IncDecStmt:
            return self.assign(n, n.expr, A.IntLit(n.line, n.col, 1), "+=" if n.op == "++" else "-=")
        if t is A.BlockStmt:
            return self.block_stmts(n.stmts)
        if t is A.IfStmt:
            out: list[P.stmt] = []
            if n.init is not None:
                out.extend(self.inline_stmt(n.init))
            test = self.truth(n.cond)
            out.extend(self.pre)
            self.pre = []
            body = self.sub_block(n.body.stmts)
            orelse: list[P.stmt] = []
            if n.else_ is not None:
                saved = self.pre
                self.pre = []
                orelse = self.stmt(n.else_) if type(n.else_) is not A.BlockStmt else self.block_stmts(n.else_.stmts)
                orelse = self.pre + orelse
                self.pre = saved
            out.append(at(P.If(test=test, body=body, orelse=orelse), n.line, n.col))
            return out
        if t is A.ForStmt:
            return self.for_stmt(n)
        if t is A.ForInStmt:
            return self.for_in(n)
        if t is A.BranchStmt:
            if n.op == "break":
                return [at(P.Break(), n.line, n.col)]
            post = self.loops[-1] if self.loops else None
            return [*(post or []), at(P.Continue(), n.line, n.col)]
        if t is A.ReturnStmt:
            v = self.expr(n.result) if n.result is not None else C(None)
            return [at(P.Return(value=v), n.line, n.col)]
        if t is A.ExportStmt:
            if self.res.main.kind == "module" and self.cur is self.res.main:
                return [at(P.Return(value=call("_o_imm", self.expr(n.result))), n.line, n.col)]
            return []
        return []

    def inline_stmt(self, s: Any) -> list[P.stmt]:
        """Compile a header statement (if/for init); its hoisted defs come first."""
        saved = self.pre
        self.pre = []
        body = self.stmt(s)
        out = self.pre + body
        self.pre = saved
        return out

    def range_loop(self, n: Any) -> tuple[Any, Any, bool] | None:
        """`for i := a; i < E; i++ {}` with i and E untouched by the body: a Python range loop."""
        init, cond, post = n.init, n.cond, n.post
        if type(init) is not A.AssignStmt or init.op != ":=" or type(init.lhs[0]) is not A.Ident:
            return None
        sym = orig(init.syms)
        if sym.captured or (sym.scope == "local" and sym.boxed):
            return None
        if type(post) is not A.IncDecStmt or post.op != "++" or type(post.expr) is not A.Ident:
            return None
        if orig(post.expr.sym) is not sym or type(cond) is not A.BinaryExpr or cond.op not in ("<", "<="):
            return None
        if type(cond.lhs) is not A.Ident or orig(cond.lhs.sym) is not sym:
            return None
        e = cond.rhs
        if type(e) is A.Ident:
            es = orig(e.sym)
            if es.scope == "builtin" or es.owner is None or es.captured or self.assigns(n.body, es):
                return None
        elif type(e) is not A.IntLit:
            return None
        if self.assigns(n.body, sym):
            return None
        return sym, e, cond.op == "<="

    def for_stmt(self, n: Any) -> list[P.stmt]:
        rl = self.range_loop(n)
        if rl is not None:
            return self.for_range(n, *rl)
        out: list[P.stmt] = []
        if n.init is not None:
            out.extend(self.inline_stmt(n.init))
        post = self.inline_stmt(n.post) if n.post is not None else []
        fast_inc = self.bounded_increment(n)
        if fast_inc is not None:
            post = fast_inc
        self.loops.append(post)
        saved = self.pre
        self.pre = []
        test = self.truth(n.cond) if n.cond is not None else None
        cond_pre = self.pre
        self.pre = []
        tinit, tick = self.loop_tick(n.line, n.col)
        out.append(tinit)
        body = tick + self.block_stmts(n.body.stmts) + post
        self.pre = saved
        self.loops.pop()
        if test is None:
            loop = P.While(test=C(True), body=body, orelse=[])
        elif cond_pre:
            brk = P.If(test=P.UnaryOp(op=P.Not(), operand=test), body=[P.Break()], orelse=[])
            loop = P.While(test=C(True), body=[*cond_pre, brk, *body], orelse=[])
        else:
            loop = P.While(test=test, body=body, orelse=[])
        out.append(at(loop, n.line, n.col))
        return out

    def for_range(self, n: Any, sym: Any, e: Any, inclusive: bool) -> list[P.stmt]:
        out = self.inline_stmt(n.init)
        i = N(sym.py)
        ev = self.expr(e)
        hi = P.BinOp(left=ev, op=P.Add(), right=C(1)) if inclusive else ev
        if type(e) is A.IntLit:
            test = type_is(i, "int")
        else:
            test = and_(type_is(i, "int"), type_is(ev, "int"))
        it = ifexp(test, call("range", i, hi), call("_o_count", i, ev, C(inclusive)))
        self.loops.append([])
        saved = self.pre
        tinit, tick = self.loop_tick(n.line, n.col)
        body = tick + self.block_stmts(n.body.stmts)
        self.pre = saved
        self.loops.pop()
        out.append(tinit)
        loop = P.For(target=ST(sym.py), iter=at(it, n.line, n.col), body=body, orelse=[], type_comment=None)
        out.append(at(loop, n.line, n.col))
        return out

    def for_in(self, n: Any) -> list[P.stmt]:
        it = self.expr(n.iterable)
        line, col = last_pos(n.iterable)
        it_call = at(call("_o_iter", it), line, col)
        body: list[P.stmt] = []
        targets = []
        for sym in (n.ksym, n.vsym):
            if sym is None:
                targets.append(ST("_"))
            elif sym.boxed:
                tn = self.tmp()
                targets.append(ST(tn))
                body.append(assign(ST(sym.py), P.List(elts=[N(tn)], ctx=P.Load())))
            else:
                targets.append(ST(sym.py))
        self.loops.append(None)
        saved = self.pre
        tinit, tick = self.loop_tick(n.line, n.col)
        body = tick + body + self.block_stmts(n.body.stmts)
        self.pre = saved
        self.loops.pop()
        loop = P.For(target=P.Tuple(elts=targets, ctx=P.Store()), iter=it_call, body=body, orelse=[], type_comment=None)
        return [tinit, at(loop, n.line, n.col)]

    # -- assignment ----------------------------------------------------------
    def store(self, sym: Any, value: P.expr, define: bool, line: int, col: int) -> list[P.stmt]:
        o = orig(sym)
        if o.boxed:
            if define:
                return [at(assign(ST(o.py), P.List(elts=[value], ctx=P.Load())), line, col)]
            return [at(assign(sub0_store(N(o.py)), value), line, col)]
        return [at(assign(ST(o.py), value), line, col)]

    def assign(self, n: Any, target: Any, rhs: Any, op: str) -> list[P.stmt]:
        sels: list = []
        base = target
        while type(base) in (A.IndexExpr, A.SelectorExpr):
            sels.insert(0, base.index if type(base) is A.IndexExpr else base.sel)
            base = base.expr
        sym = n.syms
        line, col = n.line, n.col
        if not sels:
            o = orig(sym)
            if op == ":=" and o.boxed and self.captures_self(rhs, o):
                box = at(assign(ST(o.py), P.List(elts=[C(None)], ctx=P.Load())), line, col)
                self.pre.append(box)
                return self.store(sym, self.expr(rhs), False, line, col)
            if op in ("=", ":="):
                if type(rhs) is A.CallExpr and self.is_self_append(rhs, o):
                    args = [self.expr(a) for a in rhs.args]
                    value = at(call("_o_append_self", *args), rhs.line, rhs.col)
                    if op == "=" and len(args) == 2:
                        # only the variable and getrefcount's argument hold the list:
                        # appending in place is unobservable (keeps array building linear)
                        cur = args[0]
                        test = and_(type_is(cur, "list"),
                                    P.Compare(left=call("_rc", cur), ops=[P.Eq()], comparators=[C(2)]))
                        fast = at(expr_stmt(P.Call(func=P.Attribute(value=cur, attr="append", ctx=P.Load()),
                                                   args=[args[1]], keywords=[])), line, col)
                        slow = self.store(sym, value, False, line, col)
                        return [at(P.If(test=test, body=[fast], orelse=slow), line, col)]
                    return self.store(sym, value, op == ":=", line, col)
                return self.store(sym, self.expr(rhs), op == ":=", line, col)
            # compound: x op= rhs
            cur = at(self.read_sym(sym), target.line, target.col)
            r = self.expr(rhs)
            bop = op[:-1]
            kind_l = self.kinds.get(o)
            if bop == "+" and kind_l not in ("int", "float") and not o.boxed and self.kind(rhs) not in ("int", "float"):
                # s += x: statement form keeps CPython's in-place str concat (linear string building)
                pre: list[P.stmt] = []
                if not is_simple(r):
                    tv = self.tmp()
                    pre.append(at(assign(ST(tv), r), line, col))
                    r = N(tv)
                fast = at(P.AugAssign(target=ST(o.py), op=P.Add(), value=r), line, col)
                slow = self.store(sym, at(call("_o_add", N(o.py), r), line, col), False, line, col)
                test = and_(type_is(N(o.py), "str") if kind_l != "str" else None,
                            type_is(r, "str") if self.kind(rhs) != "str" else None)
                return [*pre, at(P.If(test=test, body=[fast], orelse=slow), line, col)]
            value = self.compound(bop, cur, r, kind_l, self.kind(rhs), n)
            return self.store(sym, value, False, line, col)
        # selector assignment: a[i][j] = v  (value first, then selectors)
        stmts: list[P.stmt] = []
        if op == "=":
            v = self.expr(rhs)
        else:
            cur = self.expr(target)
            v = self.compound(op[:-1], cur, self.expr(rhs), self.kind(target), self.kind(rhs), n)
        if not is_simple(v):
            tv = self.tmp()
            stmts.append(at(assign(ST(tv), v), line, col))
            v = N(tv)
        sel_vals = []
        for s in reversed(sels):
            e = self.expr(s)
            if not is_simple(e):
                ts = self.tmp()
                stmts.append(at(assign(ST(ts), e), line, col))
                e = N(ts)
            sel_vals.insert(0, e)
        dst = self.read_sym(sym)
        for s in sel_vals[:-1]:
            dst = at(call("_o_index_set", dst, s), line, col)
        if not is_simple(dst):
            td = self.tmp()
            stmts.append(at(assign(ST(td), dst), line, col))
            dst = N(td)
        key = sel_vals[-1]
        sub_store = P.Subscript(value=dst, slice=key, ctx=P.Store())
        slow = [at(expr_stmt(call("_o_set_index", dst, key, v)), line, col)]
        lst = and_(type_is(dst, "list"), type_is(key, "int"),
                   P.Compare(left=C(-1), ops=[P.Lt(), P.Lt()], comparators=[key, call("len", dst)]))
        dct = and_(type_is(dst, "dict"), type_is(key, "str"))
        fast_l = at(assign(sub_store, v), line, col)
        inner = P.If(test=lst, body=[fast_l], orelse=slow)
        stmts.append(at(P.If(test=dct, body=[at(assign(P.Subscript(value=dst, slice=key, ctx=P.Store()), v), line, col)],  # noqa: E501
                             orelse=[at(inner, line, col)]), line, col))
        return stmts

    def compound(self, bop: str, cur: P.expr, r: P.expr, lk: Any, rk: Any, n: Any) -> P.expr:
        if bop == "&^":
            return at(call("_o_andnot", cur, r), n.line, n.col)
        if bop == "<<":
            return at(call("_o_shl", cur, r), n.line, n.col)
        return self.arith(bop, cur, r, lk, rk, n)

    def bounded_increment(self, n: Any) -> list[P.stmt] | None:
        """`for i := ..; i < E; i++`: i + 1 cannot overflow, so skip the wrap check."""
        post, cond = n.post, n.cond
        if type(post) is not A.IncDecStmt or post.op != "++" or type(post.expr) is not A.Ident:
            return None
        sym = orig(post.expr.sym)
        if self.kinds.get(sym) != "int" or sym.boxed or type(cond) is not A.BinaryExpr:
            return None
        if cond.op not in ("<", "<=") or type(cond.lhs) is not A.Ident or orig(cond.lhs.sym) is not sym:
            return None
        if self.kind(cond.rhs) != "int" or (cond.op == "<=" and type(cond.rhs) is not A.IntLit):
            return None
        if cond.op == "<=" and cond.rhs.value >= 0x7FFFFFFFFFFFFFFF:
            return None
        if self.assigns(n.body, sym):
            return None
        inc = at(P.AugAssign(target=ST(sym.py), op=P.Add(), value=C(1)), post.line, post.col)
        return [inc]

    def assigns(self, node: Any, sym: Any) -> bool:
        found = []

        def walk(x: Any) -> None:
            t = type(x)
            if t in (A.AssignStmt, A.IncDecStmt) and x.syms is not None and orig(x.syms) is sym:
                found.append(x)
            for f in getattr(t, "FIELDS", ()):
                if f in ("sym", "scope", "syms", "ksym", "vsym"):
                    continue
                v = getattr(x, f, None)
                if isinstance(v, list):
                    for e in v:
                        if isinstance(e, A.Node):
                            walk(e)
                elif isinstance(v, A.Node):
                    walk(v)
        walk(node)
        return bool(found)

    def is_self_append(self, rhs: Any, o: Any) -> bool:
        f = rhs.func
        if type(f) is not A.Ident or orig(f.sym).scope != "builtin" or orig(f.sym).name != "append":
            return False
        if rhs.ellipsis or len(rhs.args) < 2:
            return False
        a0 = rhs.args[0]
        return type(a0) is A.Ident and orig(a0.sym) is o

    def captures_self(self, rhs: Any, o: Any) -> bool:
        return type(rhs) is A.FuncLit and any(s is o for s in rhs.scope.free)


def infer_kinds(res: Resolver, records: list) -> dict:
    """Optimistic int/str inference for variables only ever assigned one kind."""
    cands: dict = {}
    for sym, rhs, op in records:
        cands.setdefault(sym, []).append((rhs, op))
    kinds: dict = {}
    gen = ExprGen()
    gen.kinds = kinds
    for want in ("int", "str"):
        trial = {s for s in cands if s not in kinds}
        for s in trial:
            kinds[s] = want
        changed = True
        while changed:
            changed = False
            for s in list(trial):
                ok = True
                for rhs, op in cands[s]:
                    if rhs is None:
                        ok = False
                        break
                    if op in ("=", ":="):
                        k = gen.kind(rhs)
                    else:
                        k = gen.kind(A.BinaryExpr(0, 0, op[:-1], A.Ident(0, 0, s.name, s), rhs))
                    if k != want:
                        ok = False
                        break
                if not ok:
                    trial.discard(s)
                    del kinds[s]
                    changed = True
    return kinds


def collect_assigns(node: Any, out: list) -> None:
    """(symbol, rhs, op) for every assignment to a local/block variable."""
    t = type(node)
    if t is A.AssignStmt:
        lhs = node.lhs[0]
        if type(lhs) is A.Ident and node.syms is not None:
            o = orig(node.syms)
            out.append((o, node.rhs[0] if node.rhs else None, node.op))
    elif t is A.IncDecStmt:
        if type(node.expr) is A.Ident and node.syms is not None:
            out.append((orig(node.syms), A.IntLit(0, 0, 1), "+=" if node.op == "++" else "-="))
    elif t is A.ForInStmt:
        for s in (node.ksym, node.vsym):
            if s is not None:
                out.append((s, None, ":="))
    elif t is A.FuncLit:
        for p in node.scope.params:
            out.append((p, None, ":="))
    if t is A.Ident or t is A.StringLit:
        return
    for f in getattr(t, "FIELDS", ()):
        v = getattr(node, f, None)
        if isinstance(v, list):
            for x in v:
                if isinstance(x, A.Node):
                    collect_assigns(x, out)
        elif isinstance(v, A.Node) and f not in ("sym", "scope"):
            collect_assigns(v, out)


def compile_chunk(file: A.File, filename: str, src_key: str, builtins: list[str], persisted: set[str],
                  import_hook: Callable | None, module: bool = False, repl: bool = False) -> Unit:
    prefix = hashlib.blake2b(src_key.encode("utf-8", "surrogateescape"), digest_size=5).hexdigest()
    res = Resolver(filename, prefix, builtins, persisted, import_hook, module)
    res.file(file)
    records: list = []
    collect_assigns(file, records)
    gen = CodeGen(res, filename)
    # globals declared by this chunk can only be assigned by this chunk's code
    # while it runs, so they join the inference; persisted ones never do
    gen.kinds = infer_kinds(res, [r for r in records if r[0].scope == "local" or r[0].owner is not None
                                  or (r[0].scope == "global" and r[0].name not in persisted)])
    main = res.main
    body = gen.declarations(main)
    body.extend(gen.block_stmts(file.stmts, last_value=repl))
    body.append(P.Return(value=C(None)))
    fdef = P.FunctionDef(name=main.name, args=P.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                                                         kw_defaults=[], kwarg=None, defaults=[]),
                         body=body, decorator_list=[], returns=None, type_comment=None)
    at(fdef, 1, 1)
    mod = P.Module(body=[fdef], type_ignores=[])
    stamp_missing(mod)
    code = compile(mod, filename, "exec")
    unit = Unit(code, main.name, gen.consts, mod, [])
    unit.declared = [s.name for s in res.table.store.values()  # type: ignore[attr-defined]
                     if isinstance(s, Sym) and s.scope == "global" and s.owner is None]
    return unit


__all__ = ["FUNC_ARITY", "Unit", "compile_chunk", "ifexp", "walrus"]
