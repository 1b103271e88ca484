"""Statement code generation and the chunk compiler.

A chunk becomes one Python module defining `tm_<id>()`; Tengo functions are
nested Python defs (closures), top-level variables are Python globals of the
runtime namespace so they persist between `run` calls.
"""

from __future__ import annotations

import ast as P
import copy
import hashlib
import warnings
from collections.abc import Callable
from typing import Any

from . import ast as A
from .emit_expr import ExprGen, calls_beyond, last_pos, orig
from .ops import SMALL
from .ownership import analyse as analyse_ownership
from .ownership import owns_slots, self_append, slot_append
from .pyast import (
    ST,
    C,
    N,
    and_,
    assign,
    at,
    binop,
    call,
    cmp,
    expr_stmt,
    ifexp,
    in_range,
    is_simple,
    is_true,
    stamp_missing,
    sub0_store,
    type_is,
    walrus,
)
from .resolver import FuncInfo, Resolver, Sym

# Python function name -> (number of parameters, variadic) for arity errors
FUNC_ARITY: dict[str, tuple[int, bool]] = {}
# functions whose first statement hands int arguments to their int clone `<name>_i`:
# error traces show the clone's frame in place of theirs
DISPATCHERS: set[str] = set()


class Unit:
    """A compiled chunk or module: code object plus constants to bind."""

    def __init__(self, code: Any, entry: str, consts: dict[str, Any], pysrc: P.Module, modules: list) -> None:
        self.code, self.entry, self.consts, self.pyast, self.modules = code, entry, consts, pysrc, modules


