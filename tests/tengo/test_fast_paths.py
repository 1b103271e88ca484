"""The compiler's fast paths keep Tengo's semantics: constant-operand int arithmetic,
static kinds (int, string, array, map), type flags for variables assigned once,
loops whose budget ticks come from the iterator, and truthiness of call results."""

from __future__ import annotations

import pytest

from llmspell_kernel.engines.tengo import TengoError, TengoRuntime

MAX = 9223372036854775807
MIN = -MAX - 1


def test_constant_operand_add_sub_wraps(run):
    src = ('fmt := import("fmt")\n'
           'f := func(x) { return [x + 1, x - 1, 1 + x, 5 - x, x + -3, x - -3, x + 0] }\n'
           'fmt.println(f(9223372036854775807))\n'
           'fmt.println(f(-9223372036854775807 - 1))\n'
           'fmt.println(f(1.5))\n')
    assert run(src) == (
        f"[{MIN}, {MAX - 1}, {MIN}, {5 - MAX}, {MAX - 3}, {MIN + 2}, {MAX}]\n"
        f"[{MIN + 1}, {MAX}, {MIN + 1}, {MIN + 5}, {MAX - 2}, {MIN + 3}, {MIN}]\n"
        "[2.5, 0.5, 2.5, 3.5, -1.5, 4.5, 1.5]\n")


def test_int_variables_wrap_on_increment(run):
    src = ('fmt := import("fmt")\n'
           'm := 9223372036854775807\nm++\nfmt.println(m)\nfmt.println(m - 1)\nfmt.println(-5 - m)\n'
           'n := -9223372036854775807 - 1\nn--\nfmt.println(n)\nfmt.println(n + 1)\n')
    assert run(src) == f"{MIN}\n{MAX}\n{MAX - 4}\n{MAX}\n{MIN}\n"


def test_division_by_positive_constant(run):
    src = ('fmt := import("fmt")\n'
           'g := func(x) { x2 := x * 2; return [x2 / 4, x2 % 3] }\n'
           'fmt.println(g(7), g(-7))\n')
    assert run(src) == "[3, 2][-3, -2]\n"
    e = run.err('g := func(x) { x2 := x * 2; return x2 / 4 + x2 % 3 }\ng(2.5)')
    assert e.tengo_format() == ("Runtime Error: invalid operation: float % int\n"
                                "\tat test.tengo:1:45\n\tat test.tengo:2:1")


def test_compound_add_with_unknown_kinds(run):
    src = ('fmt := import("fmt")\n'
           'id := func(v) { return v }\n'
           's := id(9223372036854775800)\n'
           'for i := 0; i < 3; i++ { s += id(5) }\n'
           'fmt.println(s)\n'
           't := id("a")\n'
           'for i := 0; i < 3; i++ { t += id("b") }\n'
           't += id(1)\n'
           'fmt.println(t)\n'
           'u := id(1.5)\nu += id(2)\nfmt.println(u)\n'
           'w := id([1])\nw += id([2])\nfmt.println(w)\n')
    assert run(src) == f"{MIN + 7}\nabbb1\n3.5\n[1, 2]\n"
    e = run.err('id := func(v) { return v }\ns := id(1)\ns += id("x")')
    assert e.message == "invalid operation: int + string"


def test_string_of_int(run):
    assert run.p('"k" + string(-5) + string(1 << 62) + string("x")') == "k-54611686018427387904x\n"


