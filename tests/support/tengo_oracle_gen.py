"""Hypothesis strategies for deterministic Tengo programs over the grammar, the builtins and the stdlib.

Each program prints what it computes (no clock, no unseeded rand, no environment), so running it in real
Tengo and in ours must give the same stdout, error text, position and exit status. Used by
`bench/tengo_oracle.py fuzz` (the long job, with TENGO_BIN) and, through the fixtures it saved, by CI.
"""

from __future__ import annotations

from hypothesis import strategies as st

INTS = st.sampled_from(["0", "1", "-1", "7", "42", "-13", "255", "1000000", "9223372036854775807", "0x1f", "0o17",
                        "0b101", "3"])
FLOATS = st.sampled_from(["0.0", "1.5", "-2.25", "3.14159", "1e10", "1e-7", "100.0", "0.1", "2.5e-3", "-0.5"])
STRINGS = st.sampled_from(['""', '"abc"', '"Hello, World"', '"a,b,,c"', '"  pad  "', '"ß straße"', '"héllo"',
                           '"日本語"', '"tab\\there"', '"12"', '"-3.5"', '"true"', '"x"', '"aaa"', '"<a&b>"'])
CHARS = st.sampled_from(["'a'", "'Z'", "'0'", "'é'", "'\\n'", "' '"])
ATOMS = st.one_of(INTS, FLOATS, STRINGS, CHARS, st.sampled_from(["true", "false", "undefined", "[]", "{}",
                                                                  '[1, 2, 3]', '{a: [1, "x"]}', 'bytes("hi")',
                                                                  "error(1)", "[1, [2, 3], {c: 4}]"]))
FORMATS = st.sampled_from(['"%v"', '"%d"', '"%5.2f"', '"%q"', '"%x"', '"%s|%v"', '"%[1]v %[1]T"', '"%-6s|"'])
BINOPS = st.sampled_from(["+", "-", "*", "/", "%", "&", "|", "^", "&^", "<<", ">>", "==", "!=", "<", ">", "<=",
                          ">=", "&&", "||"])
UNARY = st.sampled_from(["-", "!", "^"])
BUILTIN1 = st.sampled_from(["len", "string", "int", "float", "bool", "char", "bytes", "type_name", "is_int",
                            "is_string", "is_array", "is_map", "is_error", "is_undefined", "is_iterable", "copy",
                            "is_callable", "is_float", "is_char", "is_bytes", "immutable"])