class CodeGen(ExprGen):
    def __init__(self, res: Resolver, filename: str) -> None:
        self.res = res
        self.filename = filename
        self.consts: dict[str, Any] = {}
        self.func_spans: dict[str, tuple] = {}  # function name -> (start, end, captured names): to store it
        self.kinds: dict = {}
        self.ntmp = 0
        self.cur: FuncInfo = res.main
        self.pre: list[P.stmt] = []
        self.loops: list[list | None] = []
        self.flag_uses: dict[str, int] = {}
        self.pyblocks = 0  # nested Python loop blocks open in the current function
        self.lower: dict = {}
        self.clone_targets: dict[int, Any] = {}
        self.unaliased: set = set()

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
        """Function-entry budget tick on the chunk's countdown (a closure cell of the
        chunk function: cheaper than a global)."""
        dec = at(P.AugAssign(target=ST("_bud"), op=P.Sub(), value=C(1)), line, col)
        test = P.UnaryOp(op=P.Not(), operand=N("_bud"))
        # reset before the hook runs, so that a hook that raises leaves a sane countdown
        reset = [at(assign(ST("_bud"), N("_TICK_N")), line, col), at(expr_stmt(call("_tick")), line, col)]
        return [dec, at(P.If(test=test, body=reset, orelse=[]), line, col)]

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
        bound = self.clone_targets.get(id(n))
        if bound is not None and self.clone_ok(n, bound):
            # an int-specialised copy for calls whose arguments are all ints: self-calls
            # go straight to it and return ints, so their results need no type tests
            clone_name = fi.name + "_i"
            saved = self.kinds, self.py_kinds, self.clone
            self.kinds = {**self.kinds, **{p: "int" for p in fi.params}}
            self.py_kinds = {**self.py_kinds, **{p.py: "int" for p in fi.params}}
            self.clone = (bound, clone_name)
            self.func_def(n, clone_name, [])
            self.kinds, self.py_kinds, self.clone = saved
            DISPATCHERS.add(fi.name)
            # def tf(n): if type(n) is int and <its variable> is tf: return tf_i(n)
            test = and_(*[type_is(N(p.py), "int") for p in fi.params],
                        P.Compare(left=self.read_sym(bound), ops=[P.Is()], comparators=[N(fi.name)]))
            go = P.Return(value=P.Call(func=N(clone_name), args=[N(p.py) for p in fi.params], keywords=[]))
            prelude = [at(P.If(test=test, body=[at(go, n.line, n.col)], orelse=[]), n.line, n.col)]
            return self.func_def(n, fi.name, prelude)
        return self.func_def(n, fi.name, [])

    def clone_ok(self, n: A.FuncLit, bound: Any) -> bool:
        """With int parameters, every return gives an int and self-calls pass ints."""
        fi: FuncInfo = n.scope
        saved = self.kinds, self.clone
        self.kinds = {**self.kinds, **{p: "int" for p in fi.params}}
        self.clone = (bound, "")
        ok = True

        def walk(x: Any) -> None:
            nonlocal ok
            t = type(x)
            if t is A.ReturnStmt and (x.result is None or self.kind(x.result) != "int"):
                ok = False
            if t is A.CallExpr and type(x.func) is A.Ident and orig(x.func.sym) is bound:
                if any(self.kind(a) != "int" for a in x.args):
                    ok = False
            for e in A.children(x):
                walk(e)
        walk(n.body)
        self.kinds, self.clone = saved
        return ok

    def func_def(self, n: A.FuncLit, name: str, prelude: list[P.stmt]) -> str:
        fi: FuncInfo = n.scope
        params = fi.params
        outer_cur, outer_pre, outer_loops, outer_flags = self.cur, self.pre, self.loops, self.flags
        self.cur, self.pre, self.loops, self.flags = fi, [], [], {}
        outer_blocks, self.pyblocks = self.pyblocks, 0
        outer_facts = self.facts()  # defining a function runs none of its code
        self.inb = self.upper = frozenset()
        body: list[P.stmt] = []
        decl = self.declarations(fi)
        body.extend(decl)
        if fi.varargs and fi.params:
            last = fi.params[-1].py
            body.append(at(assign(ST(last), call("list", N(last))), n.line, n.col))
        # Budget tick: a call that makes no calls of its own does bounded work (its loops
        # tick themselves), which its caller's tick accounts for. So the tick goes before
        # the first statement that may call user code, not at the entry: the base case of
        # a recursion (`if n < 2 { return n }`) costs nothing.
        first_call = next((i for i, st in enumerate(n.body.stmts) if calls_beyond(st, _NO_CALLBACK_BUILTINS)), None)
        tick = (first_call, self.tick(n.line, n.col)) if first_call is not None else None
        if tick is not None:
            body.append(P.Nonlocal(names=["_bud"]))
        body.extend(prelude)
        stmts = self.block_stmts(n.body.stmts, tick=tick)
        if self.flags:
            by_var: dict[str, list[P.stmt]] = {}
            inline: dict[str, tuple[str, str]] = {}
            for (py, tname), fl in self.flags.items():
                if self.flag_uses.get(fl, 0) < 2:
                    inline[fl] = (py, tname)
                else:
                    by_var.setdefault(py, []).append(assign(ST(fl), type_is(N(py), tname)))
            for p in params:
                for st in by_var.pop(p.py, ()):
                    body.append(at(st, n.line, n.col))
            if by_var:
                done: set[str] = set()
                insert_flags(stmts, by_var, done)
                for (py, tname), fl in self.flags.items():
                    if py in by_var and py not in done:  # no single assignment found: test in place
                        inline[fl] = (py, tname)
            if inline:
                _InlineFlags(inline).visit_body(stmts)
        body.extend(stmts)
        self.cur, self.pre, self.loops, self.flags = outer_cur, outer_pre, outer_loops, outer_flags
        self.pyblocks = outer_blocks
        self.inb, self.upper = outer_facts
        posargs = [P.arg(arg=p.py) for p in (params[:-1] if fi.varargs else params)]
        vararg = P.arg(arg=params[-1].py) if fi.varargs and params else None
        boxed_free = self.boxed_free(fi)
        args = P.arguments(posonlyargs=[], args=posargs, vararg=vararg,
                           kwonlyargs=[P.arg(arg=s.py) for s in boxed_free],
                           kw_defaults=[N(s.py) for s in boxed_free], kwarg=None, defaults=[])
        fdef = at(P.FunctionDef(name=name, args=args, body=body or [P.Pass()], decorator_list=[], returns=None,
                                type_comment=None), n.line, n.col)
        FUNC_ARITY[name] = (len(params), fi.varargs)
        self.func_spans[name] = ((n.line, n.col), n.end, [s.name for s in fi.free])
        self.pre.append(fdef)
        return name

    def boxed_free(self, fi: FuncInfo) -> list:
        seen: dict[str, Any] = {}
        for s in fi.free:
            if s.boxed and s.py not in seen:
                seen[s.py] = s
        return list(seen.values())

    def declarations(self, fi: FuncInfo) -> list[P.stmt]:
        out: list[P.stmt] = []
        gl = sorted(fi.globals)
        if gl:
            out.append(P.Global(names=gl))
        if fi is self.res.main:
            out.append(assign(ST("_bud"), N("_TICK_N")))
        flags, slots = self.own.home_names(fi, self.res.main)
        out.extend(assign(ST(f), C(False)) for f in flags)
        out.extend(assign(ST(d), P.Dict(keys=[], values=[])) for d in slots)
        boxed = {s.py for s in fi.free if s.boxed}
        nl = sorted(n for n in fi.nonlocals if n not in boxed)
        if nl:
            out.append(P.Nonlocal(names=nl))
        return out

    # -- statements --------------------------------------------------------
    def guard_fact(self, s: Any) -> tuple[Any, int] | None:
        """`if x < c { ...; return }` (x assigned once): after it, x >= c whenever x is an int."""
        if type(s) is not A.IfStmt or s.init is not None or s.else_ is not None or not s.body.stmts:
            return None
        if type(s.body.stmts[-1]) is not A.ReturnStmt:
            return None
        c = s.cond
        while type(c) is A.ParenExpr:
            c = c.expr
        if type(c) is not A.BinaryExpr or c.op not in ("<", "<=", ">", ">="):
            return None
        x, lit, op = c.lhs, c.rhs, c.op
        if type(x) is A.IntLit:  # c > x is x < c
            x, lit, op = lit, x, {">": "<", ">=": "<="}.get(op, "")
        if type(x) is not A.Ident or type(lit) is not A.IntLit or op not in ("<", "<=") or x.sym is None:
            return None
        sym = orig(x.sym)
        if self.flag_syms is None or self.flag_syms.get(sym.py) is not sym:
            return None
        return sym, lit.value if op == "<" else lit.value + 1

    def block_stmts(self, stmts: list, last_value: bool = False, tick: tuple | None = None) -> list[P.stmt]:
        out: list[P.stmt] = []
        saved_lower = self.lower
        for i, s in enumerate(stmts):
            if tick is not None and i == tick[0]:
                out.extend(tick[1])
            self.pre = []
            if last_value and i == len(stmts) - 1 and type(s) is A.ExprStmt:
                v = self.expr(s.expr)
                new = [at(P.Return(value=v), s.line, s.col)]
            else:
                new = self.stmt(s)
            out.extend(self.pre)
            out.extend(new)
            self.pre = []
            fact = self.guard_fact(s)
            if fact is not None:
                self.lower = {**self.lower, fact[0]: fact[1]}
        self.lower = saved_lower
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
            outer_facts = self.facts()
            self.bound_facts(n.cond)
            body = self.sub_block(n.body.stmts)
            self.keep_facts(outer_facts)
            orelse: list[P.stmt] = []
            if n.else_ is not None:
                saved = self.pre
                self.pre = []
                orelse = self.stmt(n.else_) if type(n.else_) is not A.BlockStmt else self.block_stmts(n.else_.stmts)
                orelse = self.pre + orelse
                self.pre = saved
            out.append(at(P.If(test=test, body=body, orelse=orelse), n.line, n.col))
            return out
        if t is A.ForStmt or t is A.ForInStmt:
            return self.localize_globals(n, self.slot_loop(n))
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
        # an iteration may follow code that ended any fact: loops start without any
        self.inb = self.upper = frozenset()
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
        # the chunked form takes two nested Python blocks (Python allows 20): only when
        # the loops nested inside still have room for at least one block each
        chunked = self.pyblocks + 2 + loop_nesting(n.body) <= 18
        blocks = 2 if chunked else 1
        self.pyblocks += blocks
        if n.cond is not None:
            # (the countdown form runs the budget hook between the condition and the body)
            self.bound_facts(n.cond, with_inb=chunked)
        if chunked:
            body = self.block_stmts(n.body.stmts) + post
        else:
            tinit, tick = self.loop_tick(n.line, n.col)
            out.append(tinit)
            body = tick + self.block_stmts(n.body.stmts) + post
        self.pyblocks -= blocks
        self.inb = self.upper = frozenset()
        self.pre = saved
        self.loops.pop()
        if chunked:
            # while True:
            #     for _ in _TICK_R:          # _TICK_N items: no per-iteration countdown
            #         if not cond: break
            #         body
            #     else:
            #         _tick(); continue       # a full chunk ran: budget tick
            #     break                       # left by break (the condition or the body's)
            if test is not None:
                body = [*cond_pre, at(P.If(test=P.UnaryOp(op=P.Not(), operand=test), body=[P.Break()], orelse=[]),
                                      n.line, n.col), *body]
            tick_stmt = at(expr_stmt(call("_tick")), n.line, n.col)
            inner = P.For(target=ST("_"), iter=at(N("_TICK_R"), n.line, n.col), body=body or [P.Pass()],
                          orelse=[tick_stmt, P.Continue()], type_comment=None)
            loop = P.While(test=C(True), body=[at(inner, n.line, n.col), P.Break()], orelse=[])
        elif test is None:
            loop = P.While(test=C(True), body=body, orelse=[])
        elif cond_pre:
            brk = P.If(test=P.UnaryOp(op=P.Not(), operand=test), body=[P.Break()], orelse=[])
            loop = P.While(test=C(True), body=[*cond_pre, brk, *body], orelse=[])
        else:
            loop = P.While(test=test, body=body, orelse=[])
        if chunked:
            loop = self.version_on_flags(loop, n)
        out.append(at(loop, n.line, n.col))
        return out

    def slot_loop(self, n: Any) -> list[P.stmt]:
        """A loop; one that owns slots (ownership.owns_slots) starts with an empty slot table."""
        gen = self.for_stmt if type(n) is A.ForStmt else self.for_in
        if self.own_loop is not None or not owns_slots(n, self.kind, self.own.maps):
            return gen(n)
        table = self.own_loop = self.tmp()
        try:
            out = gen(n)
        finally:
            self.own_loop = None
        return [at(assign(ST(table), P.Dict(keys=[], values=[])), n.line, n.col), *out]

    def localize_globals(self, n: Any, out: list[P.stmt]) -> list[P.stmt]:
        """A loop of the chunk's top level that calls no user code: the globals it assigns live in
        Python locals while it runs (cheaper than the namespace dict), and are written back when it
        ends, however it ends. No other code runs meanwhile, so nothing can see the difference."""
        if (self.cur is not self.res.main or self.pyblocks or loop_nesting(n) > 8
                or calls_beyond(n, _NO_CALLBACK_BUILTINS) or _has_func(n)):
            return out
        names = sorted({o.py for o in _assigned(n) if o.scope == "global" and o.owner is None})
        if not names:
            return out
        local = {g: "l" + g for g in names}
        body = [_Rename(local).visit(st) for st in out]
        line, col = n.line, n.col
        pre = [at(assign(ST(lo), N(g)), line, col) for g, lo in local.items()]
        back = [at(assign(ST(g), N(lo)), line, col) for g, lo in local.items()]
        return [*pre, at(P.Try(body=body, handlers=[], orelse=[], finalbody=back), line, col)]

    def version_on_flags(self, loop: P.stmt, n: Any) -> P.stmt:
        """A loop that tests type flags of variables it never assigns (`x[i] if _k_x_list
        else ...`): emit a copy with those flags true, chosen once before the loop, so the
        usual case runs no type tests; otherwise the general loop runs. Innermost loops
        without nested functions only (the code is doubled)."""
        if not self.flags or loop_nesting(n.body) > 0:
            return loop
        flag_var = {fl: py for (py, _t), fl in self.flags.items()}
        used: set[str] = set()
        stored: set[str] = set()
        for node in P.walk(loop):
            if isinstance(node, (P.FunctionDef, P.Lambda)):
                return loop
            if isinstance(node, P.Name):
                if isinstance(node.ctx, P.Store):
                    stored.add(node.id)
                elif node.id in flag_var:
                    used.add(node.id)
        chosen = sorted(fl for fl in used if flag_var[fl] not in stored and fl not in stored)
        if not chosen:
            return loop
        fast = _FlagsTrue(set(chosen)).visit(copy.deepcopy(loop))
        return at(P.If(test=and_(*[N(fl) for fl in chosen]), body=[fast], orelse=[loop]), n.line, n.col)

    def for_range(self, n: Any, sym: Any, e: Any, inclusive: bool) -> list[P.stmt]:
        out = self.inline_stmt(n.init)
        start = n.init.rhs[0]
        saved_lower = self.lower
        if type(start) is A.IntLit:
            # counts up from a literal and the body never assigns it
            self.lower = {**self.lower, sym: start.value}
        i = N(sym.py)
        ev = self.expr(e)
        hi = P.BinOp(left=ev, op=P.Add(), right=C(1)) if inclusive else ev
        if type(e) is A.IntLit:
            test = self.tis(i, "int")
        else:
            test = and_(self.tis(i, "int"), self.tis(ev, "int"))
        # the budget ticks come from the iterator (between chunks of _TICK_N iterations)
        it = ifexp(test, call("_o_range", i, hi, N("_TICK_N"), N("_tick")),
                   call("_o_count", i, ev, C(inclusive), N("_TICK_N"), N("_tick")))
        self.loops.append([])
        saved = self.pre
        self.pyblocks += 1
        body = self.block_stmts(n.body.stmts) or [P.Pass()]
        self.pyblocks -= 1
        self.inb = self.upper = frozenset()
        self.lower = saved_lower
        self.pre = saved
        self.loops.pop()
        loop = P.For(target=ST(sym.py), iter=at(it, n.line, n.col), body=body, orelse=[], type_comment=None)
        out.append(at(loop, n.line, n.col))
        return out

    def for_in(self, n: Any) -> list[P.stmt]:
        self.inb = self.upper = frozenset()
        it = self.expr(n.iterable)
        line, col = last_pos(n.iterable)
        it_call = at(call("_o_iter", it, N("_TICK_N"), N("_tick")), line, col)
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
        if self.own_loop is not None and n.vsym is not None:  # a value of the walked container may be owned
            v = self.read_sym(n.vsym)
            body.append(at(P.If(test=self.tis(v, "list"), body=[expr_stmt(call("_o_unown", N(self.own_loop), v))],
                                orelse=[]), n.line, n.col))
        self.loops.append(None)
        saved = self.pre
        # the budget ticks come from the iterator (_o_iter ticks between chunks)
        self.pyblocks += 1
        body = body + self.block_stmts(n.body.stmts)
        self.pyblocks -= 1
        self.inb = self.upper = frozenset()
        self.pre = saved
        self.loops.pop()
        loop = P.For(target=P.Tuple(elts=targets, ctx=P.Store()), iter=it_call, body=body or [P.Pass()], orelse=[],
                     type_comment=None)
        return [at(loop, n.line, n.col)]

    # -- assignment ----------------------------------------------------------
    def store(self, sym: Any, value: P.expr, define: bool, line: int, col: int) -> list[P.stmt]:
        o = orig(sym)
        if o.boxed:
            if define:
                return [at(assign(ST(o.py), P.List(elts=[value], ctx=P.Load())), line, col)]
            return [at(assign(sub0_store(N(o.py)), value), line, col)]
        return [at(assign(ST(o.py), value), line, col)]

    def assign(self, n: Any, target: Any, rhs: Any, op: str) -> list[P.stmt]:
        out = self.assign_stmts(n, target, rhs, op)
        if type(target) is A.Ident and n.syms is not None:
            self.kill_sym(orig(n.syms))  # (after the right side, which still sees the facts)
            if self_append(n) is None:
                out.extend(self.new_owner(n.syms, type(rhs) is A.ArrayLit and op in ("=", ":="), n.line, n.col))
        return out

    def new_owner(self, sym: Any, fresh: bool, line: int, col: int) -> list[P.stmt]:
        """After an assignment to a tracked variable: whether it owns its new value (ownership.py)."""
        flag, slots = self.own.var_flag(sym), self.own.map_slots(sym)
        out = [at(assign(ST(flag), C(fresh)), line, col)] if flag is not None else []
        if slots is not None:
            out.append(at(assign(ST(slots), P.Dict(keys=[], values=[])), line, col))
        return out

    def assign_stmts(self, n: Any, target: Any, rhs: Any, op: str) -> list[P.stmt]:
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
                    return self.append_var(n, o, rhs, op)
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
                test = and_(self.tis(N(o.py), "str") if kind_l != "str" else None,
                            self.tis(r, "str") if self.kind(rhs) != "str" else None,
                            cmp(call("len", r), P.Lt(), C(SMALL)))  # a large operand: the slow path (ops.made)
                orelse = slow
                if kind_l != "str" and self.kind(rhs) != "str":
                    # unknown kinds: try int + int first (sums), then str + str
                    rt = self.tmp()
                    itest = and_(self.tis(N(o.py), "int"), self.tis(r, "int"),
                                 in_range(walrus(rt, binop(N(o.py), P.Add(), r))))
                    ifast = self.store(sym, N(rt), False, line, col)
                    orelse = [at(P.If(test=test, body=[fast], orelse=slow), line, col)]
                    test, fast = itest, ifast[0]
                return [*pre, at(P.If(test=test, body=[fast], orelse=orelse), line, col)]
            value = self.compound(bop, cur, r, kind_l, self.kind(rhs), n, target, rhs)
            return self.store(sym, value, False, line, col)
        # selector assignment: a[i][j] = v  (value first, then selectors)
        if slot_append(n) is not None and self.own.map_slots(sym) is not None:
            return self.append_slot(n, sym, sels[0], rhs)
        if slot_append(n) is not None and self.own_loop is not None:
            return self.append_slot(n, sym, sels[0], rhs, self.own_loop)
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
        kk = self.kind(sels[-1])
        dk = self.kinds.get(orig(sym)) if len(sels) == 1 else None
        sub_store = P.Subscript(value=dst, slice=key, ctx=P.Store())
        slow = [at(expr_stmt(call("_o_set_index", dst, key, v)), line, col)]
        lst = and_(self.tis(dst, "list"), self.tis(key, "int") if kk != "int" else None,
                   P.Compare(left=C(-1), ops=[P.Lt(), P.Lt()], comparators=[key, call("len", dst)]))
        dct = and_(self.tis(dst, "dict") if dk != "dict" else None, self.tis(key, "str") if kk != "str" else None)
        fast_l = at(assign(sub_store, v), line, col)
        fast_d = at(assign(P.Subscript(value=dst, slice=key, ctx=P.Store()), v), line, col)
        if kk == "str" or dk == "dict":  # a list store cannot apply
            stmts.append(fast_d if is_true(dct) else at(P.If(test=dct, body=[fast_d], orelse=slow), line, col))
        elif kk == "int" or dk == "list":  # a dict store cannot apply
            stmts.append(at(P.If(test=lst, body=[fast_l], orelse=slow), line, col))
        else:
            inner = P.If(test=lst, body=[fast_l], orelse=slow)
            stmts.append(at(P.If(test=dct, body=[fast_d], orelse=[at(inner, line, col)]), line, col))
        return stmts

    def append_var(self, n: Any, o: Any, rhs: Any, op: str) -> list[P.stmt]:
        """`x = append(x, ...)`: in place when x owns its list (ownership.py), else a new list."""
        line, col = n.line, n.col
        if op == "=" and len(rhs.args) == 2 and o in self.unaliased:  # no other reference, ever
            if self.index_appendable(rhs.args[1]):
                return self.append_index(self.expr(rhs.args[0]), rhs.args[1], line, col)
            cur, v = self.expr(rhs.args[0]), self.expr(rhs.args[1])
            return [at(expr_stmt(P.Call(func=P.Attribute(value=cur, attr="append", ctx=P.Load()),
                                        args=[v], keywords=[])), line, col)]
        args = [self.expr(a) for a in rhs.args]
        value = at(self.copying_append(args), rhs.line, rhs.col)
        flag = self.own.var_flag(o) if op == "=" else None
        if flag is None:
            return self.store(n.syms, value, op == ":=", line, col)
        pre, args = self.simple_args(args, line, col)  # (they run before the ownership test)
        cur = args[0]
        grow = at(_grow(cur, args[1:]), line, col)
        copy_ = [*self.store(n.syms, at(self.copying_append(args), rhs.line, rhs.col), False, line, col),
                 at(assign(ST(flag), C(True)), line, col)]
        test = and_(N(flag), self.tis(cur, "list"))
        return [*pre, at(P.If(test=test, body=[grow], orelse=copy_), line, col)]

    def append_slot(self, n: Any, sym: Any, key_node: Any, rhs: Any, loop_table: str | None = None) -> list[P.stmt]:
        """`m[k] = append(m[k], ...)`, `m.f = append(m.f, ...)`: in place when the slot holds the list an
        append stored there and no read since may have kept it (ownership.py), else a new list stored.
        The slots of m are m's `_oc_` dict (m holds literals only), or the slot table of the loop
        (`loop_table`), keyed by (id(m), key)."""
        line, col = n.line, n.col
        pre, args = self.simple_args([self.expr(a) for a in rhs.args], line, col)
        cur = args[0]
        key = C(key_node.value) if type(key_node) is A.StringLit or type(key_node) is A.IntLit else self.expr(key_node)
        base = self.read_sym(sym)
        table = N(loop_table or self.own.map_slots(sym))
        slot = P.Tuple(elts=[call("id", base), key], ctx=P.Load()) if loop_table else key
        owned = and_(self.tis(cur, "list"),
                     cmp(P.Call(func=P.Attribute(value=table, attr="get", ctx=P.Load()), args=[slot], keywords=[]),
                         P.Is(), cur))
        tn = self.tmp()
        made = at(assign(ST(tn), at(self.copying_append(args), rhs.line, rhs.col)), line, col)
        store = at(expr_stmt(call("_o_set_index", base, key, N(tn))), line, col)
        if loop_table:
            keep = at(expr_stmt(call("_o_own_slot", table, slot, N(tn))), line, col)
        else:
            keep = at(assign(P.Subscript(value=table, slice=key, ctx=P.Store()), N(tn)), line, col)
        return [*pre, at(P.If(test=owned, body=[at(_grow(cur, args[1:]), line, col)], orelse=[made, store, keep]),
                         line, col)]

    def copying_append(self, args: list[P.expr]) -> P.expr:
        """append() making a new list; in a slot-owning loop, the lists the old one held are no longer owned
        (the copy holds them too: ownership.append_copy)."""
        if self.own_loop is None:
            return call("B_append", *args)
        return call("_o_append_copy", N(self.own_loop), *args)

    def simple_args(self, args: list[P.expr], line: int, col: int) -> tuple[list[P.stmt], list[P.expr]]:
        """Evaluate the arguments into temporaries (in order) unless they are plain names or constants."""
        pre: list[P.stmt] = []
        out: list[P.expr] = []
        for a in args:
            if is_simple(a):
                out.append(a)
            else:
                t = self.tmp()
                pre.append(at(assign(ST(t), a), line, col))
                out.append(N(t))
        return pre, out

    def index_appendable(self, e: Any) -> bool:
        """`y[i]` with y a plain variable and i an int >= 0 not known to be in range."""
        if type(e) is not A.IndexExpr or type(e.expr) is not A.Ident or type(e.index) is not A.Ident:
            return False
        if self.known_in_range(e) or self.kind(e.index) != "int" or not self.nonneg(e.index):
            return False
        if self.pyblocks + 2 > 18:  # a try takes Python blocks too (20 at most)
            return False
        if self.own_loop is not None:  # (its element read must be checked, ownership.py)
            return False
        return all(is_simple(self.read_sym(x.sym)) for x in (e.expr, e.index))

    def append_index(self, r: P.expr, e: Any, line: int, col: int) -> list[P.stmt]:
        """r = append(r, y[i]) on an unshared r, i an int >= 0: y[i] on a Python list either
        reads the element or raises IndexError, the out-of-range case (undefined). Nothing
        has run yet when it raises, so the handler appends undefined; no bounds test."""
        y, i = self.expr(e.expr), self.expr(e.index)
        ipos = last_pos(e.index)

        def push(v: P.expr) -> P.stmt:
            return at(expr_stmt(P.Call(func=P.Attribute(value=r, attr="append", ctx=P.Load()), args=[v],
                                       keywords=[])), line, col)

        fast = P.Try(body=[push(at(P.Subscript(value=y, slice=i, ctx=P.Load()), *ipos))],
                     handlers=[P.ExceptHandler(type=N("IndexError"), name=None, body=[push(C(None))])],
                     orelse=[], finalbody=[])
        fast = at(fast, line, col)
        if self.kind(e.expr) == "list":
            return [fast]
        slow = push(at(call("_o_index", y, i), *ipos))
        return [at(P.If(test=self.tis(y, "list"), body=[fast], orelse=[slow]), line, col)]

    def compound(self, bop: str, cur: P.expr, r: P.expr, lk: Any, rk: Any, n: Any,
                 ln: Any = None, rn: Any = None) -> P.expr:
        if bop == "&^":
            return at(call("_o_andnot", cur, r), n.line, n.col)
        if bop == "<<":
            return at(call("_o_shl", cur, r), n.line, n.col)
        return self.arith(bop, cur, r, lk, rk, n, ln, rn)

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
            for e in A.children(x):
                walk(e)
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