def test_array_and_map_kinds(run):
    src = ('fmt := import("fmt")\n'
           'a := []\na = append(a, 1)\na = append(a, 2, 3)\na[0] = 5\n'
           'fmt.println(a, " ", a[1], " ", a[-1], " ", a[3], " ", len(a), " ", a[1:])\n'
           'm := {}\nm["x"] = 1\nm[1] = 2\nm[true] = 3\n'
           'fmt.println(m["x"], m["1"], m["true"], m["nope"], len(m))\n'
           'b := a\na = append(a, 4)\nfmt.println(a, b)\n')
    assert run(src) == "[5, 2, 3] 2 <undefined> <undefined> 3 [2, 3]\n1233\n[5, 2, 3, 4][5, 2, 3]\n".replace(
        "<undefined>", "")
    e = run.err("a := []\na = append(a, 1)\na[1] = 2")
    assert e.message == "index out of bounds"
    e = run.err("m := {}\nm[undefined] = 1")
    assert e.message == "invalid index type: undefined"


def test_loops_across_tick_chunks(run):
    """Loops longer than the budget chunk (10000), with break and continue."""
    src = ('fmt := import("fmt")\n'
           'a := []\nfor i := 0; i < 25003; i++ { a = append(a, i * 2) }\n'
           's := 0\nn := 0\n'
           'for k, v in a { if k % 3 == 0 { continue }; if k > 24999 { break }; s += v; n++ }\n'
           'fmt.println(s, " ", n)\n'
           'm := {}\nfor i := 0; i < 12345; i++ { m["k" + string(i)] = i }\n'
           't := 0\nfor k, v in m { if v == 100 { continue }; t += v }\nfmt.println(t)\n'
           'str := ""\nfor i := 0; i < 10002; i++ { str += i % 2 == 0 ? "é" : "a" }\n'
           'c := 0\nfor i, ch in str { if ch == \'é\' { c += 1 } }\nfmt.println(c, " ", len(str))\n'
           'x := 0\ny := 0\nfor x = 0; x < 30000; x += 2 { if x % 4 == 0 { continue }; y++ }\n'
           'fmt.println(x, " ", y)\n'
           'z := 0\nfor z < 25000 { z++; if z == 20001 { break } }\nfmt.println(z)\n'
           'q := 0\nfor { q++; if q >= 40000 { break } }\nfmt.println(q)\n'
           'r := 0\nfor i := 0; i <= 20000; i++ { r += i }\nfmt.println(r)\n'
           'for i := 10; i < 3; i++ { fmt.println("never") }\n'
           'for i := 1.5; i < 4; i++ { fmt.println(i) }\n')
    s = sum(2 * k for k in range(25000) if k % 3)
    n = sum(1 for k in range(25000) if k % 3)
    assert run(src) == (f"{s} {n}\n{sum(range(12345)) - 100}\n5001 15003\n30000 7500\n20001\n40000\n"
                        f"{sum(range(20001))}\n1.5\n2.5\n3.5\n")


def test_truthiness_of_call_results(run):
    src = ('fmt := import("fmt")\n'
           'vals := [true, false, 0, 1, 0.0, 2.5, "", "x", [], [1], {}, {a: 1}, undefined, error("e"), \'a\']\n'
           'for v in vals {\n'
           '  f := func() { return v }\n'
           '  if f() { fmt.print("T") } else { fmt.print("F") }\n'
           '  fmt.print(f() ? "t" : "f")\n'
           '  fmt.print(!f() ? "n" : "y")\n'
           '}\n'
           'fmt.println()\n'
           'nan := func() { return 0.0 / 0.0 }\n'
           'fmt.println(nan() ? "nan-true" : "nan-false")\n'
           'dbl := func(x) { return x + x }\n'
           'fmt.println(dbl(2), dbl(1.5), dbl("ab"), dbl([1]))\n')
    assert run(src) == "TtyFfnFfnTtyTtyTtyFfnTtyFfnTtyFfnTtyFfnFfnTty\nnan-false\n43abab[1, 1]\n"


def test_parameter_flags_follow_each_call(run):
    # a parameter's type test is computed once per call: calls with other types take the slow paths
    src = ('fmt := import("fmt")\n'
           'f := func(x, i) { if x[i] == undefined { return -1 }; return x[i] + x[i] }\n'
           'fmt.println(f([1, 2], 1), " ", f({a: "s"}, "a"), " ", f("abc", 0), " ", f([1], 5), " ", f([1], -1))\n')
    assert run(src) == "4 ss \u00c2 -1 -1\n"


