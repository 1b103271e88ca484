"""Literals, semicolon insertion and parse errors."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("expr,out", [
    ("0x1F", "31"), ("0o17", "15"), ("0b101", "5"), ("017", "15"), ("1_000_000", "1000000"),
    ("0x_ff", "255"), ("1.5e3", "1500"), (".5", "0.5"), ("1e-7", "0.0000001"), ("0x1p-2", "0.25"),
    ("'a'", "a"), ("'\\n' == char(10)", "true"), ("'\\u00e9'", "é"), ("'\\x41'", "A"),
    ('"tab\\there"', "tab\there"), ('"\\u00e9\\U0001F600"', "é😀"), ('"\\101"', "A"),
    ("`raw\\n`", "raw\\n"), ('"a" + `b`', "ab"),
])
def test_literals(run, expr, out):
    assert run.p(expr) == out + "\n"


def test_semicolon_insertion(run):
    src = 'fmt := import("fmt")\na := 1\nb := a +\n  2\nc := [1,\n  2]\nfmt.println(b, c) // trailing comment\n'
    assert run(src) == "3[1, 2]\n"


def test_block_comment_newline_inserts_semicolon(run):
    assert run('fmt := import("fmt")\nx := 1 /* c\n */ fmt.println(x)\n') == "1\n"


def test_parse_error_expected_operand(run):
    e = run.err("a := 1\nb := a +\n")
    assert e.tengo_format() == "Parse Error: expected operand, found 'EOF'\n\tat test.tengo:2:10"
    assert (e.line, e.column) == (2, 10)


def test_parse_error_multiple(run):
    e = run.err("a := (1\nb := ]\n")
    assert e.tengo_format().startswith("Parse Error: expected ')', found newline\n\tat test.tengo:1:8")
    assert "(and 1 more errors)" in e.tengo_format()


def test_parse_error_illegal_char(run):
    e = run.err("a := 1 @ 2")
    assert e.message == "illegal character U+0040 '@'"


def test_parse_error_unterminated_string(run):
    e = run.err('a := "abc\n')
    assert e.message == "string literal not terminated"
    assert (e.line, e.column) == (1, 6)


def test_parse_error_number_range(run):
    assert run.err("a := 99999999999999999999").message == "invalid integer"


def test_parse_error_illegal_rune(run):
    assert run.err("a := 'ab'").message == "illegal rune literal"


def test_kind_is_syntax_error(run):
    from llmspell_kernel.errors import ScriptSyntaxError

    assert isinstance(run.err("a := ("), ScriptSyntaxError)