class _Rename(P.NodeTransformer):
    """Rename variables (Python names) in generated code."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: P.Name) -> P.AST:
        new = self.names.get(node.id)
        if new is not None:
            node.id = new
        return node


def _assigned(node: Any) -> list:
    """Symbols that assignments inside node (nested functions excluded) assign."""
    out: list = []
    collect_assigns(node, out)
    return [s for s, _rhs, _op in out]


def _has_func(node: Any) -> bool:
    return type(node) is A.FuncLit or any(_has_func(x) for x in A.children(node))


class _FlagsTrue(P.NodeTransformer):
    """Replace the given flags by True and fold the tests they decide."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def visit_Name(self, node: P.Name) -> P.AST:
        if node.id in self.names and isinstance(node.ctx, P.Load):
            return P.copy_location(C(True), node)
        return node

    def visit_IfExp(self, node: P.IfExp) -> P.AST:
        self.generic_visit(node)
        return node.body if is_true(node.test) else node

    def visit_If(self, node: P.If) -> Any:
        self.generic_visit(node)
        return node.body if is_true(node.test) else node

    def visit_BoolOp(self, node: P.BoolOp) -> P.AST:
        self.generic_visit(node)
        if isinstance(node.op, P.Or):
            return node.values[0] if is_true(node.values[0]) else node
        rest = [v for v in node.values if not is_true(v)]
        if not rest:
            return P.copy_location(C(True), node)
        if len(rest) == 1:
            return rest[0]
        node.values = rest
        return node


