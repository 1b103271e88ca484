"""Work that a spell controls is bounded by its limits, on any input (issue 16).

Each case once ran without end, or past its limits, or failed as an InternalError: a value that holds the
same table many times crossing to Python, a compile of a huge chunk, a Tengo builtin asked for a gigabyte,
two engines' tools calling each other, and Python's recursion limit. Now each ends with the SpellError of
its limit, and the session goes on with its state. A 60 s guard is only an outer bound (the machine may be
busy); nothing asserts how fast a limit fires.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_limits import ALIVE, survives  # the same session checks as the other limits

from llmspell_kernel.errors import (
    ApiError,
    InterruptedSpell,
    LimitError,
    MemoryLimitError,
    ScriptSyntaxError,
    SpellError,
    TimeLimitError,
)
from llmspell_kernel.runtime.session import Session

GUARD = 60.0
ENGINES = ["lua", "js", "tengo"]


def limited(tmp_path: Path, megabytes: int):
    session = Session(offline=True, root=str(tmp_path), max_memory_mb=megabytes)
    session.state.set("kept", "before")
    return session


@pytest.fixture
def small(tmp_path):
    """A session with a 64 MB memory limit and one state value that must survive every case."""
    with limited(tmp_path, 64) as session:
        yield session


@pytest.fixture
def tiny(tmp_path):
    """16 MB: a conversion reaches it sooner."""
    with limited(tmp_path, 16) as session:
        yield session


def fails(session: Session, engine: str, code: str, expected: type[SpellError] | tuple, **options) -> SpellError:
    began = time.monotonic()
    with pytest.raises(SpellError) as info:
        session.run(code, engine, **options)
    assert time.monotonic() - began < GUARD, f"{engine} took {time.monotonic() - began:.1f} s to stop"
    assert isinstance(info.value, expected), f"{engine}: {type(info.value).__name__}: {info.value}"
    return info.value


# 1. converting a script value to Python ----------------------------------------------------------
SHARED = {  # one table, held twice at each of 60 levels: 2^60 items once copied
    "lua": "local t = {1}\nfor i = 1, 60 do t = {t, t} end\n",
    "js": "let t = [1]\nfor (let i = 0; i < 60; i++) t = [t, t]\n",
    "tengo": "t := [1]\nfor i := 0; i < 60; i++ { t = [t, t] }\n",
}
CROSSINGS = {  # every way a value leaves a script for Python
    "result": {"lua": "return t", "js": "t", "tengo": "t"},
    "state": {"lua": "State.set('x', t)", "js": "await State.set('x', t)", "tengo": 'State.set("x", t)'},
    "event": {"lua": "Event.emit('big', t)", "js": "await Event.emit('big', t)", "tengo": 'Event.emit("big", t)'},
    "tool": {"lua": "Tool.call('uuid', t)", "js": "await Tool.call('uuid', t)", "tengo": 'Tool.call("uuid", t)'},
    "display": {"lua": "display(t)", "js": "display(t)", "tengo": "display(t)"},
}


@pytest.mark.parametrize("path", list(CROSSINGS))
@pytest.mark.parametrize("engine", ["lua", "tengo"])
def test_a_value_that_shares_a_table_stops_at_the_memory_limit(tiny, engine, path):
    """No time limit: the conversion's own count of what it makes ends it (it once grew without end)."""
    error = fails(tiny, engine, SHARED[engine] + CROSSINGS[path][engine], MemoryLimitError)
    assert "cannot cross" in error.message
    assert tiny.state.get("x") is None
    survives(tiny, engine)


@pytest.mark.parametrize("path", list(CROSSINGS))
def test_a_javascript_value_whose_json_would_outgrow_the_limit_in_python_is_refused(tiny, path):
    """2^20 leaves: a few MB of JSON, which QuickJS makes within 16 MB, but 150 MB of Python lists (it crossed)."""
    code = "let t = [1]\nfor (let i = 0; i < 20; i++) t = [t, t]\n" + CROSSINGS[path]["js"]
    error = fails(tiny, "js", code, MemoryLimitError)
    assert "cannot cross" in error.message
    assert tiny.state.get("x") is None
    survives(tiny, "js")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_that_shares_a_table_stops_at_the_time_limit(tmp_path, engine):
    """With no memory limit, the conversion checks the time limit as it goes (JS: in its JSON replacer)."""
    with limited(tmp_path, 0) as session:
        fails(session, engine, SHARED[engine] + CROSSINGS["result"][engine], TimeLimitError, timeout=1)
        survives(session, engine)