class _Stop(Exception):
    pass


@pytest.mark.parametrize("loop", [
    "for i := 0; i < 1000000; i++ { x += i }",
    "for i := 0; i <= n; i++ { x += i }",
    "for x < 100000000 { x++ }",
    "for { x++ }",
    "for x = 0; x < 100000000; x += 2 { }",
    "for k, v in big { x += v }",
    "for k, v in bigmap { x += v }",
    "for i := 0.5; i < 100000000; i++ { x++ }",
])
def test_every_loop_form_calls_the_budget_hook(loop):
    armed = []
    calls = []

    def hook():
        if armed:
            calls.append(1)
            if len(calls) >= 3:
                raise _Stop()

    rt = TengoRuntime(budget_hook=hook)
    rt.run("big := []\nfor i := 0; i < 50000; i++ { big = append(big, 1) }\n"
           "bigmap := {}\nfor i := 0; i < 50000; i++ { bigmap[string(i)] = 1 }\nn := 100000000\n")
    armed.append(1)
    with pytest.raises(_Stop):
        rt.run(f"x := 0\n{loop}\nfor {{}}")
    assert len(calls) == 3
    armed.clear()
    # the session still works after the abort
    assert rt.run("s := 0\nfor i := 0; i < 30000; i++ { s += 1 }\ns", repl=True) == 30000


def test_leaf_functions_are_accounted_by_their_callers():
    calls = []

    def hook():
        calls.append(1)
        if len(calls) > 3:
            raise _Stop()

    rt = TengoRuntime(budget_hook=hook)
    with pytest.raises(_Stop):
        rt.run("leaf := func(a, b) { return a < b }\nfor { leaf(1, 2) }")


def test_allocation_limit_in_for_in_loops():
    rt = TengoRuntime(max_allocs=5000)
    with pytest.raises(TengoError) as ei:
        rt.run("a := [1, 2, 3]\nfor { for k, v in a { a = append(a, v) } }")
    assert ei.value.message == "object allocation limit exceeded"


def test_in_place_append_never_shows_through_an_alias(run):
    src = ('fmt := import("fmt")\n'
           'f := func() { r := []; r = append(r, 1); s := r; r = append(r, 2); return [r, s] }\n'
           'g := func() { r := [0]; for i := 0; i < 3; i++ { r = append(r, i); r[0] = len(r) }; return r }\n'
           'h := func() { out := []; for i := 0; i < 2; i++ { r := []; r = append(r, i); out = append(out, r) }; '
           'return out }\n'
           'k := func() { r := []; r = append(r, 1); c := func() { return r }; r = append(r, 2); return c() }\n'
           'a := g()\nb := a\na = append(a, 5)\n'
           'fmt.println(f(), g(), h(), k(), a, b)\n')
    assert run(src) == "[[1, 2], [1]][4, 0, 1, 2][[0], [1]][1, 2][4, 0, 1, 2, 5][4, 0, 1, 2]\n"


def test_deeply_nested_loops_still_compile(run):
    depth = 19
    body = "".join(f"x{d} := 0\nfor x{d} < 1 {{ x{d}++\n" for d in range(depth)) + "n++\n" + "}\n" * depth
    src = f'fmt := import("fmt")\nn := 0\nf := func() {{\n{body}}}\nf()\nfmt.println(n)\n'
    assert run(src) == "1\n"