class _InlineFlags(P.NodeTransformer):
    """Put `type(x) is T` back in place of a flag tested only once."""

    def __init__(self, inline: dict[str, tuple[str, str]]) -> None:
        self.inline = inline

    def visit_body(self, stmts: list[P.stmt]) -> None:
        for i, s in enumerate(stmts):
            stmts[i] = self.visit(s)

    def visit_FunctionDef(self, node: P.FunctionDef) -> P.AST:
        return node  # nested functions have their own flags

    def visit_Name(self, node: P.Name) -> P.AST:
        hit = self.inline.get(node.id)
        if hit is None:
            return node
        new = type_is(N(hit[0]), hit[1])
        return P.copy_location(new, node)


def clone_targets(file: Any, records: list) -> dict:
    """`f := func(a, b) {...}` at the top level of a chunk, f assigned nowhere else in the chunk,
    whose body calls nothing but f itself (with its arity) and builtins that never call back:
    candidates for an int-specialised clone (FuncLit id -> f's symbol). The clone is entered
    only while f still holds the function, and no other code runs until it returns."""
    count: dict = {}
    for sym, _rhs, _op in records:
        count[sym] = count.get(sym, 0) + 1
    out: dict = {}
    for st in file.stmts:
        if type(st) is not A.AssignStmt or st.op != ":=" or type(st.lhs[0]) is not A.Ident:
            continue
        fn = st.rhs[0]
        sym = orig(st.syms) if st.syms is not None else None
        if type(fn) is not A.FuncLit or not isinstance(sym, Sym) or sym.scope != "global" or sym.owner is not None:
            continue
        if count.get(sym) != 1:  # (the body never assigns f: only the clone runs while it runs)
            continue
        fi = fn.scope
        if fi.varargs or not fi.params or fi.free or count_params_assigned(records, fi):
            continue
        if not fn.body.stmts or type(fn.body.stmts[-1]) is not A.ReturnStmt:
            continue
        if _calls_only_self(fn.body, sym, len(fi.params)):
            out[id(fn)] = sym
    return out


