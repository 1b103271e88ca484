"""Compile-time and runtime errors: exact texts and positions."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("src,msg,pos", [
    ("a := b", "unresolved reference 'b'", (1, 6)),
    ("a := 1\na := 2", "'a' redeclared in this block", (2, 1)),
    ("break", "break not allowed outside loop", (1, 1)),
    ("if true { continue }", "continue not allowed outside loop", (1, 11)),
    ("return 1", "return not allowed outside function", (1, 1)),
    ("a := 1\nb := 2\na, b = 1, 2", "tuple assignment not allowed", (3, 1)),
    ("a := {}\na.b := 1", "operator ':=' not allowed with selector", (2, 1)),
    ("f := func() { export 1 }", "export not allowed inside function", (1, 15)),
    ("x = 1", "unresolved reference 'x'", (1, 1)),
    ('import("nosuch")', "module file path error: module 'nosuch' not found at: ", None),
    ('import("os")', "module 'os' is not available in the sandbox", (1, 1)),
])
def test_compile_errors(run, src, msg, pos):
    e = run.err(src)
    assert e.message.startswith(msg)
    assert e.tengo_format().startswith("Compile Error: " + msg)
    if pos:
        assert (e.line, e.column) == pos


@pytest.mark.parametrize("src,msg,pos", [
    ('a := 1 + "x"', "invalid operation: int + string", (1, 6)),
    ('a := 1 < "x"', "invalid operation: int < string", (1, 6)),
    ("a := true + 1", "invalid operation: bool + int", (1, 6)),
    ("a := [1] - [2]", "invalid operation: array - array", (1, 6)),
    ("a := 1\nb := a / 0", "integer divide by zero", (2, 6)),
    ("a := 5 % 0", "integer divide by zero", (1, 6)),
    ('a := -"s"', "invalid operation: -string", (1, 7)),
    ("a := ^1.5", "invalid operation: ^float", (1, 7)),
    ("a := 1\na()", "not callable: int", (2, 1)),
    ("f := func(a, b) {}\nf(1)", "wrong number of arguments: want=2, got=1", (2, 1)),
    ("f := func(a) {}\nf(1, 2, 3)", "wrong number of arguments: want=1, got=3", (2, 1)),
    ("f := func(a, ...b) {}\nf()", "wrong number of arguments: want>=1, got=0", (2, 1)),
    ("a := [1]\na[5] = 1", "index out of bounds", (2, 1)),
    ('a := [1]\nb := a["x"]', "invalid index type: string", (2, 8)),
    ("a := 5\nb := a[0]", "not indexable: int", (2, 8)),
    ('a := "s"\na[0] = 1', "not index-assignable: string", (2, 1)),
    ("a := [1]\nb := a[\"x\":]", "invalid slice index type: string", (2, 6)),
    ("a := [1, 2]\nb := a[2:1]", "invalid slice index: 2 > 1", (2, 10)),
    ("for x in 5 {}", "not iterable: int", (1, 10)),
    ("f := func(...a) {}\nx := 1\nf(x...)", "not an array: int", (3, 1)),
    ("a := len(1, 2)", "wrong number of arguments in call to 'builtin-function:len'", (1, 6)),
    ("a := range(1, 2.0)",
     "invalid type for argument 'stop' in call to 'builtin-function:range': expected int, found float", (1, 6)),
    ("a := range(1, 5, 0)", "range step must be greater than 0", (1, 6)),
    ('a := error("x")\nb := a.foo', "invalid index on error", (2, 8)),
])
def test_runtime_errors(run, src, msg, pos):
    e = run.err(src)
    assert e.message == msg
    assert (e.line, e.column) == pos
    assert e.tengo_format().startswith(f"Runtime Error: {msg}\n\tat test.tengo:{pos[0]}:{pos[1]}")


def test_runtime_error_stack_frames(run):
    src = 'f := func(a) {\n  return a + "x"\n}\ng := func() {\n  return f(1)\n}\ng()\n'
    e = run.err(src)
    assert e.tengo_format() == ("Runtime Error: invalid operation: int + string\n"
                                "\tat test.tengo:2:10\n\tat test.tengo:5:10\n\tat test.tengo:7:1")
    assert [(f.line, f.column) for f in e.frames] == [(2, 10), (5, 10), (7, 1)]
    assert e.source_line == '  return a + "x"'


def test_runtime_error_is_script_runtime_error(run):
    from llmspell_kernel.errors import ScriptRuntimeError, SpellError

    e = run.err("a := 1 + undefined")
    assert isinstance(e, ScriptRuntimeError) and isinstance(e, SpellError)
    assert e.engine == "tengo" and e.chunk == "test.tengo"


def test_stack_overflow(run):
    e = run.err("f := func(n) { return f(n + 1) + 1 }\nf(0)")
    assert e.message == "stack overflow"
    assert e.tengo_format().startswith("Runtime Error: stack overflow\n\tat test.tengo:1:23")
    assert e.frames[-1].line == 2


def test_deep_but_legal_recursion(run):
    assert run('fmt := import("fmt")\nf := func(n) { if n == 0 { return 0 }; return 1 + f(n - 1) }\nfmt.println(f(900))') == "900\n"


@pytest.mark.parametrize("src,msg", [("x := 1(2)", "not callable: int"), ("v := 1.5[0]", "not indexable: int")])
def test_code_python_would_warn_about_fails_at_run_time_without_a_python_warning(run, src, msg):
    # regression: CPython's SyntaxWarning on the generated code ("perhaps you missed a comma?") reached stderr
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        e = run.err(src)
    assert e.message == msg