@pytest.mark.parametrize("engine", ["lua", "tengo"])
def test_a_string_held_many_times_is_charged_each_time(small, engine):
    """A list of 2,000 references to one 1 MB string is 2 GB once copied (lupa decodes each one)."""
    code = {
        "lua": "local s = string.rep('a', 1000000)\nlocal t = {}\nfor i = 1, 2000 do t[i] = s end\nreturn t",
        "tengo": 'text := import("text")\ns := text.repeat("a", 1000000)\nt := []\n'
                 "for i := 0; i < 2000; i++ { t = append(t, s) }\nt",
    }[engine]
    fails(small, engine, code, MemoryLimitError)
    survives(small, engine)


def test_a_large_value_that_fits_still_crosses(small):
    """The count is of what a conversion makes, so ordinary data is unaffected: 100,000 items cross."""
    assert len(small.run("local t = {}\nfor i = 1, 100000 do t[i] = {i} end\nreturn t", "lua")) == 100_000
    assert len(small.run("t := []\nfor i := 0; i < 100000; i++ { t = append(t, [i]) }\nt", "tengo")) == 100_000


# 2. compiling ---------------------------------------------------------------------------------------
# straight-line code: once compiled it runs without a budget check, so only a check during the compile
# can stop it (without one, the chunk compiled for many seconds and then returned its value)
LONG_CHUNK = {"js": "let x = 0;\n" + "x = 1;\n" * 300_000 + "x", "tengo": "x := 0\n" + "x = 1\n" * 200_000 + "x"}


@pytest.mark.parametrize("engine", ["js", "tengo"])
def test_a_compile_stops_at_the_time_limit(small, engine):
    error = fails(small, engine, LONG_CHUNK[engine], TimeLimitError, timeout=0.5)
    assert error.engine == engine
    survives(small, engine)
    from llmspell_kernel.engines.compile_guard import _watchdog

    assert not _watchdog._watched  # every compile, stopped or not, is let go


@pytest.mark.parametrize("how", ["interrupt", "sigint"])
@pytest.mark.parametrize("engine", ["js", "tengo"])
def test_the_interrupt_stops_a_compile(small, engine, how):
    """`interrupt()` from another thread, and SIGINT (the kernel's stop button) on the main thread."""
    runner = small.engine(engine)
    small.run(ALIVE[engine], engine)

    def stop() -> None:
        if how == "interrupt":
            runner.interrupt()
        elif runner._depth:  # only into the running chunk: anywhere else SIGINT would end the test run
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    stopper = threading.Timer(0.5, stop)
    stopper.start()
    try:
        fails(small, engine, LONG_CHUNK[engine], InterruptedSpell)
    finally:
        stopper.cancel()
    survives(small, engine)


# 3. what Tengo's builtins and stdlib functions make ---------------------------------------------------
TENGO_BIG = {  # each asks for about 1 GB under a 64 MB limit
    "pad_left": 'text := import("text")\ntext.pad_left("x", 1000000000, " ")',
    "pad_right": 'text := import("text")\ntext.pad_right("x", 1000000000, " ")',
    "repeat": 'text := import("text")\ntext.repeat("ab", 500000000)',
    "replace": 'text := import("text")\ntext.replace(text.repeat("a", 1000000), "a", text.repeat("b", 1000), -1)',
    "join": 'text := import("text")\ns := text.repeat("a", 1000000)\na := []\n'
            'for i := 0; i < 1000; i++ { a = append(a, s) }\ntext.join(a, ",")',
    "sprintf_width": 'fmt := import("fmt")\nfmt.sprintf("%1000000000d", 5)',
    "sprintf_star": 'fmt := import("fmt")\nfmt.sprintf("%*d", 1000000000, 5)',
    "format_precision": 'format("%.1000000000f", 1.5)',
    "format_float": 'text := import("text")\ntext.format_float(1.5, \'f\', 1000000000, 64)',
    "range": "range(0, 200000000)",
    # results under the per-call size, made by a loop faster than its budget ticks: 100 x 10 MB
    "results_in_a_loop": 'text := import("text")\ns := text.repeat("a", 100000)\nb := text.repeat("b", 100)\n'
                         'out := []\nfor i := 0; i < 100; i++ { out = append(out, text.replace(s, "a", b, -1)) }',
}