def count_params_assigned(records: list, fi: Any) -> bool:
    params = set(fi.params)
    return any(sym in params and not (op == ":=" and rhs is None) for sym, rhs, op in records)


def _calls_only_self(node: Any, sym: Any, arity: int) -> bool:
    t = type(node)
    if t is A.FuncLit or t is A.ImportExpr:
        return False
    if t is A.CallExpr:
        f = node.func
        if type(f) is not A.Ident or f.sym is None:
            return False
        o = orig(f.sym)
        if o is sym:
            if node.ellipsis or len(node.args) != arity:
                return False
        elif not (o.scope == "builtin" and o.name in _NO_CALLBACK_BUILTINS):
            return False
    if t is A.Ident:
        return True
    return all(_calls_only_self(x, sym, arity) for x in A.children(node))


def counters(records: list, kinds: dict) -> dict:
    """Int variables declared `x := <literal>` and otherwise only incremented by one: x never
    goes below the literal (wrapping around would take over 2**62 increments)."""
    by_sym: dict = {}
    for sym, rhs, op in records:
        by_sym.setdefault(sym, []).append((rhs, op))
    out: dict = {}
    for sym, recs in by_sym.items():
        if kinds.get(sym) != "int" or not isinstance(sym, Sym) or sym.owner is None:
            continue
        starts = [r.value for r, op in recs if op == ":=" and type(r) is A.IntLit]
        steps = [1 for r, op in recs if op == "+=" and type(r) is A.IntLit and r.value == 1]
        # (a start near MAX would wrap around after a few increments)
        if len(starts) == 1 and len(starts) + len(steps) == len(recs) and starts[0] <= 1 << 62:
            out[sym] = starts[0]
    return out


