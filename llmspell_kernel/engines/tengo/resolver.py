"""Scopes and compile-time checks, following Tengo's SymbolTable rules.

Annotates the AST with symbols (Ident.sym, AssignStmt.syms, ...) and works
out, per generated Python function, which variables need `global`,
`nonlocal`, or a per-execution box (a captured local re-declared each time
it runs, which Tengo gives a fresh variable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ast as A


class CompileError(Exception):
    def __init__(self, msg: str, line: int, col: int, filename: str | None = None) -> None:
        super().__init__(msg)
        self.msg, self.line, self.col, self.filename = msg, line, col, filename


def mangle(name: str) -> str:
    return name if name.isascii() else "u" + name.encode("utf-8").hex()


class Sym:
    __slots__ = ("assigned", "captured", "in_loop", "is_param", "name", "owner", "py", "scope")

    def __init__(self, name: str, scope: str, py: str, owner: Any) -> None:
        self.name, self.scope, self.py, self.owner = name, scope, py, owner
        self.assigned = False
        self.captured = False
        self.in_loop = False
        self.is_param = False

    @property
    def boxed(self) -> bool:
        return self.scope == "local" and self.captured and self.in_loop and not self.is_param

    def __repr__(self) -> str:
        return f"Sym({self.name}, {self.scope}, {self.py})"


class FreeSym:
    __slots__ = ("orig",)
    scope = "free"

    def __init__(self, orig: Sym) -> None:
        self.orig = orig


class FuncInfo:
    """One generated Python function (the chunk body, a module, or a func literal)."""

    def __init__(self, name: str, parent: FuncInfo | None, kind: str) -> None:
        self.name, self.parent, self.kind = name, parent, kind
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.free: list[Sym] = []
        self.loop_depth = 0
        self.params: list[Sym] = []
        self.varargs = False


class Table:
    __slots__ = ("block", "func", "parent", "store", "top")

    def __init__(self, parent: Table | None, block: bool, func: FuncInfo | None, top: bool = False) -> None:
        self.parent, self.block, self.func, self.top = parent, block, func, top
        self.store: dict[str, Any] = {}

    def fn_table(self) -> Table | None:
        t: Table | None = self
        while t is not None and t.block:
            t = t.parent
        return t

    def resolve(self, name: str, recur: bool) -> tuple[Any, int] | None:
        s = self.store.get(name)
        if s is not None and (s.scope != "local" or s.assigned or recur):
            return s, 0
        if self.parent is None:
            return None
        r = self.parent.resolve(name, True)
        if r is None:
            return None
        s, depth = r
        depth += 1
        if not self.block and depth > 0 and s.scope not in ("global", "builtin"):
            orig = s.orig if isinstance(s, FreeSym) else s
            orig.captured = True
            if self.func is not None:
                self.func.free.append(orig)
            fs = FreeSym(orig)
            self.store[name] = fs
            return fs, depth
        return s, depth


class Resolver:
    def __init__(self, filename: str, prefix: str, builtins: list[str], persisted: set[str],
                 import_hook: Callable[[A.ImportExpr], Any] | None, module: bool) -> None:
        self.filename = filename
        self.prefix = prefix
        self.counter = 0
        self.import_hook = import_hook
        self.funcs: list[FuncInfo] = []
        self.main = FuncInfo(f"tm_{prefix}", None, "module" if module else "main")
        self.funcs.append(self.main)
        self.func = self.main
        if module:
            root = Table(None, False, None)
            for b in builtins:
                root.store[b] = Sym(b, "builtin", "B_" + b, None)
            self.table = Table(root, False, self.main)
        else:
            root = Table(None, False, None)
            for g in persisted:
                root.store[g] = Sym(g, "global", "g_" + mangle(g), None)
            top = Table(root, False, self.main, top=True)
            for b in builtins:
                top.store[b] = Sym(b, "builtin", "B_" + b, None)
            self.table = top
        self.loops = 0

    def err(self, node: Any, msg: str) -> CompileError:
        return CompileError(msg, node.line, node.col, self.filename)

    # -- symbols -----------------------------------------------------------
    def define(self, name: str) -> Sym:
        t = self.table
        ft = t.fn_table()
        if ft is not None and ft.top:
            if t is ft:
                s = Sym(name, "global", "g_" + mangle(name), None)
            else:
                self.counter += 1
                s = Sym(name, "global", f"b_{mangle(name)}_{self.counter}", self.main)
        else:
            self.counter += 1
            s = Sym(name, "local", f"v_{mangle(name)}_{self.counter}", self.func)
            s.in_loop = self.func.loop_depth > 0
        t.store[name] = s
        return s

    def fork(self, block: bool) -> None:
        self.table = Table(self.table, block, self.func)

    def pop(self) -> None:
        self.table = self.table.parent  # type: ignore[assignment]

    def note_assign(self, s: Any) -> None:
        """Record what the current Python function must declare to assign s."""
        orig = s.orig if isinstance(s, FreeSym) else s
        if orig.owner is None:
            self.func.globals.add(orig.py)
        elif orig.owner is not self.func and not orig.boxed:
            self.func.nonlocals.add(orig.py)

    # -- walk ------------------------------------------------------------
    def file(self, f: A.File) -> None:
        for s in f.stmts:
            self.stmt(s)

    def stmts(self, body: list) -> None:
        for s in body:
            self.stmt(s)

    def block(self, b: A.BlockStmt) -> None:
        if not b.stmts:
            return
        self.fork(True)
        self.stmts(b.stmts)
        self.pop()

    def stmt(self, n: Any) -> None:
        t = type(n)
        if t is A.ExprStmt:
            self.expr(n.expr)
        elif t is A.AssignStmt:
            self.assign(n, n.lhs, n.rhs, n.op)
        elif t is A.IncDecStmt:
            self.assign(n, [n.expr], None, "+=" if n.op == "++" else "-=")
        elif t is A.BlockStmt:
            self.block(n)
        elif t is A.IfStmt:
            self.fork(True)
            if n.init is not None:
                self.stmt(n.init)
            self.expr(n.cond)
            self.block(n.body)
            if n.else_ is not None:
                self.stmt(n.else_)
            self.pop()
        elif t is A.ForStmt:
            self.fork(True)
            if n.init is not None:
                self.stmt(n.init)
            if n.cond is not None:
                self.expr(n.cond)
            self.loops += 1
            self.func.loop_depth += 1
            self.block(n.body)
            if n.post is not None:
                self.stmt(n.post)
            self.func.loop_depth -= 1
            self.loops -= 1
            self.pop()
        elif t is A.ForInStmt:
            self.fork(True)
            self.expr(n.iterable)
            self.loops += 1
            self.func.loop_depth += 1
            if n.key.name != "_":
                n.ksym = self.define(n.key.name)
                n.ksym.assigned = True
                self.note_assign(n.ksym)
            if n.value.name != "_":
                n.vsym = self.define(n.value.name)
                n.vsym.assigned = True
                self.note_assign(n.vsym)
            self.block(n.body)
            self.func.loop_depth -= 1
            self.loops -= 1
            self.pop()
        elif t is A.BranchStmt:
            if self.loops == 0:
                word = "break" if n.op == "break" else "continue"
                raise self.err(n, f"{word} not allowed outside loop")
        elif t is A.ReturnStmt:
            ft = self.table.fn_table()
            if ft is not None and ft.top:
                raise self.err(n, "return not allowed outside function")
            if n.result is not None:
                self.expr(n.result)
        elif t is A.ExportStmt:
            if self.func is not self.main:
                raise self.err(n, "export not allowed inside function")
            if self.main.kind == "module":
                self.expr(n.result)
            else:  # ignored outside a module, as the reference compiler does: later passes never see it
                n.result = None
        elif t in (A.EmptyStmt, A.BadStmt):
            pass
        else:  # pragma: no cover - parser never produces others
            raise self.err(n, f"unknown statement {t.__name__}")

    def assign(self, node: Any, lhs: list, rhs: list | None, op: str) -> None:
        if len(lhs) > 1 or (rhs is not None and len(rhs) > 1):
            raise self.err(node, "tuple assignment not allowed")
        target = lhs[0]
        ident, sels = _assign_lhs(target)
        if op == ":=" and sels:
            raise self.err(node, "operator ':=' not allowed with selector")
        if op == ":=" and ident is None:  # `711 := 1`
            raise self.err(node, "operator ':=' needs a variable name on its left")
        r = self.table.resolve(ident.name if ident is not None else "", False) if ident is not None else None
        sym = None
        if op == ":=":
            if r is not None and r[1] == 0:
                raise self.err(node, f"'{ident.name}' redeclared in this block")
            # as the reference: a func literal sees its own name (recursion); any other value is declared
            # after it is computed, so `y := y + 1` in a block reads the outer y and `m := {a: m}` is unresolved
            if rhs is not None and type(rhs[0]) is A.FuncLit:
                sym = self.define(ident.name)
        else:
            if r is None:
                name = ident.name if ident is not None else ""
                raise self.err(node, f"unresolved reference '{name}'")
            sym = r[0]
        if op not in ("=", ":="):
            self.expr(target)
        if rhs is not None:
            for e in rhs:
                self.expr(e)
        for s in reversed(sels):
            self.expr(s)
        if sym is None:
            sym = self.define(ident.name)
        if sym.scope == "builtin":
            e = self.err(node, f"invalid assignment variable scope: {sym.scope.upper()}")
            e.go_panic = e.msg  # the reference's compiler panics here  # type: ignore[attr-defined]
            raise e
        if isinstance(sym, Sym) and sym.scope == "local":
            sym.assigned = True
        if not sels:
            self.note_assign(sym)
        node.syms = sym
        if ident is not None:
            ident.sym = sym

    def expr(self, n: Any) -> None:
        t = type(n)
        if t is A.Ident:
            r = self.table.resolve(n.name, False)
            if r is None:
                raise self.err(n, f"unresolved reference '{n.name}'")
            n.sym = r[0]
            o = r[0].orig if isinstance(r[0], FreeSym) else r[0]
            if o.owner is not None and o.owner is not self.func:
                o.captured = True  # read from a nested function (also top-level block globals)
        elif t is A.BinaryExpr:
            if n.op in ("<", "<="):
                self.expr(n.rhs)
                self.expr(n.lhs)
            else:
                self.expr(n.lhs)
                self.expr(n.rhs)
        elif t is A.UnaryExpr:
            self.expr(n.expr)
        elif t is A.ParenExpr:
            self.expr(n.expr)
        elif t is A.CondExpr:
            self.expr(n.cond)
            self.expr(n.true)
            self.expr(n.false)
        elif t is A.ArrayLit:
            for e in n.elements:
                self.expr(e)
        elif t is A.MapLit:
            for e in n.values:
                self.expr(e)
        elif t is A.CallExpr:
            self.expr(n.func)
            for a in n.args:
                self.expr(a)
        elif t is A.IndexExpr:
            self.expr(n.expr)
            self.expr(n.index)
        elif t is A.SliceExpr:
            self.expr(n.expr)
            if n.low is not None:
                self.expr(n.low)
            if n.high is not None:
                self.expr(n.high)
        elif t is A.SelectorExpr:
            self.expr(n.expr)
        elif t in (A.ErrorExpr, A.ImmutableExpr):
            self.expr(n.expr)
        elif t is A.FuncLit:
            self.func_lit(n)
        elif t is A.ImportExpr:
            if not n.name:
                raise self.err(n, "empty module name")
            if self.import_hook is None:
                raise self.err(n, f"module '{n.name}' not found")
            n.target = self.import_hook(n)
        elif t in (A.IntLit, A.FloatLit, A.CharLit, A.StringLit, A.BoolLit, A.UndefinedLit, A.BadExpr):
            pass

    def func_lit(self, n: A.FuncLit) -> None:
        self.counter += 1
        fi = FuncInfo(f"tf_{self.prefix}_{self.counter}", self.func, "func")
        fi.varargs = n.varargs
        self.funcs.append(fi)
        outer_func, outer_loops = self.func, self.loops
        self.func = fi
        self.loops = 0
        self.table = Table(self.table, False, fi)
        for p in n.params:
            s = self.define(p.name)
            s.assigned = True
            s.is_param = True
            s.in_loop = False
            fi.params.append(s)
        self.block(n.body)
        self.table = self.table.parent  # type: ignore[assignment]
        self.func, self.loops = outer_func, outer_loops
        n.scope = fi


def _assign_lhs(e: Any) -> tuple[Any, list]:
    if type(e) is A.SelectorExpr:
        ident, sels = _assign_lhs(e.expr)
        return ident, [*sels, e.sel]
    if type(e) is A.IndexExpr:
        ident, sels = _assign_lhs(e.expr)
        return ident, [*sels, e.index]
    if type(e) is A.Ident:
        return e, []
    return None, []
