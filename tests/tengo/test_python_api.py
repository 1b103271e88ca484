"""The public Python API: persistence, repl, conversion, hooks, imports."""

from __future__ import annotations

import os

import pytest

from llmspell_kernel.engines.tengo import (
    TengoError,
    TengoErrorValue,
    TengoFunction,
    TengoRuntime,
    to_python,
    to_tengo,
)
from llmspell_kernel.errors import SpellError


def test_globals_persist_across_runs():
    out: list[str] = []
    rt = TengoRuntime(stdout=out.append)
    rt.run("x := 41\nf := func() { return x + 1 }")
    rt.run('fmt := import("fmt")\nfmt.println(f())')
    rt.run("x := 100")  # re-declaring a previous cell's global rebinds it
    rt.run("fmt.println(f(), x)")
    assert "".join(out) == "42\n101100\n"
    assert set(rt.global_names()) >= {"x", "f", "fmt"}
    assert rt.get_global("x") == 100


def test_repl_returns_last_expression():
    rt = TengoRuntime()
    assert rt.run("a := [1, 2]\na + [3]", repl=True) == [1, 2, 3]
    assert rt.run("a := 1", repl=True) is None
    assert rt.run("{k: 'c'}", repl=True) == {"k": "c"}
    assert rt.run("1 + 1") is None


def test_set_get_global_and_predeclared():
    rt = TengoRuntime(predeclared={"name": "bob", "nums": [1, 2], "cfg": {"a": 1.5}, "nothing": None})
    assert rt.run('name + string(len(nums)) + string(cfg.a) + string(is_undefined(nothing))', repl=True) == "bob21.5true"
    rt.set_global("n", 5)
    rt.run("n = n * 2")
    assert rt.get_global("n") == 10


def test_round_trips():
    vals = [None, True, 3, 2.5, "s", b"by", [1, [2]], {"a": {"b": [None]}}]
    for v in vals:
        assert to_python(to_tengo(v)) == v
    assert to_python(to_tengo((1, 2))) == [1, 2]
    ev = to_python(TengoRuntime().run('error("boom")', repl=True) and None)
    assert ev is None
    rt = TengoRuntime()
    e = rt.run('error("boom")', repl=True)
    assert isinstance(e, TengoErrorValue) and e.value == "boom"
    assert rt.run("'x'", repl=True) == "x"


def test_python_callables_and_spell_errors():
    def add(a, b):
        return a + b

    def fail(msg):
        raise SpellError(message="nope: " + msg)

    out: list[str] = []
    rt = TengoRuntime(predeclared={"add": add, "fail": fail}, stdout=out.append)
    rt.run('fmt := import("fmt")\nr := fail("x")\nfmt.println(add(2, 3), is_error(r), r.value, type_name(add))')
    assert "".join(out) == "5truenope: xuser-function:add\n"


def test_tengo_functions_callable_from_python():
    rt = TengoRuntime()
    rt.run("sq := func(x) { return x * x }\nbad := func(x) { return x + undefined }")
    sq = rt.get_global("sq")
    assert isinstance(sq, TengoFunction)
    assert sq(7) == 49
    with pytest.raises(TengoError) as ei:
        rt.get_global("bad")(1)
    assert ei.value.message == "invalid operation: int + undefined"


def test_opaque_objects_are_sandboxed():
    class Handle:
        __tengo_attrs__ = {"greet", "size"}  # noqa: RUF012
        size = 3
        secret = "no"

        def greet(self, who):
            return "hi " + who

    rt = TengoRuntime(predeclared={"h": Handle()})
    assert rt.run('h.greet("x") + string(h.size)', repl=True) == "hi x3"
    with pytest.raises(TengoError) as ei:
        rt.run("h.secret")
    assert ei.value.message.startswith("not indexable")
    with pytest.raises(TengoError):
        rt.run("h.__class__")


def test_budget_hook_stops_infinite_loop():
    class Stop(Exception):
        pass

    calls = []

    def hook():
        calls.append(1)
        if len(calls) > 3:
            raise Stop()

    rt = TengoRuntime(budget_hook=hook)
    with pytest.raises(Stop):
        rt.run("for {}")
    with pytest.raises(Stop):
        calls.clear()
        rt.run("f := func() { return f() + 0 }\nfor { g := func(n) { return n }; g(1) }")


def test_budget_hook_stops_recursion_without_loops():
    class Stop(Exception):
        pass

    def hook():
        raise Stop()

    rt = TengoRuntime(budget_hook=hook)
    with pytest.raises(Stop):
        rt.run("fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }\nfib(40)")


def test_max_allocs():
    rt = TengoRuntime(max_allocs=1000)
    with pytest.raises(TengoError) as ei:
        rt.run("a := []\nfor i := 0; i < 100000; i++ { a = append(a, i) }")
    assert ei.value.message == "object allocation limit exceeded"


def test_user_module_imports(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.tengo").write_text(
        'counter := 0\nhelper := import("./lib/helper")\nexport { double: func(x) { return helper.twice(x) }, n: 7 }\n')
    (tmp_path / "lib" / "helper.tengo").write_text('fmt := import("fmt")\nfmt.println("helper loaded")\nexport { twice: func(x) { return x * 2 } }\n')
    main = tmp_path / "main.tengo"
    main.write_text('fmt := import("fmt")\nu := import("./lib/util")\nu2 := import("./lib/util")\n'
                    'fmt.println(u.double(21), u.n, type_name(u), is_immutable_map(u))\n')
    out: list[str] = []
    rt = TengoRuntime(stdout=out.append, import_root=str(tmp_path))
    rt.run(main.read_text(), str(main))
    # the module body runs on each import, as the reference does
    assert "".join(out) == "helper loaded\nhelper loaded\n427immutable-maptrue\n"


def test_import_errors(tmp_path):
    (tmp_path / "a.tengo").write_text('b := import("./b")\nexport 1\n')
    (tmp_path / "b.tengo").write_text('a := import("./a")\nexport 2\n')
    (tmp_path / "bad.tengo").write_text("x := \n")
    main = tmp_path / "m.tengo"
    rt = TengoRuntime(import_root=str(tmp_path))
    with pytest.raises(TengoError) as ei:
        rt.run('a := import("./a")', str(main))
    assert ei.value.message.startswith("cyclic module import: ")
    with pytest.raises(TengoError) as ei:
        rt.run('x := import("./bad")', str(main))
    assert ei.value.tengo_format().startswith("Parse Error: expected operand, found 'EOF'\n\tat " + str(tmp_path / "bad.tengo") + ":1:7")
    with pytest.raises(TengoError) as ei:
        rt.run('x := import("../outside")', str(main))
    assert "not found" in ei.value.message


def test_os_module_needs_allow_os():
    rt = TengoRuntime(allow_os=True)
    assert rt.run('os := import("os")\nos.getenv("HOME")', repl=True) == os.environ.get("HOME", "")


def test_rand_seed_is_reproducible():
    src = 'rand := import("rand")\n[rand.intn(1000), rand.intn(1000), rand.float()]'
    assert TengoRuntime(seed=7).run(src, repl=True) == TengoRuntime(seed=7).run(src, repl=True)
