"""The Lua engine: values across the boundary, errors, sandbox, limits, modules, output."""

from __future__ import annotations

import os
import signal

import pytest
from support.guards import GUARD, guarded, when

from llmspell_kernel.engines import ScriptFunction, find_engine
from llmspell_kernel.errors import (
    ConversionError,
    InterruptedSpell,
    MemoryLimitError,
    SandboxError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    TimeLimitError,
)


def test_values_cross_as_plain_python(lua):
    assert lua("return 1 + 1") == 2
    assert lua("return 1.5") == 1.5
    assert lua("return 'ünïcode'") == "ünïcode"
    assert lua("return {1, 2, {a = true}}") == [1, 2, {"a": True}]
    assert lua("return nil") is None
    assert lua("return 1, 'two'") == [1, "two"]
    assert isinstance(lua("return math.maxinteger"), int)


def test_last_line_expression_is_the_cell_value(lua):
    assert lua("x = 40\nx + 2") == 42
    assert lua("local t = {}\nfor i = 1, 3 do t[i] = i * i end\nt") == [1, 4, 9]
    assert lua("y = 1") is None


def test_globals_persist_between_chunks(lua):
    lua("counter = 10")
    assert lua("counter = counter + 1\nreturn counter") == 11


@pytest.mark.parametrize("code, message", [
    ("return {1, a = 2}", "both a list and a map"),
    ("local t = {}\nt[1] = 1\nt[3] = 3\nreturn t", "not 1..n"),
    ("return {[true] = 1}", "non-string keys"),
    ("local t = {}\nt.self = t\nreturn t", "cycle"),
])
def test_values_that_cannot_cross_give_clear_errors(lua, code, message):
    with pytest.raises(ConversionError, match=message):
        lua(code)


def test_a_lua_function_crosses_as_a_callable(lua):
    fn = lua("return function(a, b) return a * b end")
    assert isinstance(fn, ScriptFunction)
    assert fn(6, 7) == 42


def test_runtime_error_names_engine_chunk_line_and_source(lua):
    with pytest.raises(ScriptRuntimeError) as info:
        lua("local x = 1\nlocal y = nil\nreturn y.field", chunk="cell[4]")
    err = info.value
    assert (err.engine, err.chunk, err.line) == ("lua", "cell[4]", 3)
    assert "attempt to index a nil value" in err.message
    assert err.source_line == "return y.field"
    assert "lua cell[4]:3" in str(err)


def test_stack_frames_come_from_the_script(lua):
    with pytest.raises(ScriptRuntimeError) as info:
        lua("local function inner() error('deep') end\nlocal function outer() inner() end\nouter()", chunk="c")
    lines = [f.line for f in info.value.frames]
    assert 1 in lines and 2 in lines and 3 in lines


def test_syntax_error(lua):
    with pytest.raises(ScriptSyntaxError) as info:
        lua("for i = 1, 3 do\nprint(i)", chunk="cell[1]")
    assert info.value.line is not None and "'end' expected" in info.value.message


def test_session_keeps_working_after_an_error(lua):
    lua("kept = 'yes'")
    with pytest.raises(ScriptRuntimeError):
        lua("error('boom')")
    assert lua("return kept") == "yes"


@pytest.mark.parametrize("code", [
    "os.execute('ls')", "os.exit(1)", "os.getenv('HOME')", "os.remove('x')", "io.open('/etc/passwd')",
    "dofile('/etc/passwd')", "loadfile('/etc/passwd')", "load('return 1')", "debug.getinfo(1)",
    "string.dump(print)", "python.eval('1')", "collectgarbage('stop')",
])
def test_sandbox_removes_dangerous_globals(lua, code):
    with pytest.raises((SandboxError, ScriptRuntimeError)):
        lua(code)


def test_os_error_says_it_is_not_available_in_the_sandbox(lua):
    with pytest.raises(SandboxError, match=r"os\.execute is not available in the sandbox"):
        lua("os.execute('ls')")
    assert isinstance(lua("return os.time()"), int)


