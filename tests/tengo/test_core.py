"""Operators, control flow, closures and values, checked by printed output."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("expr,out", [
    ("1 + 2 * 3", "7"), ("(1 + 2) * 3", "9"), ("7 / 2", "3"), ("-7 / 2", "-3"), ("-7 % 3", "-1"),
    ("7 % -3", "1"), ("1 << 3", "8"), ("-16 >> 2", "-4"), ("5 & 3", "1"), ("5 | 3", "7"), ("5 ^ 3", "6"),
    ("5 &^ 3", "4"), ("^5", "-6"), ("-(-3)", "3"), ("9223372036854775807 + 1", "-9223372036854775808"),
    ("-9223372036854775807 - 2", "9223372036854775807"), ("4611686018427387904 * 4", "0"),
    ("1 << 64", "0"), ("-1 >> 70", "-1"),
    ("1 + 2.5", "3.5"), ("2.5 * 2", "5"), ("1 / 2.0", "0.5"), ("1.0 / 0", "+Inf"), ("-1.0 / 0", "-Inf"),
    ("0.1 + 0.2", "0.30000000000000004"), ("1e21", "1000000000000000000000"), ("1.0", "1"),
    ('"a" + 1', "a1"), ('"a" + 1.5', "a1.5"), ('"x" + [1, "b"]', 'x[1, "b"]'), ('"a" + \'b\'', "ab"),
    ("'a' + 1", "b"), ("'b' - 'a'", "\x01"), ("1 + 'a'", "b"),
    ("[1, 2] + [3]", "[1, 2, 3]"),
    ("1 < 2", "true"), ("2.5 >= 2", "true"), ('"abc" < "abd"', "true"), ("'a' < 'b'", "true"),
    ("1 == 1.0", "true"), ("1 == '1'", "false"), ("true == 1", "false"), ('"a" == "a"', "true"),
    ("[1, [2]] == [1, [2]]", "true"), ("{a: 1} == {a: 1}", "true"), ("undefined == undefined", "true"),
    ("1 != 2", "true"),
    ("0 && 5", "0"), ("1 && 5", "5"), ("0 || 7", "7"), ('"" || "d"', "d"), ("!0", "true"), ("!1", "false"),
    ("!0.0", "false"), ("!\"\"", "true"), ("![]", "true"), ("!{}", "true"), ("!undefined", "true"),
    ('!error("x")', "true"),
    ("true ? 1 : 2", "1"), ("0 ? 1 : 2", "2"), ("1 > 2 ? \"a\" : \"b\"", "b"),
])
def test_expressions(run, expr, out):
    assert run.p(expr) == out + "\n"


def test_display_forms(run):
    assert run.p('[1, "s", 2.5, \'c\', true, undefined, [], {}, error("e"), bytes("hi")]') == \
        '[1, "s", 2.5, c, true, <undefined>, [], {}, error: "e", hi]\n'
    assert run.p('"a", 1, undefined, "b"') == "a1b\n"
    assert run.p("{b: 1, a: \"x\"}") == '{b: 1, a: "x"}\n'
    assert run.p("func() {}") == "<compiled-function>\n"
    assert run.p("len") == "<builtin-function>\n"


def test_indexing_and_slicing(run):
    src = '''fmt := import("fmt")
a := [1, 2, 3, 4]
s := "héllo"
m := {a: 1, "b c": 2}
fmt.println(a[0], a[-1], a[10], a[1:3], a[:2], a[2:], a[-5:100])
fmt.println(s[1], s[0:1], len(s), s[10])
fmt.println(m.a, m["b c"], m.zz, m["zz"])
fmt.println(bytes("abc")[1], "abc"[1:])
a[1] = 20
m.c = 3
m["d"] = [5]
m.d[0] = 6
fmt.println(a, m)
'''
    # fmt.println prints undefined as an empty string (ToString fails for it)
    assert run(src) == ("1[2, 3][1, 2][3, 4][1, 2, 3, 4]\n"
                        "éh6\n12\n98bc\n"
                        "[1, 20, 3, 4]{a: 1, b c: 2, c: 3, d: [6]}\n")


def test_control_flow(run):
    src = '''fmt := import("fmt")
out := []
for i := 0; i < 10; i++ {
  if i % 2 == 0 { continue }
  if i > 7 { break }
  out = append(out, i)
}
j := 0
for j < 3 { j++ }
k := 0
for { k++; if k == 5 { break } }
if x := 10; x > 5 { fmt.println("big", x) } else if x > 1 { fmt.println("mid") } else { fmt.println("small") }
for idx, v in ["a", "b"] { fmt.println(idx, v) }
for v in [7] { fmt.println(v) }
for k2, v2 in {z: 1} { fmt.println(k2, v2) }
for i, c in "hé" { fmt.println(i, c) }
for _, v in undefined { fmt.println("never") }
fmt.println(out, j, k)
'''
    assert run(src) == "big10\n0a\n1b\n7\nz1\n0h\n1é\n[1, 3, 5, 7]35\n"


def test_closures_capture_by_reference(run):
    src = '''fmt := import("fmt")
make := func() {
  n := 0
  inc := func() { n++; return n }
  get := func() { return n }
  return [inc, get]
}
p := make()
p[0](); p[0]()
fmt.println(p[1]())
fns := []
for i := 0; i < 3; i++ {  // top level: x is a global
  x := i
  fns = append(fns, func() { return x })
}
fmt.println(fns[0](), fns[1](), fns[2]())
shared := []
for i := 0; i < 3; i++ { shared = append(shared, func() { return i }) }
fmt.println(shared[0]())
g := func() {
  acc := []
  for v in [1, 2, 3] { acc = append(acc, func() { return v }) }
  return acc
}
h := g()
fmt.println(h[0](), h[2]())
'''
    # top-level block variables are globals in Tengo (one slot): closures see
    # the last value; inside a function each `:=` run is a fresh variable
    assert run(src) == "2\n222\n3\n13\n"


def test_recursion_and_variadic(run):
    src = '''fmt := import("fmt")
fact := func(n) { if n <= 1 { return 1 }; return n * fact(n - 1) }
sum := func(...xs) { t := 0; for x in xs { t += x }; return t }
first := func(a, ...rest) { return [a, rest] }
fmt.println(fact(20), sum(), sum(1, 2, 3), first(1), first(1, 2, 3), sum([4, 5]...))
inner := func() {
  fib := func(n) { if n < 2 { return n }; return fib(n - 1) + fib(n - 2) }
  return fib(15)
}
fmt.println(inner())
'''
    assert run(src) == "243290200817664000006[1, []][1, [2, 3]]9\n610\n"


def test_scoping_shadowing(run):
    src = '''fmt := import("fmt")
x := 1
if true { x := 2; fmt.println(x) }
f := func() { x := 3; return x }
fmt.println(x, f())
y := 1
func() { y = 5 }()
fmt.println(y)
len := 3
'''
    e = None
    try:
        run(src)
    except Exception as ex:
        e = ex
    assert e is not None and "'len' redeclared in this block" in str(e.message)
    assert run(src.replace("len := 3\n", "")) == "2\n13\n5\n"


def test_compound_assignment_and_incdec(run):
    src = '''fmt := import("fmt")
a := 10
a += 5; a -= 3; a *= 2; a /= 4; a %= 4; a <<= 3; a >>= 1; a |= 1; a &= 7; a ^= 2; a &^= 1
s := "x"
s += 1
m := {n: 1}
m.n += 10
arr := [1]
arr[0]++
fmt.println(a, s, m.n, arr)
'''
    assert run(src) == "2x111[2]\n"


def test_immutable_and_errors(run):
    src = '''fmt := import("fmt")
a := immutable([1, 2])
m := immutable({k: 1})
b := copy(a)
b[0] = 9
fmt.println(type_name(a), type_name(m), type_name(b), b, a)
e := error("bad")
fmt.println(e.value, is_error(e), type_name(e), e)
'''
    assert run(src) == "immutable-arrayimmutable-maparray[9, 2][1, 2]\nbadtrueerrorerror: \"bad\"\n"


def test_export_ignored_in_main(run):
    assert run('fmt := import("fmt")\nexport 5\nfmt.println(1)') == "1\n"


def test_counted_loops_fast_and_fallback_paths(run):
    src = '''fmt := import("fmt")
f := func(n) {
  out := []
  for i := 0; i < n; i++ {
    if i == 1 { continue }
    out = append(out, i)
  }
  return out
}
fmt.println(f(4), f(2.5), f(0))
t := 0
for i := 1; i <= 5; i++ { t += i }
fmt.println(t)
'''
    assert run(src) == "[0, 2, 3][0, 2][]\n15\n"
    e = run.err('f := func(n) { for i := 0; i < n; i++ {} }\nf("x")')
    assert e.message == "invalid operation: int < string"


def test_self_append_keeps_value_semantics(run):
    src = '''fmt := import("fmt")
g := func() {
  a := [1]
  keep := [a]
  a = append(a, 2)
  return [a, keep]
}
fmt.println(g())
'''
    assert run(src) == "[[1, 2], [[1]]]\n"


def test_self_tail_calls_run_in_constant_stack(run):
    """As the reference VM does: `return f(...)` from f reuses the frame, so deep tail recursion works."""
    src = ('fmt := import("fmt")\n'
           'sum := func(n, acc) { if n == 0 { return acc }; return sum(n - 1, acc + n) }\n'
           'fmt.println(sum(200000, 0))\n'
           'swap := func(a, b, k) { if k == 0 { return [a, b] }; return swap(b, a, k - 1) }\n'
           'fmt.println(swap(1, 2, 3))\n'
           'f := func(n) { if n == 0 { return 0 }; return 1 + f(n - 1) }\n'
           'fmt.println(f(100))\n')
    assert run(src) == "20000100000\n[2, 1]\n100\n"
    e = run.err("f := func(n) { if n == 0 { return 1 + [] }; return f(n - 1) }\nf(5000)")
    assert e.message == "invalid operation: int + array" and len(e.frames) == 2