def loop_nesting(node: Any) -> int:
    """Deepest nesting of loops inside node (nested function bodies excluded)."""
    t = type(node)
    if t is A.FuncLit or t is A.Ident:
        return 0
    best = max((loop_nesting(x) for x in A.children(node)), default=0)
    return best + (1 if t is A.ForStmt or t is A.ForInStmt else 0)


def _idents(node: Any, out: list) -> None:
    t = type(node)
    if t is A.Ident:
        out.append(node)
        return
    if t is A.FuncLit:
        _idents(node.body, out)
        return
    for x in A.children(node):
        _idents(x, out)


def _grow(lst: P.expr, values: list[P.expr]) -> P.stmt:
    """lst.append(v) / lst.extend((v, w, ...)): the in-place append."""
    if len(values) == 1:
        return expr_stmt(P.Call(func=P.Attribute(value=lst, attr="append", ctx=P.Load()), args=values, keywords=[]))
    return expr_stmt(P.Call(func=P.Attribute(value=lst, attr="extend", ctx=P.Load()),
                            args=[P.Tuple(elts=values, ctx=P.Load())], keywords=[]))


def _is_append_of(rhs: Any, o: Any) -> bool:
    if type(rhs) is not A.CallExpr or rhs.ellipsis or len(rhs.args) < 2:
        return False
    f = rhs.func
    if type(f) is not A.Ident or orig(f.sym).scope != "builtin" or orig(f.sym).name != "append":
        return False
    a0 = rhs.args[0]
    return type(a0) is A.Ident and orig(a0.sym) is o


