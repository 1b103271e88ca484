"""Which appends may grow an array in place: ownership known from the code, not from reference counts.

In Tengo `append` returns a new array value; the old value keeps its length. Growing the Python list in
place is therefore only right when nothing else holds it. Two kinds of variables are tracked, each only
in the one Python function where all its uses are (so every read of it is in code we generate):

- `x = append(x, v)`: a flag `_ow_<x>` says that x holds a list that an append made (or a literal) and
  that has not been read since in a way that may keep a reference (an argument, an assignment, a for-in,
  a return ...). Benign reads are `len(x)`, `x[i]` and `x = append(x, ...)` itself.
- `m[k] = append(m[k], v)` and `g.f = append(g.f, v)`: m holds only map/array literals; a dict
  `_oc_<m>` maps a slot's key to the list an append stored there. Any read of m or of one of its
  elements that may keep a reference clears the dict.

Reads that may keep a reference set the flag false (clear the dict) at the read itself, so the first
append after them copies and later ones are in place again: amortised O(1) while the code only builds
the array, a copy per append while another reference may live.

A third kind covers slots of containers that come from anywhere (`g := groups[k]; g.ids = append(g.ids, x)`),
inside one loop that cannot hand such a list to other code (`owns_slots`: no calls but scalar builtins, no
slices, no array `+`, no nested for-in, no functions). A table local to the loop maps each slot `(id(C), key)`
to the list an append stored there, and that list's id back to the slot. The list is then referenced only
from its slot: every element read in the loop (and each for-in value) is checked against the table and
ends the ownership of the list it returns, and an append that copies an array ends that of the lists the
array held (`append_copy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ast as A
from .builtins import b_append
from .emit_expr import orig
from .resolver import Sym


@dataclass
class Ownership:
    vars: set = field(default_factory=set)  # symbols with a flag `_ow_<py>`
    maps: set = field(default_factory=set)  # symbols with an owned-slot dict `_oc_<py>`
    benign_var: set = field(default_factory=set)  # id() of Ident reads that keep no reference to x
    benign_map: set = field(default_factory=set)  # id() of Ident reads that keep none to m's elements
    read_benign: set = field(default_factory=set)  # id() of element reads whose value is not kept

    def var_flag(self, sym: Any) -> str | None:
        o = orig(sym)
        return f"_ow_{o.py}" if o in self.vars else None

    def map_slots(self, sym: Any) -> str | None:
        o = orig(sym)
        return f"_oc_{o.py}" if o in self.maps else None

    def home_names(self, fi: Any, main: Any) -> tuple[list[str], list[str]]:
        """The flags and slot dicts that function `fi` declares (its own tracked variables)."""
        flags = sorted(f"_ow_{s.py}" for s in self.vars if (s.owner or main) is fi)
        slots = sorted(f"_oc_{s.py}" for s in self.maps if (s.owner or main) is fi)
        return flags, slots


def _builtin(call: Any, *names: str) -> bool:
    if type(call) is not A.CallExpr:
        return False
    f = call.func
    return (type(f) is A.Ident and f.sym is not None and not call.ellipsis
            and orig(f.sym).scope == "builtin" and orig(f.sym).name in names)


def _sym(n: Any) -> Any:
    return orig(n.sym) if type(n) is A.Ident and n.sym is not None else None


def self_append(n: Any) -> Any:
    """For `x = append(x, ...)`: x's symbol; else None."""
    rhs = n.rhs[0] if type(n) is A.AssignStmt and n.op == "=" and n.rhs else None
    if rhs is None or not _builtin(rhs, "append") or len(rhs.args) < 2 or type(n.lhs[0]) is not A.Ident:
        return None
    s = _sym(rhs.args[0])
    return s if s is not None and s is _sym(n.lhs[0]) else None


def _same_slot(a: Any, b: Any) -> bool:
    if type(a) is not type(b) or _sym(a.expr) is None or _sym(a.expr) is not _sym(b.expr):
        return False
    if type(a) is A.SelectorExpr:
        return a.sel.value == b.sel.value
    x, y = a.index, b.index
    if type(x) in (A.IntLit, A.StringLit):
        return type(x) is type(y) and x.value == y.value
    s = _sym(x)  # a key variable no function can reassign while the arguments run
    return s is not None and s is _sym(y) and isinstance(s, Sym) and not s.captured and s.scope != "builtin"


def slot_append(n: Any) -> Any:
    """For `m[k] = append(m[k], ...)` / `m.f = append(m.f, ...)`: m's symbol; else None."""
    if type(n) is not A.AssignStmt or n.op != "=" or not n.rhs:
        return None
    lhs, rhs = n.lhs[0], n.rhs[0]
    if type(lhs) not in (A.IndexExpr, A.SelectorExpr) or not _builtin(rhs, "append") or len(rhs.args) < 2:
        return None
    return _sym(lhs.expr) if _same_slot(lhs, rhs.args[0]) else None