# (module, function, argument strategies): each calls with plausible arguments, sometimes wrong ones
_S = STRINGS
_I = INTS
_F = FLOATS
STDLIB_CALLS: list[tuple[str, str, tuple]] = [
    ("text", "to_upper", (_S,)), ("text", "to_lower", (_S,)), ("text", "title", (_S,)),
    ("text", "trim_space", (_S,)), ("text", "split", (_S, st.sampled_from(['","', '""', '"a"']))),
    ("text", "join", (st.sampled_from(['["a", "b"]', "[]", '["x"]']), st.sampled_from(['"-"', '""']))),
    ("text", "contains", (_S, st.sampled_from(['"a"', '""', '"ß"']))), ("text", "repeat", (_S, _I)),
    ("text", "replace", (_S, st.just('"a"'), st.just('"A"'), st.sampled_from(["-1", "1", "0"]))),
    ("text", "index", (_S, st.sampled_from(['"a"', '"é"']))), ("text", "atoi", (_S,)), ("text", "itoa", (_I,)),
    ("text", "parse_int", (_S, st.sampled_from(["10", "16", "2"]), st.sampled_from(["64", "8"]))),
    ("text", "parse_float", (_S, st.just("64"))), ("text", "parse_bool", (_S,)),
    ("text", "format_int", (_I, st.sampled_from(["2", "10", "16", "36"]))),
    ("text", "format_float", (_F, st.sampled_from(["'f'", "'e'", "'g'"]), st.sampled_from(["-1", "2"]),
                              st.just("64"))),
    ("text", "quote", (_S,)), ("text", "trim", (_S, st.sampled_from(['" "', '"a"']))),
    ("text", "substr", (_S, st.sampled_from(["0", "1"]), st.sampled_from(["2", "3"]))),
    ("text", "pad_left", (_S, st.sampled_from(["5", "8"]), st.sampled_from(['"*"', '""']))),
    ("text", "fields", (_S,)), ("text", "has_prefix", (_S, st.just('"a"'))), ("text", "last_index", (_S, st.just('"a"'))),
    ("text", "re_match", (st.sampled_from(['"a+"', '"^[a-z]+$"', '"("']), _S)),
    # (re_find's matches are maps of three keys: real Tengo prints them in random order; fixtures cover it)
    ("text", "re_replace", (st.sampled_from(['"a"', '"[aeiou]"']), _S, st.sampled_from(['"_"', '"$0$0"']))),
    ("text", "re_split", (st.sampled_from(['","', '"a*"']), _S, st.sampled_from(["-1", "2"]))),
    # math: the functions whose results are exact (logs and trigonometry can differ in the last digit)
    ("math", "abs", (_F,)), ("math", "sqrt", (_F,)), ("math", "floor", (_F,)), ("math", "ceil", (_F,)),
    ("math", "log2", (st.sampled_from(["1024.0", "0.125", "1.0"]),)), ("math", "trunc", (_F,)),
    ("math", "pow", (st.sampled_from(["2.0", "-3.0", "10.0"]), st.sampled_from(["0.0", "3.0", "-2.0"]))),
    ("math", "max", (_F, _F)), ("math", "min", (_F, _F)), ("math", "mod", (_F, _F)), ("math", "copysign", (_F, _F)),
    ("math", "inf", (st.sampled_from(["1", "-1"]),)), ("math", "is_nan", (_F,)), ("math", "signbit", (_F,)),
    ("json", "encode", (ATOMS,)), ("json", "decode", (st.sampled_from(['"1"', '"[1, 2.5, \\"x\\"]"', '"{\\"a\\": 1}"',
                                                                       '"nul"', '"1e3"', '"{"', '"\\"\\\\u00e9\\""']),)),
    ("json", "indent", (st.sampled_from(['"[1,2]"', '"{\\"a\\":[1]}"']), st.just('""'), st.just('"  "'))),
    ("base64", "encode", (st.sampled_from(['bytes("hi")', 'bytes("")', 'bytes("hello!?")']),)),
    ("base64", "decode", (st.sampled_from(['"aGk="', '"!!"', '""']),)),
    ("base64", "url_encode", (st.sampled_from(['bytes("??>")', 'bytes("a")']),)),
    ("base64", "raw_std_encode", (st.sampled_from(['bytes("hi")', 'bytes("a")']),)),
    ("hex", "encode", (st.sampled_from(['bytes("hi")', 'bytes("")']),)),
    ("hex", "decode", (st.sampled_from(['"6869"', '"zz"', '"686"']),)),
    ("enum", "all", (st.sampled_from(["[1, 2, 3]", "[]", "{a: 1}", "1"]), st.just("func(k, v) { return v > 0 }"))),
    ("enum", "any", (st.sampled_from(["[0, 2]", "[]", "{a: 0}", '"s"']), st.just("func(k, v) { return v > 1 }"))),
    ("enum", "map", (st.sampled_from(["[1, 2]", "{a: 1}", "[]", "undefined"]), st.just("func(k, v) { return v * 2 }"))),
    ("enum", "find", (st.sampled_from(["[1, 5, 9]", "{a: 1, b: 7}"]), st.just("func(k, v) { return v > 4 }"))),
    ("enum", "key", (st.just("0"), st.just("1"))), ("enum", "value", (st.just("0"), st.just("1"))),
    ("times", "time_format", (st.sampled_from(["times.date(2020, 1, 2, 3, 4, 5, 6, \"UTC\")", "times.add(times.date(1999, 12, 31, 23, 59, 59, 0, \"UTC\"), 1000000000)"]),
                              st.sampled_from(["times.format_rfc3339", "times.format_kitchen", '"2 Jan 2006 15:04"',
                                               "times.format_rfc1123z", "times.format_stamp_micro",
                                               '"Z07:00 -0700 MST"', '"_2 01/02/06 3PM .000"']))),
    ("times", "month_string", (st.sampled_from(["1", "12", "13", "0"]),)),
    ("times", "weekday_string", (st.sampled_from(["0", "6", "7"]),)),
]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 3:
        return draw(ATOMS)
    sub = expressions(depth + 1)
    forms = [
        lambda: draw(ATOMS),
        lambda: f"({draw(sub)} {draw(BINOPS)} {draw(sub)})",
        lambda: f"{draw(UNARY)}{draw(sub)}",
        lambda: f"{draw(BUILTIN1)}({draw(sub)})",
        lambda: f"[{draw(sub)}, {draw(sub)}][{draw(st.sampled_from(['0', '1', '2', '-1']))}]",
        lambda: f"({draw(sub)} ? {draw(sub)} : {draw(sub)})",
        lambda: f'{{k: {draw(sub)}}}["k"]',
        lambda: f"format({draw(FORMATS)}, {draw(sub)})",
        lambda: stdlib_call_text(draw),
    ]
    weights = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]  # atoms twice as likely
    return forms[weights[draw(st.integers(0, 9))]]()


def stdlib_call_text(draw: st.DrawFn) -> str:
    module, func, args = draw(st.sampled_from(STDLIB_CALLS))
    return f"{module}.{func}({', '.join(draw(a) for a in args)})"


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A program that imports every deterministic module and prints a few expressions."""
    lines = ['fmt := import("fmt")', 'text := import("text")', 'math := import("math")', 'json := import("json")',
             'times := import("times")', 'base64 := import("base64")', 'hex := import("hex")',
             'enum := import("enum")']
    for _ in range(draw(st.integers(1, 6))):
        lines.append(f"fmt.println({draw(expressions())})")
    return "\n".join(lines) + "\n"