def unaliased_arrays(file: Any) -> set:
    """Variables that always hold an array no other reference can see: assigned only
    `[...]` or `x = append(x, ...)`, and otherwise only indexed, sliced, measured with
    len() or returned. `x = append(x, v)` can then append in place."""
    good: set = set()
    bad: set = set()
    allowed: set = set()

    def visit(n: Any) -> None:
        t = type(n)
        if t is A.AssignStmt or t is A.IncDecStmt:
            lhs = n.lhs[0] if t is A.AssignStmt else n.expr
            base = lhs
            while type(base) in (A.IndexExpr, A.SelectorExpr):
                base = base.expr
            if type(base) is A.Ident and base is not lhs:
                allowed.add(id(base))  # x[i] = v mutates x, aliases nothing
            elif type(lhs) is A.Ident and n.syms is not None:
                o = orig(n.syms)
                rhs = n.rhs[0] if t is A.AssignStmt and n.rhs else None
                if t is A.AssignStmt and n.op == ":=" and type(rhs) is A.ArrayLit:
                    good.add(o)
                    allowed.add(id(lhs))
                elif t is A.AssignStmt and n.op == "=" and (type(rhs) is A.ArrayLit or _is_append_of(rhs, o)):
                    good.add(o)
                    allowed.add(id(lhs))
                    if type(rhs) is A.CallExpr:
                        allowed.add(id(rhs.args[0]))
                else:
                    bad.add(o)
        elif t is A.CallExpr:
            f = n.func
            if (type(f) is A.Ident and orig(f.sym).scope == "builtin" and orig(f.sym).name == "len"
                    and len(n.args) == 1 and type(n.args[0]) is A.Ident):
                allowed.add(id(n.args[0]))
        elif t is A.IndexExpr or t is A.SliceExpr:
            if type(n.expr) is A.Ident:
                allowed.add(id(n.expr))
        elif t is A.ReturnStmt:
            if type(n.result) is A.Ident:
                allowed.add(id(n.result))
        elif t is A.ForInStmt:
            bad.update(x for x in (n.ksym, n.vsym) if x is not None)
        elif t is A.FuncLit:
            bad.update(n.scope.params)
        for x in A.children(n):
            visit(x)

    visit(file)
    cands = {o for o in good - bad if isinstance(o, Sym) and o.owner is not None and not o.captured
             and not o.boxed and not o.is_param}
    ids: list = []
    _idents(file, ids)
    for ident in ids:
        o = orig(ident.sym) if ident.sym is not None else None
        if o in cands and id(ident) not in allowed:
            cands.discard(o)
    return cands