def analyse(file: A.File, persisted: set[str]) -> Ownership:
    own = Ownership()
    in_func: set = set()  # symbols read or assigned inside some function literal
    assigned_other: set = set()  # symbols assigned anything but a literal (or bound by for-in / as parameter)
    loop_bound: set = set()  # for-in keys and values (assigned without an assignment statement)
    var_appends: set = set()
    map_appends: set = set()

    def visit(n: Any, depth: int) -> None:
        t = type(n)
        if t is A.Ident:
            if depth and n.sym is not None:
                in_func.add(orig(n.sym))
            return
        if t is A.AssignStmt or t is A.IncDecStmt:
            lhs = n.lhs[0] if t is A.AssignStmt else n.expr
            if type(lhs) is A.Ident and n.syms is not None:
                rhs = n.rhs[0] if t is A.AssignStmt and n.rhs else None
                if not (t is A.AssignStmt and n.op in ("=", ":=") and type(rhs) in (A.ArrayLit, A.MapLit)):
                    assigned_other.add(orig(n.syms))
                if depth:
                    in_func.add(orig(n.syms))
            s = self_append(n)
            if s is not None:
                var_appends.add(s)
                own.benign_var.add(id(n.rhs[0].args[0]))
            m = slot_append(n)
            if m is not None:
                map_appends.add(m)
                own.benign_map.add(id(n.rhs[0].args[0].expr))
                own.read_benign.add(id(n.rhs[0].args[0]))  # the slot's list, appended to
        elif t is A.ForInStmt:
            bound = [x for x in (n.ksym, n.vsym) if x is not None]
            assigned_other.update(bound)
            loop_bound.update(bound)
        elif t is A.FuncLit:
            assigned_other.update(n.scope.params)
            for x in A.children(n):
                visit(x, depth + 1)
            return
        elif t is A.CallExpr and _builtin(n, "len", "is_undefined") and len(n.args) == 1:
            a = n.args[0]
            if type(a) is A.Ident:
                own.benign_var.add(id(a))
                own.benign_map.add(id(a))
            elif type(a) in (A.IndexExpr, A.SelectorExpr):
                own.read_benign.add(id(a))  # the element is measured, not kept
                if type(a.expr) is A.Ident:
                    own.benign_map.add(id(a.expr))
        elif t is A.IndexExpr or t is A.SelectorExpr:
            x = n.expr
            if type(x) is A.Ident:
                own.benign_var.add(id(x))  # an element is read, not the array
            elif type(x) in (A.IndexExpr, A.SelectorExpr):
                own.read_benign.add(id(x))  # x[k][i]: only the outer read's value is kept
                if type(x.expr) is A.Ident:
                    own.benign_map.add(id(x.expr))  # m[k][i]: an element of the element
        for x in A.children(n):
            visit(x, depth)

    visit(file, 0)

    def trackable(s: Any) -> bool:
        if not isinstance(s, Sym) or s.captured or s.boxed:
            return False
        # (a global is read by code of this chunk's top level only, not by functions that live on)
        return s.scope == "local" or (s.scope == "global" and s not in in_func and s.name not in persisted)

    own.vars = {s for s in var_appends if trackable(s) and s not in loop_bound}
    own.maps = {s for s in map_appends if trackable(s) and s not in assigned_other}
    return own



# builtins that keep no reference to an element of their arguments and run no other code
_SCALAR_BUILTINS = frozenset({
    "len", "string", "int", "float", "bool", "char", "copy", "type_name", "is_int", "is_float", "is_string",
    "is_bool", "is_char", "is_bytes", "is_array", "is_map", "is_error", "is_undefined", "is_function",
    "is_callable", "is_immutable_array", "is_immutable_map", "is_iterable", "is_time",
})


def owns_slots(loop: Any, kind: Any, literal_maps: set) -> bool:
    """Whether `loop` appends to the slot of a container not tracked by `_oc_` (a slot-append) and can
    hand a list to nothing but its own checked element reads: no calls but `_SCALAR_BUILTINS` and the
    appends of `x = append(x, ...)` / slot-appends, no function literals, imports, slices, immutable
    copies, nested for-in, or `+` / `+=` whose left side may be an array. `kind` gives an expression's
    static kind."""
    found = False

    def ok(n: Any, top: bool) -> bool:
        nonlocal found
        t = type(n)
        if t in (A.FuncLit, A.ImportExpr, A.SliceExpr, A.ImmutableExpr) or (t is A.ForInStmt and not top):
            return False
        if t is A.AssignStmt and (self_append(n) is not None or slot_append(n) is not None):
            m = slot_append(n)
            if m is not None and m not in literal_maps:
                found = True
            return all(ok(x, False) for x in [n.lhs[0], *n.rhs[0].args])
        if t is A.AssignStmt and n.op == "+=" and kind(n.lhs[0]) not in ("int", "float", "str"):
            return False
        if t is A.CallExpr and not (_builtin(n, *_SCALAR_BUILTINS)):
            return False
        if t is A.BinaryExpr and n.op == "+" and kind(n.lhs) not in ("int", "float", "str"):
            return False
        return all(ok(x, False) for x in A.children(n))

    return ok(loop, True) and found


def unown(table: dict, v: Any) -> Any:
    """An element read in a slot-owning loop returned v: if v is an owned list, it no longer is."""
    slot = table.pop(id(v), None)
    if slot is not None:
        del table[slot]
    return v


def append_copy(table: dict, *args: Any) -> list:
    """append() in a slot-owning loop, where it copies: an owned list that the old array held is now held
    by the copy too, so it is no longer owned."""
    new = b_append(*args)
    if table:
        for e in args[0]:
            if e.__class__ is list and id(e) in table:
                unown(table, e)
    return new


_MAX_SLOTS = 1 << 15


def own_slot(table: dict, slot: tuple, new: list) -> None:
    """A slot-append stored the new list `new` in `slot`: it owns it (and no longer the one before).
    A table past _MAX_SLOTS slots starts again (always allowed: it only costs copies), which bounds the
    lists it keeps alive after their slot was overwritten or their container freed."""
    old = table.pop(slot, None)
    if old is not None:
        table.pop(id(old), None)
    elif len(table) >= 2 * _MAX_SLOTS:
        table.clear()
    table[slot] = new
    table[id(new)] = slot