def test_python_attributes_are_unreachable_through_handles(lua):
    with pytest.raises(ScriptRuntimeError):
        lua("local a = Agent.create({}); local f = getmetatable(a).__index; return f.__globals__")
    assert lua("return getmetatable(Agent.create({}))") == "AgentHandle"


def test_time_limit_stops_a_loop_even_inside_pcall(lua):
    with guarded(), pytest.raises(TimeLimitError):
        lua("while true do pcall(function() while true do end end) end", timeout=0.3)
    assert lua("return 'alive'") == "alive"


def test_time_limit_applies_inside_coroutines(lua):
    with pytest.raises(TimeLimitError):
        lua("local co = coroutine.wrap(function() while true do end end)\nco()", timeout=0.3)


def test_memory_limit_stops_a_huge_allocation_and_state_survives(lua):
    lua("State.set('before', 1)")
    with pytest.raises(MemoryLimitError, match="memory limit") as stopped:
        lua("local s = string.rep('x', 2^30)")
    assert stopped.value.chunk == "test"  # Lua gives no position for it: the cell is still named
    assert lua("return State.get('before')") == 1


def test_interrupt_from_sigint_stops_the_chunk(lua):
    lua("State.set('k', 7)")
    state = lua.session.state
    when(lambda: state.get("looping"), lambda: os.kill(os.getpid(), signal.SIGINT), "the loop")
    with pytest.raises(InterruptedSpell):
        lua("State.set('looping', true) while true do end")
    assert lua("return State.get('k')") == 7


def test_interrupt_method_from_another_thread(lua):
    engine, state = lua.session.engine("lua"), lua.session.state
    when(lambda: state.get("looping"), engine.interrupt, "the loop")
    with pytest.raises(InterruptedSpell):
        lua("State.set('looping', true) while true do end")


def test_print_goes_to_stdout_as_it_runs(lua, capsys):
    lua("print('a', 1, nil, true)")
    assert capsys.readouterr().out == "a\t1\tnil\ttrue\n"


def test_output_flood_is_truncated(lua, capsys):
    lua.session.engine("lua").output.limit = 1000
    lua("for i = 1, 1000 do print(string.rep('x', 50)) end")
    out = capsys.readouterr().out
    assert "output truncated" in out and len(out) < 1300


def test_require_loads_modules_under_the_root_only(lua, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "greet.lua").write_text("local M = {}\nfunction M.hi(n) return 'hi ' .. n end\nreturn M\n")
    (tmp_path / "lib" / "uses.lua").write_text("local g = require('greet')\nreturn g.hi('from lib')\n")
    assert lua("local g = require('lib.greet')\nreturn g.hi('Ada')") == "hi Ada"
    # resolved relative to the importing file
    assert lua("return require('lib.uses')") == "hi from lib"
    with pytest.raises(Exception, match="not found"):
        lua("require('nope')")
    with pytest.raises(SandboxError):
        lua("require('..secret')")


def test_engine_lookup_by_name_extension_and_shebang():
    assert find_engine(name="lua") == "lua"
    assert find_engine(path="x.lua") == "lua"
    assert find_engine(code="#!/usr/bin/env lua\nprint(1)") == "lua"
    assert find_engine(code="#!/usr/bin/lua5.4\nprint(1)") == "lua"


def test_script_function_called_from_another_thread_runs_while_engine_waits(lua):
    # a Lua tool called from a worker thread while the Lua chunk waits on it: no deadlock
    lua("Tool.register({name = 'double', fn = function(args) return args.n * 2 end})")
    session = lua.session
    lua("function start() return Agent end")  # the engine is idle here
    future = session.submit(session.tools.call, "double", {"n": 21})
    assert future.result(timeout=GUARD) == 42
    value = lua("""
      local a = Agent.create({name = 'bg', model = 'mock/script', tools = {'double'},
                              responses = {{tool = 'double', args = {n = 5}}, 'done'}})
      local f = a:run_async('go')
      return Async.await(f)
    """)
    assert value == "done"
    assert [e.data["result"] for e in session.events.list(type="tool.result")][-1] == 10
