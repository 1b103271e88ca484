"""Fast paths from bounds facts and loop versioning keep Tengo's semantics.

- `i < len(x)` as a loop or `if` condition: `x[i]` needs no bounds test and `i + 1` no overflow
  test until a call (which may splice x) or an assignment ends the fact;
- `r = append(r, y[i])` on an unshared r: a Python IndexError stands for out of range;
- innermost loops run a copy with their variables' type flags true when they hold;
- `mid := len(a) / 2` is known to be >= 0 (slices skip that test);
- counters starting near MAX are no longer taken as non-negative.

Each program also runs with these fast paths switched off (the `both` fixture): output,
error messages and positions must be the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmspell_kernel.engines.tengo import TengoError, TengoRuntime, compiler, runtime
from llmspell_kernel.engines.tengo.compiler import CodeGen
from llmspell_kernel.engines.tengo.emit_expr import ExprGen

MAX = 9223372036854775807


class Both:
    """Run a program with the fast paths of this file and with them switched off (the general
    code): output, or error message and positions, must be the same; returns the output."""

    def __init__(self, run) -> None:
        self.run = run

    def general(self, mp: pytest.MonkeyPatch) -> None:
        mp.setattr(runtime, "_CACHE", {})  # compile again
        mp.setattr(ExprGen, "bound_facts", lambda self, cond, with_inb=True: None)
        mp.setattr(CodeGen, "index_appendable", lambda self, e: False)
        mp.setattr(CodeGen, "version_on_flags", lambda self, loop, n: loop)
        mp.setattr(compiler, "stable_rhs_of", lambda gen, records: {})

    def __call__(self, src: str) -> str:
        fast = self.run(src)
        with pytest.MonkeyPatch.context() as mp:
            self.general(mp)
            slow = self.run(src)
        assert fast == slow
        return fast

    def err(self, src: str) -> str:
        fast = self.run.err(src).tengo_format()
        with pytest.MonkeyPatch.context() as mp:
            self.general(mp)
            slow = self.run.err(src).tengo_format()
        assert fast == slow
        return fast


@pytest.fixture
def both(run) -> Both:
    return Both(run)


U = "<undefined>"


def test_loop_condition_bounds_reads(both):
    src = ('fmt := import("fmt")\n'
           'f := func(x) { out := []; i := 0; for i < len(x) { out = append(out, x[i]); i++ }; return out }\n'
           'g := func(x) { s := []; i := 0; for i < len(x) { if x[i] == 3 { i += 2; continue }; '
           's = append(s, x[i]); i++ }; return s }\n'
           'fmt.println(f([1, 2, 3]), f([]), f("héllo"), f(immutable([4, 5])), f(bytes("ab")), f({a: 1}))\n'
           'fmt.println(g([1, 3, 5, 7]), g([3]), g([1, 2]))\n')
    assert both(src) == f"[1, 2, 3][][h, é, l, l, o, {U}][4, 5][97, 98][{U}]\n[1, 7][][1, 2]\n"


def test_if_condition_bounds_reads(both):
    src = ('fmt := import("fmt")\n'
           'f := func(x, i) { if i < len(x) && len(x) > 0 { return x[i] }; return "no" }\n'
           'k := func(x) { i := 0; if i < len(x) { return [x[i], x[i]] }; return [] }\n'
           'fmt.println(f([1, 2], 1), f([1, 2], 2), f([1, 2], -1), f("ab", 1), k([7]), k([]), k("é"))\n')
    assert both(src) == "2nob[7, 7][][é, é]\n"  # (a lone undefined prints nothing)


def test_a_call_ends_the_bounds_fact(both):
    # the callee empties the array through an alias: later reads are out of range (undefined)
    src = ('fmt := import("fmt")\n'
           'shrink := func(arr) { splice(arr, 0, len(arr)) }\n'
           'f := func(a) {\n'
           '  out := []\n'
           '  i := 0\n'
           '  for i < len(a) { first := a[i]; shrink(a); out = append(out, [first, a[i], len(a)]); i++ }\n'
           '  return out\n'
           '}\n'
           'fmt.println(f([1, 2, 3]))\n'
           'h := func() {\n'
           '  a := [5, 6, 7]\n'
           '  c := func() { splice(a, 1) }\n'
           '  out := []\n'
           '  for j := 0; j < len(a); j++ { out = append(out, a[j]); c(); out = append(out, a[j]) }\n'
           '  k := 0\n'
           '  if k < len(a) { v := a[k]; c(); splice(a, 0); out = append(out, v, a[k]) }\n'
           '  return out\n'
           '}\n'
           'fmt.println(h())\n')
    assert both(src) == f"[[1, {U}, 0]]\n[5, 5, 5, {U}]\n"


def test_an_assignment_ends_the_bounds_fact(both):
    src = ('fmt := import("fmt")\n'
           'f := func(a) { out := []; i := 0; for i < len(a) { v := a[i]; i += 5; out = append(out, v, a[i]); '
           'i -= 4 }; return out }\n'
           'fmt.println(f([1, 2, 3]))\n')
    assert both(src) == f"[1, {U}, 2, {U}, 3, {U}]\n"


def test_bounds_fact_needs_a_non_negative_int_index(both):
    # i may be negative (a parameter): Python's negative indexing must not show
    src = ('fmt := import("fmt")\n'
           'f := func(a, i) { out := []; for i < len(a) { out = append(out, a[i]); i++ }; return out }\n'
           'fmt.println(f([1, 2, 3], -2), f([1, 2, 3], 1))\n')
    assert both(src) == f"[{U}, {U}, 1, 2, 3][2, 3]\n"
    assert both.err('f := func(a, i) { for i < len(a) { a[i]; i++ } }\nf([1, 2], 0.5)') == (
        "Runtime Error: invalid index type: float\n\tat test.tengo:1:38\n\tat test.tengo:2:1")


def test_bounds_fact_error_positions(both):
    assert both.err('f := func(a) { i := 0; for i < len(a) { a[i] - 1; i++ } }\nf(["x"])') == (
        "Runtime Error: invalid operation: string - int\n\tat test.tengo:1:41\n\tat test.tengo:2:1")
    assert both.err('f := func(a) { i := 0; for i < len(a) { a[i] - 1; i++ } }\nf(5)') == (
        "Runtime Error: invalid type for argument 'first' in call to 'builtin-function:len': "
        "expected array/string/bytes/map, found int\n"
        "\tat test.tengo:1:32\n\tat test.tengo:2:1")


def test_increment_under_a_bounds_fact(both):
    # i < len(x) bounds i below MAX, so i + 1 needs no wrap test; without the fact it wraps
    src = ('fmt := import("fmt")\n'
           'f := func(a, i) { n := 0; for i < len(a) { i++; n++ }; return [i, n] }\n'
           'fmt.println(f([1, 2, 3], 0), f([1, 2, 3], -2), f([], 5))\n'
           f'g := func(i) {{ if i < {MAX} {{ i++ }}; i++; return i }}\n'
           f'fmt.println(g({MAX - 1}), g({MAX}))\n')
    assert both(src) == f"[3, 3][3, 5][5, 0]\n{-MAX - 1}{-MAX - 1}\n"


def test_counter_near_max_is_not_taken_as_non_negative(both):
    src = ('fmt := import("fmt")\n'
           'f := func() { a := [1, 2, 3]; x := 9223372036854775807; x++; return [x, a[x]] }\n'
           'fmt.println(f())\n')
    assert both(src) == f"[{-MAX - 1}, {U}]\n"


def test_in_place_append_of_an_element(both):
    src = ('fmt := import("fmt")\n'
           'f := func(y, i) { r := []; r = append(r, y[i]); r = append(r, 7); return r }\n'
           'fmt.println(f([1, 2], 1), f([1, 2], 2), f([1, 2], 0), f("héllo", 1), f(immutable([3]), 0), '
           'f(immutable([3]), 9), f({a: 1}, 0), f(bytes("a"), 0), f(undefined, 0))\n'
           'g := func(y) { r := []; for i := 0; i < 3; i++ { r = append(r, y[i]) }; return r }\n'
           'fmt.println(g([1, 2, 3, 4]), g([1]), g("ab"))\n')
    assert both(src) == (f"[2, 7][{U}, 7][1, 7][é, 7][3, 7][{U}, 7][{U}, 7][97, 7][{U}, 7]\n"
                         f"[1, 2, 3][1, {U}, {U}][a, b, {U}]\n")


def test_merge_loops(both):
    src = ('fmt := import("fmt")\n'
           'merge := func(l, r) {\n'
           '  out := []\n'
           '  i := 0\n'
           '  j := 0\n'
           '  for i < len(l) && j < len(r) {\n'
           '    if l[i] < r[j] { out = append(out, l[i]); i++ } else { out = append(out, r[j]); j++ }\n'
           '  }\n'
           '  for i < len(l) { out = append(out, l[i]); i++ }\n'
           '  for j < len(r) { out = append(out, r[j]); j++ }\n'
           '  return out\n'
           '}\n'
           'fmt.println(merge([1, 4, 9], [2, 3, 10, 11]), merge([], [1]), merge(immutable([5]), [1, 6]))\n'
           'fmt.println(merge("ac", "b"), merge([1.5, 2], [2]))\n')
    assert both(src) == "[1, 2, 3, 4, 9, 10, 11][1][1, 5, 6]\n[a, b, c][1.5, 2, 2]\n"
    assert both.err(src.split("fmt.println")[0] + 'merge([1, "x"], [2, 3])') == (
        "Runtime Error: invalid operation: string < int\n\tat test.tengo:7:8\n\tat test.tengo:13:1")


def test_in_place_append_of_an_element_errors(both):
    assert both.err('f := func(y, i) { r := []; r = append(r, y[i]); return r }\nf(5, 0)') == (
        "Runtime Error: not indexable: int\n\tat test.tengo:1:44\n\tat test.tengo:2:1")
    assert both.err('f := func(y, i) { r := []; r = append(r, y[i]); return r }\nf([1], "a")') == (
        "Runtime Error: invalid index type: string\n\tat test.tengo:1:44\n\tat test.tengo:2:1")
    assert both.err('f := func(y) { r := []; i := 0; for i < 3 { r = append(r, y[i]); i++ }; return r }\nf(5)') == (
        "Runtime Error: not indexable: int\n\tat test.tengo:1:61\n\tat test.tengo:2:1")


def test_versioned_loops_take_either_copy(both):
    # the same function over arrays (type flags true: the copy without type tests) and over
    # other indexable values (the general loop)
    src = ('fmt := import("fmt")\n'
           'dot := func(a, b) { s := 0; i := 0; for i < len(a) && i < len(b) { s += a[i] * b[i]; i++ }; return s }\n'
           'fmt.println(dot([1, 2, 3], [4, 5, 6]), dot(immutable([1, 2]), [3, 4]), dot([1, 2], bytes("ab")), '
           'dot({}, []))\n')
    assert both(src) == "32112930\n"
    assert both.err(src.split("fmt.println")[0] + 'dot(["x"], [2])') == (
        "Runtime Error: invalid operation: string * int\n\tat test.tengo:2:73\n\tat test.tengo:3:1")
    assert both.err(src.split("fmt.println")[0] + 'dot("x", [2])') == (
        "Runtime Error: invalid operation: char * int\n\tat test.tengo:2:73\n\tat test.tengo:3:1")


def test_versioned_loops_call_the_budget_hook():
    calls = []

    class Stop(Exception):
        pass

    def hook():
        calls.append(1)
        if len(calls) >= 3:
            raise Stop()

    rt = TengoRuntime(budget_hook=hook)
    src = ('f := func(a) { i := 0; n := 0; for i < len(a) { n += a[i]; if i == len(a) - 1 { i = 0 } else { i++ } } }\n'
           'f([1, 2, 3])')
    with pytest.raises(Stop):
        rt.run(src)
    assert len(calls) == 3


def test_non_negative_single_assignment_slices(both):
    src = ('fmt := import("fmt")\n'
           'halves := func(a, n) { mid := len(a) / 2; q := n / 2; return [a[:mid], a[mid:], a[q:]] }\n'
           'fmt.println(halves([1, 2, 3, 4, 5], 4), halves("abcd", 2), halves([], 0), halves([1, 2], -4))\n')
    assert both(src) == '[[1, 2], [3, 4, 5], [3, 4, 5]]["ab", "cd", "bcd"][[], [], []][[1], [2], [1, 2]]\n'
    assert both.err('h := func(a, n) { q := n / 2; return a[:q] }\nh([1, 2], -4)') == (
        "Runtime Error: invalid slice index: 0 > -2\n\tat test.tengo:1:41\n\tat test.tengo:2:1")
    assert both.err('h := func(a) { q := len(a) / 2; return a[q:] }\nh(5)').startswith(
        "Runtime Error: invalid type for argument 'first' in call to 'builtin-function:len'")


@pytest.mark.parametrize("depth", [1, 8, 9, 19])
def test_append_of_an_element_inside_deeply_nested_loops(both, depth):
    # the try takes Python blocks too (20 at most): at depth 8 it still fits, from 9 on it is left out
    head = "".join(f"x{d} := 0\nfor x{d} < 1 {{ x{d}++\n" for d in range(depth))
    src = (f'fmt := import("fmt")\nf := func(y) {{\nr := []\nk := 0\n{head}r = append(r, y[k])\n' + "}\n" * depth
           + 'return r\n}\nfmt.println(f([4]), f([]))\n')
    assert both(src) == f"[4][{U}]\n"
    assert ("except IndexError" in TengoRuntime().dump_python(src)) == (depth <= 8)


def test_errors_inside_fast_loops_are_tengo_errors():
    with pytest.raises(TengoError) as ei:
        TengoRuntime().run("f := func(a) { i := 0; for i < len(a) { a[i] / 0; i++ } }\nf([1])")
    assert ei.value.message == "integer divide by zero"


# the benchmark's sort (bench/groups/tengo_programs.py): a leading newline keeps the error lines below
MERGE_SORT = "\n" + (Path(__file__).resolve().parents[2] / "bench" / "programs" / "merge_sort.tengo").read_text(
    encoding="utf-8")


def test_merge_sort_takes_the_fast_paths(both):
    code = TengoRuntime().dump_python(MERGE_SORT)
    assert re.search(r"if _k_v_left_\d+_list and _k_v_right_\d+_list:", code)  # a versioned loop
    assert re.search(r"v_less_\d+\(v_left_\d+\[v_i_\d+\], v_right_\d+\[v_j_\d+\]\)", code)  # no bounds tests
    assert code.count("except IndexError:") == 4  # the appends after the call, in both copies
    assert re.search(r"v_i_(\d+) = v_i_\1 \+ 1\n", code)  # no wrap test
    assert "v_arr_2[:v_mid_4] if _k_v_arr_2_list else" in code  # mid >= 0 is known
    src = ('fmt := import("fmt")\n' + MERGE_SORT +
           'fmt.println(merge_sort([5, 2, 9, 1, 5, 6], func(a, b) { return a < b }))\n'
           'fmt.println(merge_sort(["b", "a", "c"], func(a, b) { return a > b }))\n'
           'fmt.println(merge_sort(immutable([3, 1, 2]), func(a, b) { return a < b }))\n'
           'fmt.println(merge_sort("cab", func(a, b) { return a < b }))\n'
           'fmt.println(merge_sort([3, 1, 2], func(a, b) { return 0.0 }))\n')
    assert both(src) == "[1, 2, 5, 5, 6, 9]\n[\"c\", \"b\", \"a\"]\n[1, 2, 3]\n[a, b, c]\n[3, 1, 2]\n"
    assert both.err('fmt := import("fmt")\n' + MERGE_SORT + 'merge_sort([1, "x"], func(a, b) { return a < b })') == (
        "Runtime Error: invalid operation: int < string\n\tat test.tengo:24:42\n\tat test.tengo:12:8\n"
        "\tat test.tengo:24:1")
