"""Expression code generation: Tengo expressions to Python ast.

Int and string fast paths are inlined behind `type(x) is int` guards; other
cases call the helpers in ops.py (bound in the runtime globals as `_o_*`).
"""

from __future__ import annotations

import ast as P
from typing import Any

from . import ast as A
from .ops import SMALL
from .pyast import (
    MAXI,
    MINI,
    C,
    N,
    and_,
    at,
    binop,
    both_type,
    call,
    cmp,
    ifexp,
    in_range,
    is_simple,
    sub0,
    type_is,
    walrus,
)
from .resolver import FreeSym, Sym

_ARITH = {"+": P.Add(), "-": P.Sub(), "*": P.Mult()}
_SLOW = {
    "+": "_o_add", "-": "_o_sub", "*": "_o_mul", "/": "_o_quo", "%": "_o_rem", "&": "_o_band",
    "|": "_o_bor", "^": "_o_bxor", "&^": "_o_andnot", "<<": "_o_shl", ">>": "_o_shr",
    ">": "_o_gt", ">=": "_o_ge", "<": "_o_lt", "<=": "_o_le",
}
_CMP = {">": P.Gt(), ">=": P.GtE(), "<": P.Lt(), "<=": P.LtE()}
_CHAR_OPS = {**_CMP, "==": P.Eq(), "!=": P.NotEq()}  # the char fast paths (`ch >= '0'`)
_INT_OPS = frozenset({"+", "-", "*", "/", "%", "&", "|", "^", "&^", "<<", ">>"})
# builtins that run no user code and change no array's length: calling them keeps
# the bounds facts (`i < len(x)`) a loop or `if` condition established
_PURE_BUILTINS = frozenset({
    "len", "append", "string", "int", "bool", "float", "char", "bytes", "copy", "type_name",
    "is_int", "is_float", "is_string", "is_bool", "is_char", "is_bytes", "is_array", "is_map",
    "is_error", "is_undefined", "is_function", "is_callable", "is_immutable_array",
    "is_immutable_map", "is_iterable", "is_time",
})


def orig(sym: Any) -> Any:
    return sym.orig if isinstance(sym, FreeSym) else sym


def _is_len_call(n: Any) -> bool:
    f = n.func
    return (type(f) is A.Ident and f.sym is not None and orig(f.sym).scope == "builtin"
            and orig(f.sym).name == "len" and len(n.args) == 1 and not n.ellipsis)


def _conjuncts(n: Any) -> list:
    """The comparisons that all hold when `a && b && ...` is true."""
    while type(n) is A.ParenExpr:
        n = n.expr
    if type(n) is A.BinaryExpr and n.op == "&&":
        return _conjuncts(n.lhs) + _conjuncts(n.rhs)
    return [n] if type(n) is A.BinaryExpr else []


def calls_beyond(n: Any, allowed: frozenset[str]) -> bool:
    """Whether evaluating n may call user code or a builtin outside `allowed` (nested function bodies excluded)."""
    t = type(n)
    if t is A.CallExpr:
        f = n.func
        if not (type(f) is A.Ident and f.sym is not None and orig(f.sym).scope == "builtin"
                and orig(f.sym).name in allowed):
            return True
    elif t is A.ImportExpr:
        return True
    elif t is A.FuncLit or t is A.Ident:
        return False
    return any(calls_beyond(x, allowed) for x in A.children(n))


def last_pos(n: Any) -> tuple[int, int]:
    """Position of the last instruction Tengo emits for an expression.

    Zero-operand opcodes (index, slice, unary minus, iterator init) report the
    position of the instruction before them, i.e. this one.
    """
    t = type(n)
    if t is A.ParenExpr:
        return last_pos(n.expr)
    if t is A.BinaryExpr and n.op in ("&&", "||"):
        return last_pos(n.rhs)
    if t is A.UnaryExpr and n.op == "+":
        return last_pos(n.expr)
    if t is A.CondExpr:
        return last_pos(n.false)
    if t is A.SelectorExpr:
        return (n.line, n.col)
    return (n.line, n.col)