def test_int_clone_of_a_self_recursive_function(run):
    src = ('fmt := import("fmt")\n'
           'fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }\n'
           'ack := func(m, n) { if m == 0 { return n + 1 }; if n == 0 { return ack(m - 1, 1) }; '
           'return ack(m - 1, ack(m, n - 1)) }\n'
           'p := func(n, m) { if n == 0 { return m }; return p(n - 1, m * 3) }\n'
           'fmt.println(fib(20), " ", fib(-3), " ", fib(2.5), " ", ack(2, 3), " ", p(41, 1))\n')
    # 3**41 wraps around int64
    wrapped = (3 ** 41 + 2 ** 63) % 2 ** 64 - 2 ** 63
    assert run(src) == f"6765 -3 2 9 {wrapped}\n"  # fib(2.5) = 1.5 + 0.5


def test_int_clone_keeps_late_binding():
    rt = TengoRuntime()
    rt.run("fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }\nold := fib")
    assert rt.run("old(10)", repl=True) == 55
    rt.run("fib = func(n) { return 100 }")
    assert rt.run("old(5)", repl=True) == 200 and rt.run("fib(5)", repl=True) == 100


def test_int_clone_error_frames(run):
    e = run.err("f := func(n) { if n < 1 { return 10 / n }; return f(n - 1) }\nf(3)")
    # `return f(n - 1)` is a self tail call: one frame, as in the reference VM
    assert e.tengo_format() == ("Runtime Error: integer divide by zero\n\tat test.tengo:1:34\n"
                                "\tat test.tengo:2:1")
    e = run.err("f := func(n) { if n < 1 { return 10 / n }; return 0 + f(n - 1) }\nf(2)")
    assert e.tengo_format() == ("Runtime Error: integer divide by zero\n\tat test.tengo:1:34\n"
                                "\tat test.tengo:1:55\n\tat test.tengo:1:55\n\tat test.tengo:2:1")
    e = run.err('f := func(a) { if a > 3 { return a }; return f(a + 1) }\nf("x")')
    assert e.tengo_format() == ("Runtime Error: invalid operation: string > int\n"
                                "\tat test.tengo:1:19\n\tat test.tengo:2:1")
    e = run.err("f := func(n) { return f(n + 1) + 1 }\nf(0)")
    assert e.message == "stack overflow" and e.frames[0].line == 1 and e.frames[-1].line == 2


def test_array_slices(run):
    src = ('fmt := import("fmt")\na := [1, 2, 3]\n'
           'f := func(x, lo, hi) { return [x[:hi], x[lo:], x[lo:hi]] }\n'
           'fmt.println(f(a, 0, 3), f(a, 1, 2), f(a, 3, 10), f(a, 0, 0), f("héllo", 1, 3), f(immutable(a), 1, 2))\n'
           'g := func(x, lo) { return x[lo:] }\nfmt.println(g(a, 3), g(a, 0), g(a, -1))\n'
           'k := func(x, lo, hi) { return x[lo:hi] }\nfmt.println(k(a, -5, 2), k(a, 1, 99))\n')
    assert run(src) == ('[[1, 2, 3], [1, 2, 3], [1, 2, 3]][[1, 2], [2, 3], [2]][[1, 2, 3], [], []][[], [1, 2, 3], []]'
                        '["hé", "éllo", "é"][[1, 2], [2, 3], [2]]\n[][1, 2, 3][1, 2, 3]\n[1, 2][2, 3]\n')
    assert run.err("g := func(x, lo) { return x[lo:] }\ng([1, 2, 3], 4)").tengo_format() == (
        "Runtime Error: invalid slice index: 4 > 3\n\tat test.tengo:1:27\n\tat test.tengo:2:1")
    assert run.err("h := func(x, hi) { return x[:hi] }\nh([1, 2, 3], -1)").message == "invalid slice index: 0 > -1"


def test_int_clone_when_a_cell_is_run_again():
    rt = TengoRuntime()
    src = "fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }\nout := fib(15)"
    for _ in range(3):  # later runs redeclare the persisted `fib`
        rt.run(src)
        assert rt.get_global("out") == 610
    assert rt.run('fib(2.5) + fib(3)', repl=True) == 4
