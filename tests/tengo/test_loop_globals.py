"""A top-level loop that calls no user code keeps the globals it assigns in Python locals while it runs
(compiler.localize_globals). However the loop ends (normally, `break`, a runtime error, the host's hook
stopping it), the globals must then hold what they would hold without that: each case runs with the
fast path on and off and compares."""

from __future__ import annotations

import pytest

from llmspell_kernel.engines.tengo import TengoError, TengoRuntime, compiler, runtime


def _without(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(runtime, "_CACHE", {})
    mp.setattr(compiler.CodeGen, "localize_globals", lambda self, n, out: out)


def _globals_after(src: str, names: list[str], **kw: object) -> tuple[list, str]:
    rt = TengoRuntime(**kw)  # type: ignore[arg-type]
    failure = ""
    try:
        rt.run(src)
    except TengoError as e:
        failure = e.tengo_format().splitlines()[0]
    except RuntimeError as e:  # the host hook's own exception
        failure = str(e)
    return [rt.get_global(n) for n in names], failure


def both(src: str, names: list[str], **kw: object) -> tuple[list, str]:
    fast = _globals_after(src, names, **kw)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp)
        assert _globals_after(src, names, **kw) == fast
    return fast


def test_the_loop_takes_the_fast_path():
    code = TengoRuntime().dump_python("s := 0\nfor i := 0; i < 3; i++ { s += i }")
    assert "lg_s = g_s" in code and "finally" in code


def test_globals_after_a_normal_end_and_a_break():
    src = ("s := 0\nn := 0\nfor i := 0; i < 100; i++ { s += i; n++ }\n"
           "for { s -= 1; if s < 4900 { break } }\nfor x in [1, 2, 3] { n += x }")
    assert both(src, ["s", "n"]) == ([4899, 106], "")


def test_globals_after_a_runtime_error_in_the_loop():
    src = "s := 0\nfor i := 0; i < 10; i++ { s += 1; if i == 5 { s = s / (i - 5) } }"
    values, failure = both(src, ["s"])
    assert values == [6] and failure.startswith("Runtime Error")


def test_globals_after_the_hook_stops_the_loop():
    calls = 0

    def hook() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("stopped")

    def stopped_at(src: str) -> tuple[list, str]:
        nonlocal calls
        calls = 0
        return _globals_after(src, ["s"], budget_hook=hook)
    src = "s := 0\nfor { s += 1 }"
    fast = stopped_at(src)
    with pytest.MonkeyPatch.context() as mp:
        _without(mp)
        assert stopped_at(src) == fast
    assert fast[1] == "stopped" and fast[0][0] > 0


@pytest.mark.parametrize("src", [
    "s := 0\nf := func() { return s }\nfor i := 0; i < 3; i++ { s += f() + 1 }",  # a call: no fast path
    "s := 0\nfor i := 0; i < 3; i++ { s += 1; g := func() { return s } }",  # a function literal: none
])
def test_loops_that_may_run_other_code_keep_the_globals(src):
    assert "lg_s" not in TengoRuntime().dump_python(src)
    assert both(src, ["s"])[1] == ""
