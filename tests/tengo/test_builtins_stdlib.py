"""Builtins and standard library modules."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("expr,out", [
    ('len([1, 2]), len("héllo"), len({a: 1}), len(bytes(3))', "2613"),
    ("copy([1, [2]])", "[1, [2]]"),
    ("append([1], 2, 3)", "[1, 2, 3]"),
    ('string(1), string(1.5), string(\'x\'), string([1]), string(undefined, "d")', '11.5x[1]d'),
    ('int("12"), int(3.9), int(\'a\'), int(true), int("x", -1), int("1_0")', "123971-1"),
    ('float(2), float("2.5"), float("x", 0.5)', "22.50.5"),
    ('bool(0), bool(1), bool(""), bool([1]), bool(0.0)', "falsetruefalsetruetrue"),
    ("char(65), char('b'), char(\"x\")", "Ab"),
    ('bytes("ab"), bytes(2) == bytes([0, 0]), bytes("x") + bytes("y")', "abfalsexy"),
    ("is_int(1), is_float(1.0), is_string(\"\"), is_bool(false), is_char('c'), is_bytes(bytes(1))",
     "truetruetruetruetruetrue"),
    ("is_array([]), is_map({}), is_immutable_array(immutable([])), is_immutable_map(immutable({}))",
     "truetruetruetrue"),
    ("is_iterable(1), is_iterable(\"s\"), is_undefined(undefined), is_error(error(1)), is_time(time(0))",
     "falsetruetruetruetrue"),
    ("is_function(func(){}), is_function(len), is_callable(len), is_callable(1)", "truefalsetruefalse"),
    ("type_name(1), type_name(1.0), type_name(\"\"), type_name(len), type_name(func(){}), type_name(undefined)",
     "intfloatstringbuiltin-function:lencompiled-functionundefined"),
    ("range(0, 5), range(5, 0), range(0, 10, 3), range(3, 0, 2)", "[0, 1, 2, 3, 4][5, 4, 3, 2, 1][0, 3, 6, 9][3, 1]"),
    ('format("%d-%s-%v-%q-%5.1f|%-4d|%x|%c|%t", 7, "s", "s", "q", 3.14159, 9, 255, 65, true)',
     '7-s-"s"-"q"-  3.1|9   |ff|A|true'),
    ('format("%d %d", 1)', "1 %!d(MISSING)"),
    ('format("%d", 1, 2)', "1%!(EXTRA int=2)"),
])
def test_builtins(run, expr, out):
    assert run.p(expr) == out + "\n"


def test_delete_and_splice(run):
    src = '''fmt := import("fmt")
m := {a: 1, b: 2}
delete(m, "a")
a := [1, 2, 3, 4, 5]
d := splice(a, 1, 2, "x", "y", "z")
b := [1, 2, 3]
e := splice(b, 1)
fmt.println(m, a, d, b, e)
'''
    assert run(src) == '{b: 2}[1, "x", "y", "z", 4, 5][2, 3][1][2, 3]\n'


def test_append_does_not_alias(run):
    src = '''fmt := import("fmt")
a := [1]
b := a
a = append(a, 2)
c := append(a, 3)
fmt.println(a, b, c)
'''
    assert run(src) == "[1, 2][1][1, 2, 3]\n"


def test_fmt_module(run):
    src = '''fmt := import("fmt")
fmt.print("a", 1, "\\n")
fmt.printf("%s=%d\\n", "x", 5)
fmt.printf("plain")
fmt.println()
fmt.println(fmt.sprintf("%05.2f", 3.14159))
'''
    # single-argument printf prints the string's quoted form, as the reference does
    assert run(src) == 'a1\nx=5\n"plain"\n03.14\n'


def test_math_module(run):
    assert run.p('import("math").sqrt(2), import("math").floor(2.7), import("math").abs(-3), '
                 'import("math").pow(2, 10), import("math").is_nan(import("math").nan())') == \
        "1.4142135623730951231024true\n"


def test_text_module(run):
    src = '''fmt := import("fmt")
text := import("text")
fmt.println(text.contains("abc", "b"), text.index("héllo", "l"), text.repeat("ab", 3), text.trim_space("  x "))
fmt.println(text.split_n("a,b,c", ",", 2), text.fields(" a  b "),
  text.pad_left("7", 3, "0"), text.replace("aaa", "a", "b", 2))
fmt.println(text.atoi("42"), is_error(text.atoi("x")),
  text.format_int(255, 16), text.quote("a\\"b"), text.title("hello world"))
fmt.println(text.re_replace("[0-9]+", "a12b3", "#"), text.re_split(",\\\\s*", "a, b,c", -1))
'''
    assert run(src) == 'true3abababx\n["a", "b,c"]["a", "b"]007bba\n42trueff"a\\"b"Hello World\na#b#["a", "b", "c"]\n'


def test_json_module(run):
    src = '''fmt := import("fmt")
json := import("json")
b := json.encode({name: "x<y", list: [1, 2.5, true, undefined], nested: {k: "v"}})
fmt.println(b)
d := json.decode(b)
fmt.println(d.list, d.nested.k, is_error(json.decode("{bad")))
'''
    assert run(src) == '{"list":[1,2.5,true,null],"name":"x<y","nested":{"k":"v"}}\n[1, 2.5, true, <undefined>]vtrue\n'


def test_base64_hex_enum(run):
    src = '''fmt := import("fmt")
b64 := import("base64")
hex := import("hex")
enum := import("enum")
fmt.println(b64.encode(bytes("hi?")), b64.url_encode(bytes("hi?")),
  b64.raw_encode(bytes("a")), string(b64.decode("aGk/")))
fmt.println(hex.encode(bytes("AB")), string(hex.decode("4142")))
fmt.println(enum.all([1, 2], func(k, v) { return v > 0 }), enum.any([], func(k, v) { return true }))
fmt.println(enum.filter([1, 2, 3, 4], func(k, v) { return v % 2 == 0 }),
  enum.find({a: 5}, func(k, v) { return v == 5 }))
fmt.println(enum.chunk([1, 2, 3], 2), enum.map({x: 1}, enum.key), enum.find_key([5, 6], func(k, v) { return v == 6 }))
'''
    assert run(src) == 'aGk/aGk_YQhi?\n4142AB\ntruefalse\n[2, 4]5\n[[1, 2], [3]]["x"]1\n'


def test_times_module(run):
    src = '''fmt := import("fmt")
times := import("times")
t := times.date(2020, 1, 2, 3, 4, 5, 0)
fmt.println(times.time_year(t), times.time_month(t), times.time_day(t), times.time_unix(t))
fmt.println(times.duration_string(times.hour + 90 * times.second), times.duration_string(1500))
fmt.println(times.add(t, times.hour) > t, times.sub(times.add(t, 5), t), is_time(times.now()))
fmt.println(times.time_format(t, "2006-01-02 15:04:05"))
'''
    assert run(src) == "2020121577934245\n1h1m30s1.5µs\ntrue5true\n2020-01-02 03:04:05\n"