def insert_flags(stmts: list[P.stmt], by_var: dict[str, list[P.stmt]], done: set[str]) -> None:
    """Put each variable's type flags right after its (single) assignment."""
    i = 0
    while i < len(stmts):
        s = stmts[i]
        i += 1
        if type(s) is P.Assign and type(s.targets[0]) is P.Name and s.targets[0].id in by_var:
            new = [at(f, s.lineno, s.col_offset + 1) for f in by_var[s.targets[0].id]]
            stmts[i:i] = new
            i += len(new)
            done.add(s.targets[0].id)
        elif type(s) in (P.If, P.While, P.For):
            insert_flags(s.body, by_var, done)
            insert_flags(s.orelse, by_var, done)


def stable_rhs_of(gen: CodeGen, records: list) -> dict:
    """Right side of each local assigned exactly once (its value never changes)."""
    return {s: rhs for s, rhs, op in records if op == ":=" and rhs is not None and gen.flag_syms.get(s.py) is s}


def stable_syms(records: list) -> dict:
    """Function locals assigned exactly once (a parameter or one `:=`), by python name."""
    count: dict = {}
    for sym, rhs, op in records:
        ok = sym.is_param or (op == ":=" and rhs is not None)
        count[sym] = count.get(sym, 0) + (1 if ok else 2)
    return {s.py: s for s, c in count.items()
            if c == 1 and isinstance(s, Sym) and s.scope == "local" and not s.boxed}


_NO_CALLBACK_BUILTINS = frozenset({
    "len", "append", "string", "int", "bool", "float", "char", "bytes", "copy", "delete", "splice",
    "type_name", "is_int", "is_float", "is_string", "is_bool", "is_char", "is_bytes", "is_array",
    "is_map", "is_error", "is_undefined", "is_function", "is_callable", "is_immutable_array",
    "is_immutable_map", "is_iterable", "is_time", "time", "format", "range",
})


def infer_kinds(res: Resolver, records: list) -> dict:
    """Optimistic int/str inference for variables only ever assigned one kind."""
    cands: dict = {}
    for sym, rhs, op in records:
        cands.setdefault(sym, []).append((rhs, op))
    kinds: dict = {}
    gen = ExprGen()
    gen.kinds = kinds
    for want in ("int", "str", "list", "dict"):
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
    gen.flag_syms = stable_syms(records)
    gen.stable_rhs = stable_rhs_of(gen, records)
    gen.unaliased = unaliased_arrays(file)
    gen.own = analyse_ownership(file, persisted)
    # globals declared by this chunk can only be assigned by this chunk's code
    # while it runs, so they join the inference; persisted ones never do
    gen.kinds = infer_kinds(res, [r for r in records if r[0].scope == "local" or r[0].owner is not None
                                  or (r[0].scope == "global" and r[0].name not in persisted)])
    gen.py_kinds = {s.py: k for s, k in gen.kinds.items()}
    gen.lower = counters(records, gen.kinds)
    gen.clone_targets = clone_targets(file, records)
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
    with warnings.catch_warnings():  # CPython's hints on the generated code (`1(2)`: "perhaps you missed a
        warnings.simplefilter("ignore", SyntaxWarning)  # comma?"); Tengo reports such code when it runs
        code = compile(mod, filename, "exec")
    unit = Unit(code, main.name, gen.consts, mod, [])
    unit.func_spans = gen.func_spans  # type: ignore[attr-defined]
    unit.declared = [s.name for s in res.table.store.values()  # type: ignore[attr-defined]
                     if isinstance(s, Sym) and s.scope == "global" and s.owner is None]
    return unit


__all__ = ["DISPATCHERS", "FUNC_ARITY", "Unit", "compile_chunk", "ifexp", "walrus"]
