"""Char fast paths (`ch >= '0'`, `ch == '+'`, `string(ch)`) print what the real tengo CLI printed
(d5/tengo 8daf696; the EXPECTED strings below), and the same with the comparison fast path off."""

from __future__ import annotations

import pytest

from llmspell_kernel.engines.tengo import TengoError, TengoRuntime, runtime
from llmspell_kernel.engines.tengo.emit_expr import ExprGen

CASES = [
    ('fmt := import("fmt")\nfor v in [\'a\', \'0\', \'9\', \'z\', 48, 57, char(-1), char(0x10FFFF)] {\n  fmt.println(v >= \'0\', " ", v <= \'9\', " ", v < \'a\', " ", v > \'a\', " ", \'5\' > v, " ", v == \'0\', " ", v != \'0\', " ", \'0\' == v)\n}\n',
     'true false false false false false true false\ntrue true true false true true false true\ntrue true true false false false true false\ntrue false false true false false true false\ntrue true true false true false true false\ntrue true true false false false true false\nfalse true true false true false true false\ntrue false false true false false true false\n'),
    ('fmt := import("fmt")\nfor v in [\'a\', char(0), char(0xD7FF), char(0xD800), char(0x10FFFF), char(-1), 65, "x", 1.5, undefined, [1]] {\n  s := string(v)\n  fmt.println(s, " ", len(s))\n}\nn := 0\nfor ch in "héllo, 世界!" { if ch >= \'a\' && ch <= \'z\' { n++ }; if ch == \'!\' { n += 100 } }\nfmt.println(n)\n',
     "a 1\n\x00 1\n\ud7ff 3\n� 3\n\U0010ffff 4\n� 3\n65 2\nx 1\n1.5 3\nRuntime Error: invalid type for argument 'first' in call to 'builtin-function:len': expected array/string/bytes/map, found undefined\n\tat ch2.tengo:4:23\n"),
]


@pytest.mark.parametrize("src, expected", CASES)
def test_char_paths_print_what_tengo_prints(run, src, expected):
    if "Runtime Error" in expected:
        head, _, error = expected.partition("Runtime Error: ")
        printed: list[str] = []
        with pytest.raises(TengoError) as ei:
            TengoRuntime(stdout=printed.append).run(src, "test.tengo")
        assert "".join(printed) == head
        assert str(ei.value.tengo_format()).startswith("Runtime Error: " + error.splitlines()[0])
        return
    assert run(src) == expected
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runtime, "_CACHE", {})
        mp.setattr(ExprGen, "char_compare", lambda self, *a: None)
        assert run(src) == expected


def test_a_string_compared_with_a_char_is_tengos_error(run):
    err = run.err('x := "0"\ny := x >= \'0\'\n')
    assert err.tengo_format().splitlines()[0] == 'Runtime Error: invalid operation: string >= char'


def test_a_parenthesised_char_literal(run):
    assert run('fmt := import("fmt")\nc := \'b\'\nfmt.println(c > (\'a\'), " ", (\'a\') == c, " ", c != ((\'b\')))\n') == (
        "true false false\n")  # what the real tengo binary printed


def test_a_char_expression_that_is_not_a_literal(run):
    assert run('fmt := import("fmt")\nc := \'b\'\nfmt.println(c > +\'a\', " ", +\'b\' == c)\n') == "true true\n"


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
@pytest.mark.parametrize("lit_left", [False, True])
def test_an_ordering_against_a_char_literal_errs_as_the_general_path(run, op, lit_left):
    """< and <= are evaluated left to right (as the reference): the fast path names the operands in the
    order they were written, as the general path does."""
    expr = f"'0' {op} x" if lit_left else f"x {op} '0'"
    src = f'x := "0"\ny := {expr}\n'
    want = f"Runtime Error: invalid operation: {'char ' + op + ' string' if lit_left else 'string ' + op + ' char'}"
    assert run.err(src).tengo_format().splitlines()[0] == want
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runtime, "_CACHE", {})
        mp.setattr(ExprGen, "char_compare", lambda self, *a: None)
        assert run.err(src).tengo_format().splitlines()[0] == want