@pytest.mark.parametrize("case", list(TENGO_BIG))
def test_tengo_functions_results_count_against_the_memory_limit(small, case):
    error = fails(small, "tengo", TENGO_BIG[case] + "\n0", MemoryLimitError)
    assert error.line is not None  # located at the call
    survives(small, "tengo")


TENGO_WALKS = {  # a walk of a value that holds one array twice at each of 60 levels
    "string": "string(t)",
    "copy": "copy(t)",
    "json": 'json := import("json")\njson.encode(t)',
    "sprintf": 'fmt := import("fmt")\nfmt.sprintf("%v", t)',
}


@pytest.mark.parametrize("case", list(TENGO_WALKS))
def test_tengo_walks_of_shared_values_stop_at_the_time_limit(small, case):
    fails(small, "tengo", SHARED["tengo"] + TENGO_WALKS[case] + "\n0", (TimeLimitError, MemoryLimitError), timeout=1)
    survives(small, "tengo")


# 4. calls between engines ----------------------------------------------------------------------------
def _ping_pong(session: Session, depth: int) -> None:
    """A Lua tool and a JS tool that call each other, `depth` times."""
    session.run("await Tool.register({name: 'pong', description: 'p', fn: async (x) => "
                f"x.n >= {depth} ? x.n : await Tool.call('ping', {{n: x.n + 1}})}})", "js")
    session.run("Tool.register({name = 'ping', description = 'p', fn = function(x) "
                "return Tool.call('pong', {n = x.n + 1}) end})", "lua")


@pytest.mark.parametrize("timeout", [None, 30])
def test_tools_of_two_engines_that_call_each_other_run(small, timeout):
    """68 levels once exhausted the session's 32 worker threads and hung: a call that finds every worker
    busy now runs on the caller's thread. (Much deeper, Python's recursion limit ends it: the next test.)"""
    _ping_pong(small, 68)
    began = time.monotonic()
    assert small.run("return Tool.call('ping', {n = 0})", "lua", timeout=timeout) == 69
    assert time.monotonic() - began < GUARD
    survives(small, "lua")
    survives(small, "js")


def test_tools_of_two_engines_that_recurse_without_end_stop_at_a_limit(small):
    _ping_pong(small, 10**9)
    error = fails(small, "lua", "return Tool.call('ping', {n = 0})", LimitError, timeout=30)
    assert "stack overflow" in error.message or isinstance(error, TimeLimitError)
    survives(small, "lua")
    survives(small, "js")


SPIN = {
    "lua": ("Tool.register({name = 'spin', description = 's', fn = function(x) while true do end end})",
            "await Tool.call('spin', {})", "js"),
    "js": ("await Tool.register({name: 'spin', description: 's', fn: (x) => { while (true) {} }})",
           'Tool.call("spin", {})', "tengo"),
    "tengo": ('Tool.register({name: "spin", description: "s", fn: func(x) { for {} }})',
              "return Tool.call('spin', {})", "lua"),
}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_tool_of_another_engine_stops_at_the_callers_time_limit(small, engine):
    """The calling engine cannot check its limit while it waits for the call, so the callee keeps it."""
    register, call, caller = SPIN[engine]
    small.run(register, engine)
    fails(small, caller, call, TimeLimitError, timeout=1)
    survives(small, engine)
    survives(small, caller)


# 5. Python's recursion limit ------------------------------------------------------------------------
RECURSIVE_TOOL = {
    "lua": "Tool.register({name = 'rec', description = 'r', fn = function(x) return Tool.call('rec', {}) end})\n"
           "return Tool.call('rec', {})",
    "js": "await Tool.register({name: 'rec', description: 'r', fn: async (x) => await Tool.call('rec', {})})\n"
          "await Tool.call('rec', {})",
}


@pytest.mark.parametrize("engine", list(RECURSIVE_TOOL))
def test_a_self_recursive_tool_is_a_limit_error(small, engine):
    error = fails(small, engine, RECURSIVE_TOOL[engine], LimitError)
    assert "stack overflow" in error.message
    survives(small, engine)


def test_a_tengo_self_recursive_tool_is_a_stack_overflow(small):
    """Tengo reports its own stack overflow (its failures are values, so the error comes back as one)."""
    code = 'Tool.register({name: "rec", description: "r", fn: func(x) { return Tool.call("rec", {}) }})\n' \
           'Tool.call("rec", {})'
    error = fails(small, "tengo", code, SpellError)
    assert "stack overflow" in error.message
    survives(small, "tengo")