class ExprGen:
    """Mixin with expression emitters; the statement generator provides
    `tmp()`, `kinds`, `hoist_func()`, `cur` and `const_name()`."""

    kinds: dict
    cur: Any
    flag_syms: dict | None = None  # python name -> stable symbol (assigned once), or None
    flags: dict | None = None  # (python name, type name) -> flag local of the current function
    py_kinds: dict = {}  # python name -> static kind  # noqa: RUF012
    flag_uses: dict = {}  # flag name -> weighted use count  # noqa: RUF012
    clone: tuple | None = None  # (function variable, clone name) while generating an int clone
    # variable -> lower bound that holds whenever it is an int (counting loop variables,
    # parameters after an early-return guard like `if n < 2 { return n }`)
    lower: dict = {}  # noqa: RUF012
    loops: list
    # Bounds facts from a true condition `i < len(x)` (see bound_facts), valid for the code
    # generated after it until something may invalidate them. Code is generated in the
    # order it runs, so a fact is dropped as soon as the generator passes a call (user code
    # may splice x) or an assignment to i or x. `inb`: (x, i) with i < len(x), as symbols;
    # `upper`: ints i < len(...) <= MAX, so i + 1 cannot overflow (only assignments end it).
    stable_rhs: dict = {}  # local assigned exactly once -> its right side  # noqa: RUF012
    own: Any = None  # ownership.Ownership of the chunk: which reads end an in-place append's ownership
    own_loop: str | None = None  # the slot table of the slot-owning loop being generated (ownership.py)
    inb: frozenset = frozenset()
    upper: frozenset = frozenset()

    def tis(self, x: P.expr, tname: str) -> P.expr:
        """`type(x) is T`; for a variable assigned only once in this function, a local
        flag computed right after its assignment."""
        if isinstance(x, P.Name) and self.py_kinds.get(x.id) == tname:
            return C(True)
        if self.flag_syms is not None and isinstance(x, P.Name):
            sym = self.flag_syms.get(x.id)
            if sym is not None and sym.owner is self.cur and self.flags is not None:
                key = (x.id, tname)
                fl = self.flags.get(key)
                if fl is None:
                    fl = self.flags[key] = f"_k_{x.id}_{tname}"
                # a flag pays off from the second test, or any test inside a loop
                self.flag_uses[fl] = self.flag_uses.get(fl, 0) + (2 if self.loops else 1)
                return N(fl)
        return type_is(x, tname)

    # -- kinds (static types) -------------------------------------------
    def kind(self, n: Any) -> str | None:
        t = type(n)
        if t is A.IntLit:
            return "int"
        if t is A.StringLit:
            return "str"
        if t is A.FloatLit:
            return "float"
        if t is A.BoolLit:
            return "bool"
        if t is A.CharLit:
            return "char"
        if t is A.Ident:
            return self.kinds.get(orig(n.sym))
        if t is A.ParenExpr:
            return self.kind(n.expr)
        if t is A.BinaryExpr:
            op = n.op
            if op in ("==", "!=", "<", "<=", ">", ">="):
                return "bool"
            lk, rk = self.kind(n.lhs), self.kind(n.rhs)
            if op in ("&&", "||"):
                return "bool" if lk == rk == "bool" else None
            if lk == "int" and rk == "int" and op in _INT_OPS:
                return "int"
            if op == "+" and lk == "str":
                return "str"
            if op == "+" and lk == "list" and rk == "list":
                return "list"
            if op in ("+", "-", "*", "/") and lk in ("int", "float") and rk in ("int", "float"):
                return "float"
            return None
        if t is A.UnaryExpr:
            k = self.kind(n.expr)
            if n.op == "!":
                return "bool"
            if n.op == "+":
                return k
            if n.op == "-" and k in ("int", "float"):
                return k
            if n.op == "^" and k == "int":
                return "int"
            return None
        if t is A.ArrayLit:
            return "list"
        if t is A.MapLit:
            return "dict"
        if t is A.SliceExpr:
            return "list" if self.kind(n.expr) == "list" else None
        if t is A.CallExpr and type(n.func) is A.Ident and n.func.sym is not None:
            s = n.func.sym
            if self.clone is not None and orig(s) is self.clone[0]:
                return "int"  # a self-call inside an int-specialised clone
            if s.scope == "builtin" and s.name == "append" and len(n.args) >= 2:
                return "list"  # append returns a new array or fails
            if s.scope == "builtin" and s.name == "len":
                return "int"
            if (s.scope == "builtin" and s.name == "string" and not n.ellipsis and len(n.args) == 1
                    and self.kind(n.args[0]) in ("int", "str")):
                return "str"
        if t is A.CondExpr:
            k1 = self.kind(n.true)
            return k1 if k1 is not None and k1 == self.kind(n.false) else None
        return None

    # -- bounds facts -------------------------------------------------------
    def bound_facts(self, cond: Any, with_inb: bool = True) -> None:
        """Add the facts a true condition gives: each `i < len(x)` (or `len(x) > i`) conjunct,
        with i a plain int local of this function, bounds i; if x is also a local assigned
        once, then x[i] is in range (while x is a list and nothing spliced it)."""
        if calls_beyond(cond, _PURE_BUILTINS):  # a call could shrink an array through an alias
            return  # a call after the comparison could change len(x) before the body runs
        inb, upper = set(self.inb), set(self.upper)
        for term in _conjuncts(cond):
            op, a, b = term.op, term.lhs, term.rhs
            if op == ">":
                a, b = b, a
            elif op != "<":
                continue
            if type(a) is not A.Ident or type(b) is not A.CallExpr or not _is_len_call(b):
                continue
            i = orig(a.sym)
            if not (isinstance(i, Sym) and i.owner is self.cur and not i.captured and self.kinds.get(i) == "int"):
                continue
            upper.add(i)
            x = b.args[0]
            if with_inb and type(x) is A.Ident and x.sym is not None:
                xs = orig(x.sym)
                if self.flag_syms is not None and self.flag_syms.get(xs.py) is xs and xs.owner is self.cur:
                    inb.add((xs, i))
        self.inb, self.upper = frozenset(inb), frozenset(upper)

    def kill_sym(self, sym: Any) -> None:
        """An assignment to sym ends the facts about it."""
        if any(sym in f for f in self.inb):
            self.inb = frozenset(f for f in self.inb if sym not in f)
        if sym in self.upper:
            self.upper = self.upper - {sym}

    def facts(self) -> tuple[frozenset, frozenset]:
        return self.inb, self.upper

    def keep_facts(self, saved: tuple[frozenset, frozenset]) -> None:
        """Back to the facts of an outer region, less those the inner region ended."""
        self.inb, self.upper = saved[0] & self.inb, saved[1] & self.upper

    # -- reads -------------------------------------------------------------
    def read_sym(self, sym: Any) -> P.expr:
        o = orig(sym)
        if o.scope == "builtin":
            return N(o.py)
        if o.boxed:
            return sub0(N(o.py))
        return N(o.py)

    def ident(self, n: Any) -> P.expr:
        """A variable's value; a read that may keep a reference to an owned array (ownership.py) also
        ends that ownership: `(_ow_x := False) or x`, `_oc_m.clear() or m`."""
        e = self.read_sym(n.sym)
        own = self.own
        if own is None:
            return e
        flag, slots = own.var_flag(n.sym), own.map_slots(n.sym)
        if flag is not None and id(n) not in own.benign_var:
            e = P.BoolOp(op=P.Or(), values=[walrus(flag, C(False)), e])
        if slots is not None and id(n) not in own.benign_map:
            clear = P.Call(func=P.Attribute(value=N(slots), attr="clear", ctx=P.Load()), args=[], keywords=[])
            e = P.BoolOp(op=P.Or(), values=[clear, e])
        return e

    def once(self, e: P.expr) -> tuple[P.expr, P.expr]:
        """(first-use form, later-use form) so e is evaluated exactly once."""
        if is_simple(e):
            return e, e
        name = self.tmp()
        return walrus(name, e), N(name)

    # -- truthiness ------------------------------------------------------
    def truth(self, n: Any) -> P.expr:
        e = self.expr(n)
        if self.kind(n) in ("bool", "int", "str"):
            return e
        return self.truth_of(e)

    def truth_of(self, e: P.expr) -> P.expr:
        first, again = self.once(e)
        if isinstance(e, P.Call):
            # a call's result is most often a bool: two identity tests decide those
            general = ifexp(self.tis(again, "float"), cmp(again, P.Eq(), again), again)
            return P.BoolOp(op=P.Or(), values=[
                cmp(first, P.Is(), C(True)),
                and_(cmp(again, P.IsNot(), C(False)), general)])
        # floats: only NaN is falsy in Tengo; everything else uses Python truth
        return ifexp(self.tis(first, "float"), cmp(again, P.Eq(), again), again)

    # -- expressions -----------------------------------------------------
    def expr(self, n: Any) -> P.expr:
        t = type(n)
        if t is A.Ident:
            return at(self.ident(n), n.line, n.col)
        if t is A.IntLit or t is A.FloatLit or t is A.StringLit:
            return at(C(n.value), n.line, n.col)
        if t is A.BoolLit:
            return at(C(n.value), n.line, n.col)
        if t is A.UndefinedLit:
            return at(C(None), n.line, n.col)
        if t is A.CharLit:
            return at(N(self.const_name("char", n.value)), n.line, n.col)
        if t is A.ParenExpr:
            return self.expr(n.expr)
        if t is A.BinaryExpr:
            return self.binary(n)
        if t is A.UnaryExpr:
            return self.unary(n)
        if t is A.CondExpr:
            test = self.truth(n.cond)
            yes, no = self.expr(n.true), self.expr(n.false)
            e = ifexp(test, yes, no)
            return e if e is yes or e is no else at(e, n.line, n.col)  # a folded branch keeps its own place
        if t is A.ArrayLit:
            return at(P.List(elts=[self.expr(e) for e in n.elements], ctx=P.Load()), n.line, n.col)
        if t is A.MapLit:
            return at(P.Dict(keys=[C(k) for k in n.keys], values=[self.expr(v) for v in n.values]), n.line, n.col)
        if t is A.FuncLit:
            return at(N(self.hoist_func(n)), n.line, n.col)
        if t is A.CallExpr:
            return self.call_expr(n)
        if t is A.IndexExpr:
            return self.index_expr(n)
        if t is A.SelectorExpr:
            return self.selector(n)
        if t is A.SliceExpr:
            x = self.expr(n.expr)
            lo = self.expr(n.low) if n.low is not None else C(None)
            hi = self.expr(n.high) if n.high is not None else C(None)
            line, col = last_pos(n.high) if n.high is not None else (n.line, n.col)
            return at(self.fast_slice(n, x, lo, hi), line, col)
        if t is A.ErrorExpr:
            return at(call("TError", self.expr(n.expr)), n.line, n.col)
        if t is A.ImmutableExpr:
            return at(call("_o_imm", self.expr(n.expr)), n.line, n.col)
        if t is A.ImportExpr:
            self.inb = frozenset()  # runs the module's code
            kind, name = n.target
            if kind == "std":
                return at(call("_mod", C(name)), n.line, n.col)
            return at(call(name), n.line, n.col)
        raise NotImplementedError(t.__name__)

    def binary(self, n: Any) -> P.expr:
        op = n.op
        if op == "&&" or op == "||":
            return self.logical(n)
        lv, r = self.expr(n.lhs), self.expr(n.rhs)
        fast = self.char_compare(op, lv, r, n.lhs, n.rhs)
        if fast is not None:
            return at(fast, n.line, n.col)
        if op == "==" or op == "!=":
            e = self.equal(lv, r, self.kind(n.lhs), self.kind(n.rhs))
            if op == "!=":
                e = P.UnaryOp(op=P.Not(), operand=e)
            return at(e, n.line, n.col)
        return self.arith(op, lv, r, self.kind(n.lhs), self.kind(n.rhs), n, n.lhs, n.rhs)

    def char_compare(self, op: str, lv: P.expr, r: P.expr, ln: Any, rn: Any) -> P.expr | None:
        """`ch >= '0'`, `ch == '+'` (a char literal on one side): the code points compared when the other
        side is a char, the general operator otherwise."""
        if op not in _CHAR_OPS or (self.kind(ln) == "char") == (self.kind(rn) == "char"):
            return None
        lit_left = self.kind(ln) == "char"
        x = r if lit_left else lv
        if not is_simple(x):
            return None
        lit = ln if lit_left else rn
        while type(lit) is A.ParenExpr:
            lit = lit.expr
        if type(lit) is not A.CharLit:  # (+'a' is a char too)
            return None
        code = C(lit.value)
        pyop = _CHAR_OPS[op]
        xv = P.Attribute(value=x, attr="v", ctx=P.Load())
        fast = cmp(code, pyop, xv) if lit_left else cmp(xv, pyop, code)
        if op in ("==", "!="):
            slow = self.equal(lv, r, self.kind(ln), self.kind(rn))
            if op == "!=":
                slow = P.UnaryOp(op=P.Not(), operand=slow)
        else:
            slow = call(_SLOW[op], lv, r)
        return ifexp(type_is(x, "_Char"), fast, slow)

    def guard(self, lv: P.expr, r: P.expr, lt: str | None, rt: str | None) -> tuple[Any, P.expr, P.expr]:
        """(test, a, b): test evaluates lv then r exactly once and checks their
        Python types; a and b then name the values."""
        ls, rs = is_simple(lv), is_simple(r)
        if ls and rs:
            return and_(self.tis(lv, lt) if lt else None, self.tis(r, rt) if rt else None), lv, r
        a = lv if ls else N(self.tmp())
        b = r if rs else N(self.tmp())
        la = lv if ls else walrus(a.id, lv)
        rb = r if rs else walrus(b.id, r)
        if lt and rt and lt == rt:
            return both_type(la, rb, lt), a, b
        if ls:
            # evaluate r first (it must run whatever the test says), then test a
            rtest = type_is(rb, rt) if rt else call("type", rb)  # a type is always truthy
            return and_(rtest, self.tis(a, lt) if lt else None), a, b
        if rs:
            ltest = type_is(la, lt) if lt else call("type", la)  # a type is always truthy
            return and_(ltest, self.tis(b, rt) if rt else None), a, b
        first = P.Tuple(elts=[la, rb], ctx=P.Load())
        return and_(first, self.tis(a, lt) if lt else None, self.tis(b, rt) if rt else None), a, b

    def nonneg(self, n: Any, depth: int = 0) -> bool:
        """Statically known to be an int >= 0."""
        t = type(n)
        if t is A.IntLit:
            return n.value >= 0
        if t is A.ParenExpr:
            return self.nonneg(n.expr, depth)
        if t is A.Ident:
            o = orig(n.sym)
            if self.lower.get(o, -1) >= 0:
                return True
            # a local assigned once (`mid := len(a) / 2`): whatever its value is
            rhs = self.stable_rhs.get(o)
            return rhs is not None and depth < 4 and self.nonneg(rhs, depth + 1)
        if t is A.BinaryExpr and n.op in ("/", "%"):
            # int / c and int % c with c > 0 keep a non-negative int non-negative
            return type(n.rhs) is A.IntLit and n.rhs.value > 0 and self.nonneg(n.lhs, depth)
        if t is A.CallExpr and type(n.func) is A.Ident and n.func.sym is not None:
            s = orig(n.func.sym)
            return s.scope == "builtin" and s.name == "len" and len(n.args) == 1 and not n.ellipsis
        return False

    def arith(self, op: str, lv: P.expr, r: P.expr, lk: str | None, rk: str | None, n: Any,
              ln: Any = None, rn: Any = None) -> P.expr:
        """Binary operator with Tengo semantics (left operand first, as the reference); n positions the error."""
        slow = _SLOW[op]
        line, col = n.line, n.col
        li = None if lk == "int" else "int"
        ri = None if rk == "int" else "int"
        if op in _ARITH:
            pyop = _ARITH[op]
            if op != "*" and lk != "str" and rk != "str":
                e = self.const_addsub(op, lv, r, lk, rk, ln, rn)
                if e is not None:
                    return at(e, line, col)
            if lk == "int" and rk == "int":
                res = self.tmp()
                lpos = ln is not None and self.nonneg(ln)
                rpos = rn is not None and self.nonneg(rn)
                val = walrus(res, binop(lv, pyop, r))
                if (op == "+" and (lpos or rpos)) or (op == "*" and lpos and rpos):
                    test = cmp(val, P.LtE(), C(MAXI))  # cannot go below MIN
                elif op == "-" and rpos:
                    test = cmp(val, P.GtE(), C(MINI))  # cannot go above MAX
                else:
                    test = in_range(val)
                return at(ifexp(test, N(res), call("_o_wrap", N(res))), line, col)
            if op == "+" and lk == "str" and rk == "str":
                # a large right operand goes through the slow path, which asks the budget first (ops.made)
                test, a, b = self.guard(lv, r, None, None)
                small = cmp(call("len", b), P.Lt(), C(SMALL))
                return at(ifexp(and_(test, small), binop(a, P.Add(), b), call(slow, a, b)), line, col)
            if op == "+" and (lk == "str" or rk == "str"):
                test, a, b = self.guard(lv, r, None if lk == "str" else "str", None if rk == "str" else "str")
                return at(ifexp(test, binop(a, P.Add(), b), call(slow, a, b)), line, col)
            test, a, b = self.guard(lv, r, li, ri)
            res = self.tmp()
            e = ifexp(and_(test, in_range(walrus(res, binop(a, pyop, b)))), N(res), call(slow, a, b))
            return at(e, line, col)
        if op in _CMP:
            pyop = _CMP[op]
            if (lk in ("int", "float") and rk in ("int", "float")) or (lk == "str" and rk == "str"):
                return at(cmp(lv, pyop, r), line, col)
            test, a, b = self.guard(lv, r, li, ri)
            return at(ifexp(test, cmp(a, pyop, b), call(slow, a, b)), line, col)
        if op in ("/", "%"):
            pyop = P.FloorDiv() if op == "/" else P.Mod()
            if lk == "int" and isinstance(r, P.Constant) and type(r.value) is int and r.value > 0:
                if ln is not None and self.nonneg(ln):
                    return at(binop(lv, pyop, r), line, col)  # floor and truncation agree
                a1, a2 = self.once(lv)
                return at(ifexp(cmp(a1, P.GtE(), C(0)), binop(a2, pyop, r), call(slow, a2, r)), line, col)
            test, a, b = self.guard(lv, r, li, ri)
            if isinstance(r, P.Constant) and type(r.value) is int and r.value > 0:
                test = and_(test, cmp(a, P.GtE(), C(0)))
            else:
                test = and_(test, cmp(a, P.GtE(), C(0)), cmp(b, P.Gt(), C(0)))
            return at(ifexp(test, binop(a, pyop, b), call(slow, a, b)), line, col)
        if op in ("&", "|", "^"):
            pyop = {"&": P.BitAnd(), "|": P.BitOr(), "^": P.BitXor()}[op]
            if lk == "int" and rk == "int":
                return at(binop(lv, pyop, r), line, col)
            test, a, b = self.guard(lv, r, li, ri)
            return at(ifexp(test, binop(a, pyop, b), call(slow, a, b)), line, col)
        if op == ">>":
            test, a, b = self.guard(lv, r, li, ri)
            test = and_(test, P.Compare(left=C(0), ops=[P.LtE(), P.Lt()], comparators=[b, C(64)]))
            return at(ifexp(test, binop(a, P.RShift(), b), call(slow, a, b)), line, col)
        return at(call(slow, lv, r), line, col)

    def const_addsub(self, op: str, lv: P.expr, r: P.expr, lk: Any, rk: Any, ln: Any = None,
                     rn: Any = None) -> P.expr | None:
        """x + c, x - c, c + x with an int constant c: one bound compare on x
        instead of computing the result and testing its range."""
        def const_int(e: P.expr) -> int | None:
            if isinstance(e, P.Constant) and type(e.value) is int:
                return e.value
            return None

        c = const_int(r)
        if c is not None:
            x, xk, sub = lv, lk, op == "-"
        elif op == "+" and const_int(lv) is not None:
            c, x, xk, sub = const_int(lv), r, rk, False
        else:
            return None
        x1, x2 = self.once(x)
        k = -c if sub else c
        xn = ln if x is lv else rn
        lb = self.lower.get(orig(xn.sym)) if type(xn) is A.Ident and xn.sym is not None else None
        # x + k stays in int64 iff x <= MAX - k (k >= 0) or x >= MIN - k (k < 0)
        if k < 0 and lb is not None and lb + k >= MINI:
            test = self.tis(x1, "int") if xk != "int" else C(True)  # known bound: cannot underflow
        elif k == 1 and xk == "int" and type(xn) is A.Ident and xn.sym is not None and orig(xn.sym) in self.upper:
            test = C(True)  # x < len(...) <= MAX: x + 1 cannot overflow
        elif xk == "int":
            test = cmp(x1, P.LtE(), C(MAXI - k)) if k >= 0 else cmp(x1, P.GtE(), C(MINI - k))
        else:
            bound = cmp(x2, P.LtE(), C(MAXI - k)) if k >= 0 else cmp(x2, P.GtE(), C(MINI - k))
            test = and_(self.tis(x1, "int"), bound)
        val = x2 if c == 0 else binop(x2, P.Sub() if sub else P.Add(), C(c))
        slow = call(_SLOW[op], x2, C(c)) if x is lv else call(_SLOW[op], C(c), x2)
        return ifexp(test, val, slow)

    def equal(self, lv: P.expr, r: P.expr, lk: Any, rk: Any) -> P.expr:
        if lk == "str" or rk == "str" or (lk in ("int", "float") and rk in ("int", "float")):
            return cmp(lv, P.Eq(), r)
        if lk == "bool" and rk == "bool":
            return cmp(lv, P.Is(), r)
        if isinstance(lv, P.Constant) and lv.value is None and is_simple(r):
            return cmp(r, P.Is(), C(None))
        if isinstance(r, P.Constant) and r.value is None:
            test, a, b = self.guard(lv, r, None, None)
            return and_(test, cmp(a, P.Is(), C(None))) if test is not None else cmp(a, P.Is(), C(None))
        test, a, b = self.guard(lv, r, None, None)
        if lk in ("int", "float") or rk in ("int", "float"):
            other = b if lk in ("int", "float") else a
            chk = P.Compare(left=call("type", other), ops=[P.IsNot()], comparators=[N("bool")])
            return and_(test, cmp(a, P.Eq(), b), chk)
        fast = P.BoolOp(op=P.Or(), values=[self.tis(a, "str"), and_(self.tis(a, "int"), self.tis(b, "int")), call("_o_eq", a, b)])  # noqa: E501
        return and_(test, cmp(a, P.Eq(), b), fast)

    def logical(self, n: Any) -> P.expr:
        lv = self.expr(n.lhs)
        r = self.expr(n.rhs)
        lk = self.kind(n.lhs)
        if lk in ("bool", "int", "str"):
            op = P.And() if n.op == "&&" else P.Or()
            return at(P.BoolOp(op=op, values=[lv, r]), n.line, n.col)
        a1, a2 = self.once(lv)
        test = ifexp(self.tis(a1, "float"), cmp(a2, P.Eq(), a2), a2)
        if n.op == "&&":
            return at(ifexp(test, r, a2), n.line, n.col)
        return at(ifexp(test, a2, r), n.line, n.col)

    def unary(self, n: Any) -> P.expr:
        op = n.op
        if op == "+":
            return self.expr(n.expr)
        if op == "!":
            return at(P.UnaryOp(op=P.Not(), operand=self.truth(n.expr)), n.line, n.col)
        inner = n.expr
        while type(inner) is A.ParenExpr:
            inner = inner.expr
        if op == "-" and type(inner) in (A.IntLit, A.FloatLit):
            return at(C(-inner.value), n.line, n.col)
        e = self.expr(n.expr)
        line, col = last_pos(n.expr)
        k = self.kind(n.expr)
        a1, a2 = self.once(e)
        if op == "-":
            if k == "float":
                return at(P.UnaryOp(op=P.USub(), operand=e), line, col)
            test = and_(self.tis(a1, "int"), cmp(a2, P.Gt(), C(MINI))) if k != "int" else cmp(a1, P.Gt(), C(MINI))
            return at(ifexp(test, P.UnaryOp(op=P.USub(), operand=a2), call("_o_neg", a2)), line, col)
        # ^x
        if k == "int":
            return at(P.UnaryOp(op=P.Invert(), operand=e), line, col)
        return at(ifexp(self.tis(a1, "int"), P.UnaryOp(op=P.Invert(), operand=a2), call("_o_bnot", a2)), line, col)

    def call_expr(self, n: Any) -> P.expr:
        f = n.func
        if self.clone is not None and type(f) is A.Ident and orig(f.sym) is self.clone[0]:
            # inside the int clone, a self-call (int arguments) goes straight to the clone
            args = [self.expr(a) for a in n.args]
            self.inb = frozenset()
            return at(P.Call(func=N(self.clone[1]), args=args, keywords=[]), n.line, n.col)
        if type(f) is A.Ident and orig(f.sym).scope == "builtin" and not n.ellipsis:
            name = orig(f.sym).name
            if name == "len" and len(n.args) == 1:
                if self.kind(n.args[0]) == "list":
                    return at(call("len", self.expr(n.args[0])), n.line, n.col)
                a1, a2 = self.once(self.expr(n.args[0]))
                # (no flag for the dict test: it runs only for non-arrays)
                test = P.BoolOp(op=P.Or(), values=[self.tis(a1, "list"), type_is(a2, "dict")])
                e = ifexp(test, call("len", a2), call("B_len", a2))
                return at(e, n.line, n.col)
            if name == "string" and len(n.args) == 1 and self.kind(n.args[0]) in ("int", "str"):
                # string(int) is the decimal form; string(str) the string itself
                a = self.expr(n.args[0])
                return at(call("str", a) if self.kind(n.args[0]) == "int" else a, n.line, n.col)
            if name == "string" and len(n.args) == 1 and self.kind(n.args[0]) is None:
                # string(ch): a valid code point below the surrogates is its one-character string
                a1, a2 = self.once(self.expr(n.args[0]))
                v = P.Attribute(value=a2, attr="v", ctx=P.Load())
                test = and_(type_is(a1, "_Char"), P.Compare(left=C(0), ops=[P.LtE(), P.Lt()],
                                                             comparators=[v, C(0xD800)]))
                return at(ifexp(test, call("chr", v), call("B_string", a2)), n.line, n.col)
        fe = self.expr(f)
        args = [self.expr(a) for a in n.args]
        if n.ellipsis and args:
            last = args.pop()
            args.append(P.Starred(value=call("_o_spread", last), ctx=P.Load()))
        if not (type(f) is A.Ident and orig(f.sym).scope == "builtin" and orig(f.sym).name in _PURE_BUILTINS):
            self.inb = frozenset()  # the call runs after its arguments: facts hold up to here
        return at(P.Call(func=fe, args=args, keywords=[]), n.line, n.col)

    def index_expr(self, n: Any) -> P.expr:
        return self.checked_read(n, self.plain_index(n))

    def checked_read(self, n: Any, e: P.expr) -> P.expr:
        """In a slot-owning loop, an element read whose value may be kept ends that value's ownership."""
        if self.own_loop is None or id(n) in self.own.read_benign:
            return e
        t = self.tmp()
        test = cmp(P.Attribute(value=walrus(t, e), attr="__class__", ctx=P.Load()), P.IsNot(), N("list"))
        return at(ifexp(test, N(t), call("_o_unown", N(self.own_loop), N(t))), *last_pos(n))

    def plain_index(self, n: Any) -> P.expr:
        x = self.expr(n.expr)
        i = self.expr(n.index)
        line, col = last_pos(n.index)
        if self.known_in_range(n):
            # x[i] with i < len(x) known from a condition (and i >= 0): no bounds test
            fast = P.Subscript(value=x, slice=i, ctx=P.Load())
            return at(ifexp(self.tis(x, "list") if self.kind(n.expr) != "list" else C(True), fast,
                            call("_o_index", x, i)), line, col)
        return at(self.fast_index(x, i, self.kind(n.index), self.kind(n.expr), self.nonneg(n.index)), line, col)

    def known_in_range(self, n: Any) -> bool:
        x, i = n.expr, n.index
        if type(x) is not A.Ident or type(i) is not A.Ident or x.sym is None or i.sym is None:
            return False
        return (orig(x.sym), orig(i.sym)) in self.inb and self.nonneg(i)

    def fast_index(self, x: P.expr, i: P.expr, ik: Any, xk: Any = None, nonneg: bool = False) -> P.expr:
        if ik == "str" and xk == "dict":
            return P.Call(func=P.Attribute(value=x, attr="get", ctx=P.Load()), args=[i], keywords=[])
        if ik == "str":
            test, a, b = self.guard(x, i, "dict", None)
            get = P.Call(func=P.Attribute(value=a, attr="get", ctx=P.Load()), args=[b], keywords=[])
            return ifexp(test, get, call("_o_index", a, b))
        test, a, b = self.guard(x, i, "list", None if ik == "int" else "int")
        if nonneg and ik == "int":
            lst = and_(test, cmp(b, P.Lt(), call("len", a)))
        else:
            lst = and_(test, P.Compare(left=C(-1), ops=[P.Lt(), P.Lt()], comparators=[b, call("len", a)]))
        slow = call("_o_index", a, b)
        if ik == "int":
            return ifexp(lst, P.Subscript(value=a, slice=b, ctx=P.Load()), slow)
        get = P.Call(func=P.Attribute(value=a, attr="get", ctx=P.Load()), args=[b], keywords=[])
        dict_get = ifexp(and_(self.tis(a, "dict"), self.tis(b, "str")), get, slow)
        return ifexp(lst, P.Subscript(value=a, slice=b, ctx=P.Load()), dict_get)

    def fast_slice(self, n: Any, x: P.expr, lo: P.expr, hi: P.expr) -> P.expr:
        """a[lo:hi] on an array with int bounds 0 <= lo <= hi: a Python slice (which clamps
        hi to the length like Tengo); anything else takes the generic path."""
        slow = call("_o_slice", x, lo, hi)
        if not (is_simple(x) and is_simple(lo) and is_simple(hi)) or (n.low is None and n.high is None):
            return slow
        if (n.low is not None and self.kind(n.low) != "int") or (n.high is not None and self.kind(n.high) != "int"):
            return slow
        is_list = self.tis(x, "list") if self.kind(n.expr) != "list" else None
        lo_ok = n.low is not None and self.nonneg(n.low)  # no need to test 0 <= lo
        if n.low is None:
            test = and_(is_list, None if self.nonneg(n.high) else cmp(hi, P.GtE(), C(0)))
            sl = P.Slice(lower=None, upper=hi, step=None)
        elif n.high is None:
            test = and_(is_list, cmp(lo, P.LtE(), call("len", x)) if lo_ok else
                        P.Compare(left=C(0), ops=[P.LtE(), P.LtE()], comparators=[lo, call("len", x)]))
            sl = P.Slice(lower=lo, upper=None, step=None)
        else:
            test = and_(is_list, cmp(lo, P.LtE(), hi) if lo_ok else
                        P.Compare(left=C(0), ops=[P.LtE(), P.LtE()], comparators=[lo, hi]))
            sl = P.Slice(lower=lo, upper=hi, step=None)
        return ifexp(test, P.Subscript(value=x, slice=sl, ctx=P.Load()), slow)

    def selector(self, n: Any) -> P.expr:
        x = self.expr(n.expr)
        x1, x2 = self.once(x)
        key = C(n.sel.value)
        e = ifexp(self.tis(x1, "dict"), P.Call(func=P.Attribute(value=x2, attr="get", ctx=P.Load()), args=[key], keywords=[]),  # noqa: E501
                  call("_o_index", x2, key))
        return self.checked_read(n, at(e, n.sel.line, n.sel.col))