UPDATE_INSIDE_UPDATE = {
    "lua": "local function f(v) State.update('k', f) return 1 end\nreturn State.update('k', f)",
    "js": "async function f(v) { await State.update('k', f); return 1 }\nawait State.update('k', f)",
    "tengo": 'r := State.update("k", func(v) { return State.set("k", 2) })\nr',
}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_write_inside_its_own_update_is_refused(small, engine):
    """It once recursed to Python's limit (an InternalError) or retried forever."""
    error = fails(small, engine, UPDATE_INSIDE_UPDATE[engine], ApiError)
    assert "inside the function of its own State.update" in error.message
    assert small.state.get("k") is None
    survives(small, engine)


def test_deeply_nested_tengo_source_is_a_syntax_error(small):
    fails(small, "tengo", "x := " + "[" * 100_000 + "]" * 100_000, ScriptSyntaxError)
    survives(small, "tengo")


def _llmspell(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = shutil.which("llmspell")
    prefix = [command] if command else [sys.executable, "-m", "llmspell_kernel"]
    return subprocess.run([*prefix, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("name", "source", "kind"), [
    ("rec.lua", RECURSIVE_TOOL["lua"], "LimitError: stack overflow"),
    ("rec.js", RECURSIVE_TOOL["js"], "LimitError: stack overflow"),
    ("nested.tengo", "x := " + "[" * 100_000 + "]" * 100_000, "SyntaxError: the source is nested too deeply"),
], ids=["lua", "js", "tengo"])
def test_the_cli_reports_python_recursion_as_a_limit_with_exit_3(tmp_path, name, source, kind):
    (tmp_path / name).write_text(source, encoding="utf-8")
    result = _llmspell("run", name, "--offline", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert kind in result.stderr
    assert "InternalError" not in result.stderr and "Traceback" not in result.stderr


def test_a_parallel_workflow_runs_when_every_worker_is_busy(small):
    """With the pool full, branches run on the chunk's own thread; one waiting for its turn
    (max_concurrency) still serves the branch that calls back into the chunk's engine."""
    release = threading.Event()
    busy = [small.submit(release.wait) for _ in range(31)]  # the first branch takes the last worker
    try:
        code = ("local wf = Workflow.parallel({steps = {function(x) return x + 1 end, function(x) return x + 2 end}, "
                "max_concurrency = 1})\nreturn wf:run(1).output")
        began = time.monotonic()
        assert small.run(code, "lua", timeout=30) == [2, 3]
        assert time.monotonic() - began < GUARD
    finally:
        release.set()
    assert all(f.result(timeout=GUARD) for f in busy)
    survives(small, "lua")


@pytest.mark.parametrize("recursion_limit", [None, 100_000])
def test_a_lua_stack_overflow_is_a_limit_error_whichever_stack_runs_out_first(small, recursion_limit):
    """Deep Lua recursion overflows Lua's stack; a Lua tool calling itself overflows Python's or, with a raised
    recursion limit (hypothesis raises it), Lua's C stack. Each is the same limit, whichever comes first."""
    before = sys.getrecursionlimit()
    if recursion_limit:
        sys.setrecursionlimit(recursion_limit)
    try:
        for code in ("local function down(n) return down(n + 1) + 1 end\nreturn down(0)", RECURSIVE_TOOL["lua"]):
            error = fails(small, "lua", code, LimitError)
            assert "stack overflow" in error.message
    finally:
        sys.setrecursionlimit(before)
    survives(small, "lua")


def test_python_s_recursion_limit_is_a_limit_error_whatever_wraps_it():
    """Where the recursion limit strikes is wherever the deepest frame is: inside a Rust extension (rpds under
    jsonschema) it comes out as pyo3's PanicException, or a library raises its own error from it."""
    from llmspell_kernel.errors import InternalError, unexpected

    class PanicException(BaseException):  # pyo3_runtime's, by name: it cannot be imported on its own
        pass

    panic = PanicException("__eq__ failed!: PyErr { type: <unprintable type object>, "
                           "value: <unprintable RecursionError object>, traceback: None }")
    assert isinstance(unexpected(panic, engine="lua"), LimitError)
    try:
        try:
            raise RecursionError("maximum recursion depth exceeded")
        except RecursionError as exc:
            raise ValueError("a library's own error") from exc
    except ValueError as wrapped:
        assert isinstance(unexpected(wrapped), LimitError)
    assert isinstance(unexpected(ValueError("ours")), InternalError)
