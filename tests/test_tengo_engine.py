"""The Tengo engine: values across the boundary, error values, errors, sandbox, limits, modules, output."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from support.examples import prepare
from support.guards import GUARD, guarded, when

from llmspell_kernel.api import ALIASES, HANDLES, NAMESPACES, alias_functions
from llmspell_kernel.engines import ScriptFunction, engine_class, find_engine
from llmspell_kernel.engines.tengo import TengoErrorValue
from llmspell_kernel.errors import (
    ApiError,
    ConversionError,
    InterruptedSpell,
    MemoryLimitError,
    SandboxError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    TimeLimitError,
)


def test_values_cross_as_plain_python(tengo):
    assert tengo("1 + 1") == 2
    assert tengo("1.5") == 1.5
    assert tengo('"ünïcode"') == "ünïcode"
    assert tengo('[1, 2, {a: true}, undefined]') == [1, 2, {"a": True}, None]
    assert tengo("undefined") is None
    assert tengo("'x'") == "x"  # a char crosses as a one-character string
    assert tengo('bytes("hi")') == b"hi"
    assert tengo("immutable({a: [1]})") == {"a": [1]}
    when = tengo('times := import("times")\ntimes.date(2024, 1, 2, 3, 4, 5, 0)')
    assert isinstance(when, dt.datetime) and (when.year, when.month, when.day, when.hour) == (2024, 1, 2, 3)


def test_python_values_cross_into_tengo(tengo):
    engine = tengo.session.engine("tengo")
    engine.set_global("given", {"list": [1, (2, 3)], "b": b"\x00", "none": None, "f": 0.5})
    assert tengo('[type_name(given.list), type_name(given.b), is_undefined(given.none), given.f * 2]') == [
        "array", "bytes", True, 1.0]
    engine.set_global("when", dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc))
    assert tengo("when") == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    with pytest.raises(ConversionError, match="64-bit"):
        engine.set_global("big", 2**70)
    with pytest.raises(ConversionError, match="int key"):
        engine.set_global("keyed", {1: "x"})
    with pytest.raises(ConversionError, match="set cannot cross"):
        engine.set_global("s", {1, 2})


def test_a_string_that_is_not_utf8_cannot_cross(tengo):
    """Tengo keeps invalid UTF-8 as surrogate escapes: it must not reach the store, nor fail as an internal error."""
    with pytest.raises(ConversionError, match="not valid UTF-8"):
        tengo('State.set("k", "ok \\xff")')
    with pytest.raises(ConversionError, match="not valid UTF-8"):
        tengo('State.set("k", {"\\xfe": 1})')
    with pytest.raises(ConversionError, match="not valid UTF-8"):
        tengo('"\\xff"')
    assert tengo.session.state.keys() == []
    assert tengo('Artifact.store("raw.bin", bytes("\\xff"))\nArtifact.get("raw.bin")') == b"\xff"
    assert tengo('State.set("k", "é ✓")\nState.get("k")') == "é ✓"


def test_last_expression_is_the_cell_value_and_globals_persist(tengo):
    assert tengo("x := 40\nx + 2") == 42
    assert tengo("y := 1") is None
    assert tengo("x = x + 1\nx") == 41
    assert "x" in tengo.session.engine("tengo").global_names()


def test_a_cyclic_value_cannot_cross(tengo):
    with pytest.raises(ConversionError, match="cycle"):
        tengo("m := {}\nm.self = m\nm")


def test_a_tengo_function_crosses_as_a_callable(tengo):
    fn = tengo("func(a, b) { return a * b }")
    assert isinstance(fn, ScriptFunction)
    assert fn(6, 7) == 42
    # like Lua and JavaScript callbacks: extra arguments are dropped, missing ones are undefined
    assert fn(6, 7, 8) == 42
    assert tengo("func(a, b) { return is_undefined(b) }")(1) is True
    assert tengo("func(...xs) { return len(xs) }")(1, 2, 3) == 3


def test_a_python_callable_crosses_back_as_itself(tengo):
    def shout(text):
        return text.upper()

    engine = tengo.session.engine("tengo")
    engine.set_global("shout", shout)
    assert tengo('shout("hi")') == "HI"
    assert tengo("shout") is shout
    assert tengo("type_name(shout)") == "user-function:shout"
    assert tengo("r := shout()\n[is_error(r), r.value]") == [True, "shout: missing a required argument: 'text'"]


def test_api_failures_are_error_values_and_the_script_goes_on(tengo):
    value = tengo('r := Agent.get("nope")\n[is_error(r), r.value, "went on"]')
    assert value == [True, "no agent named 'nope'; agents: none", "went on"]
    assert tengo('r2 := State.get()\nis_error(r2) ? string(r2) : "no error"').startswith(
        'error: "State.get(key, default?)')


def test_an_error_value_leaving_tengo_raises_with_its_class(tengo):
    with pytest.raises(ApiError, match="no agent named") as info:
        tengo('r := Agent.get("nope")\nr', chunk="cell[2]")
    assert (info.value.engine, info.value.chunk) == ("tengo", "cell[2]")
    with pytest.raises(ScriptRuntimeError) as info:
        tengo('error("boom")')
    assert info.value.message == "boom"
    fails = tengo('func(x) { return error("bad " + x) }')
    with pytest.raises(ScriptRuntimeError, match="bad input"):
        fails("input")
    # inside data an error value stays a value
    [inner] = tengo('[Agent.get("nope")]')
    assert isinstance(inner, TengoErrorValue) and "no agent" in inner.value
    assert isinstance(inner.error, ApiError)


def test_a_tool_returning_an_error_value_fails_like_a_raising_tool(tengo):
    tengo('Tool.register({name: "picky", fn: func(args) { return error("picky refuses") }})')
    assert tengo('r := Tool.call("picky", {})\nis_error(r) ? r.value : "?"').endswith("picky refuses")
    errors = tengo.session.events.list(type="tool.error")
    assert errors and "picky refuses" in errors[-1].data["error"]


def test_runtime_error_names_engine_chunk_line_column_and_source(tengo):
    with pytest.raises(ScriptRuntimeError) as info:
        tengo("a := 1\nb := 0\nc := a / b", chunk="cell[4]")
    err = info.value
    assert (err.engine, err.chunk, err.line, err.column) == ("tengo", "cell[4]", 3, 6)
    assert err.message == "integer divide by zero"
    assert err.source_line == "c := a / b"
    assert "tengo cell[4]:3:6" in str(err)


def test_an_api_failure_names_the_line_of_the_call(tengo, tmp_path):
    """As Lua reports `lua cell:2:`, an API error value names where the script made the call."""
    with pytest.raises(ApiError) as info:
        tengo('x := 1\nr := Agent.get("nope")\ny := 2\nr', chunk="cell[1]")
    err = info.value
    assert (err.engine, err.chunk, err.line, err.column) == ("tengo", "cell[1]", 2, 6)
    assert err.source_line == 'r := Agent.get("nope")' and "tengo cell[1]:2:6: ApiError" in str(err)
    tengo('lookup := func(name) {\n  return Agent.get(name)\n}', chunk="cell[2]")
    with pytest.raises(ApiError) as info:  # a function from another cell: the call inside it, then its caller
        tengo('\nlookup("nope")', chunk="cell[3]")
    assert [(f.chunk, f.line) for f in info.value.frames] == [("cell[2]", 2), ("cell[3]", 2)]
    assert (info.value.chunk, info.value.line) == ("cell[2]", 2)
    with pytest.raises(ApiError, match=r"State\.get\(key") as info:  # a usage error, and a fast path's full call
        tengo("\n\nState.get()")
    assert info.value.line == 3
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.tengo").write_text('export func(tool) {\n  return tool.call("nope", {})\n}\n')
    with pytest.raises(ApiError, match="unknown tool") as info:  # a module shows relative to the root
        tengo('m := import("lib/m")\nm(Tool)')
    assert (info.value.chunk, info.value.line) == ("lib/m.tengo", 2)
    # an error value inside data keeps where it was made; one made for Python's call has no script line
    [inner] = tengo('\n[Agent.get("nope")]')
    assert inner.error.line == 2
    from_python = ApiError("from Python")
    assert tengo.session.engine("tengo").bridge.error_value(from_python).value == "from Python"
    assert (from_python.chunk, from_python.line) == (None, None)


def test_stack_frames_come_from_the_script(tengo):
    with pytest.raises(ScriptRuntimeError) as info:
        tengo("inner := func() { return [] + 1 }\nouter := func() { return inner() }\nouter()", chunk="c")
    assert [f.line for f in info.value.frames] == [1, 2, 3]
    assert info.value.message == "invalid operation: array + int"


def test_syntax_and_compile_errors(tengo):
    with pytest.raises(ScriptSyntaxError) as info:
        tengo("for {\nx := 1", chunk="cell[1]")
    assert info.value.line == 2 and info.value.chunk == "cell[1]"
    with pytest.raises(ScriptSyntaxError, match="unresolved reference 'nowhere'"):
        tengo("nowhere = 1")


def test_recursion_in_a_callback_is_a_clean_stack_overflow(tengo):
    # not a tail call: a self tail call runs as a loop, as the reference VM reuses its frame
    deep = tengo("f := undefined\nf = func(n) { return 1 + f(n + 1) }\nf")
    with pytest.raises(ScriptRuntimeError, match="stack overflow"):
        deep(0)
    assert tengo('"alive"') == "alive"


def test_session_keeps_working_after_an_error(tengo):
    tengo('kept := "yes"')
    with pytest.raises(ScriptRuntimeError):
        tengo("1 / 0")
    assert tengo("kept") == "yes"


def test_os_is_refused_unless_the_sandbox_allows_it(tengo):
    with pytest.raises(SandboxError, match=r"module 'os' is not available in the sandbox.*allow_os"):
        tengo('os := import("os")')
    tengo.session.sandbox.allow_os = True
    assert tengo('os := import("os")\nos.getenv("HOME")') == os.environ.get("HOME", "")


def test_handles_show_only_their_api(tengo):
    tengo('a := Agent.create({name: "opaque"})')
    assert tengo("type_name(a)") == "opaque:AgentHandle"
    assert tengo("[a.name, a.model]") == ["opaque", "mock/echo"]  # properties read as fields
    for attribute in ("__class__", "_h_obj", "__dict__"):
        with pytest.raises(ScriptRuntimeError, match="not indexable"):
            tengo(f'a["{attribute}"]')
    with pytest.raises(ScriptRuntimeError, match="not indexable"):
        tengo("a.__class__")


def test_the_whole_api_table_is_bound(tengo):
    """Every namespace, alias and handle type of the table, with no Tengo-specific list of names."""
    for ns in NAMESPACES:
        for fn in ns.functions().values():
            for name in (fn.name, *fn.aliases):
                target = name if not ns.api_name else f"{ns.api_name}.{name}"
                assert tengo(f"type_name({target})") == f"user-function:{fn.qualname}"
    for alias in ALIASES:
        assert sorted(tengo(f"keys := []\nfor k, _ in {alias.name} {{ keys = append(keys, k) }}\nkeys")) == \
            sorted(alias_functions(alias))
    engine = tengo.session.engine("tengo")
    for handle in HANDLES:
        cls = engine.bridge.handle_class(tengo.session.api.handles[handle.wraps])
        assert cls.__name__ == handle.api_name and cls.__tengo_attrs__ == set(handle.functions())


TENGO_NEEDS = {
    "Agent.get": 'Agent.create({name: "writer"})',
    "Agent.remove": 'Agent.create({name: "writer"})',
    "Workflow.resume": 'Workflow.sequential({steps: [{tool: "uuid", args: {}}]})'
                       '.run(undefined, {checkpoint: true, run_id: "run-1a2b3c4d5e6f"})',
}


@pytest.mark.parametrize("fn", [f for t in [*NAMESPACES, *HANDLES] for f in t.functions().values()
                                if f.example is not None], ids=lambda f: f.qualname)
def test_every_api_example_runs_in_tengo(session, fn, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "Ada")  # the user answers Spell.input
    from llmspell_kernel.api.reference import FUTURE, TENGO, example

    receivers = {
        "agent": 'Agent.create({name: "assistant"})',
        "tool": 'Tool.register({name: "echo", description: "Echo the arguments", '
                'params: {type: "object", properties: {text: {type: "string"}}}, fn: func(args) { return args }})',
        "state": 'State.new({topic: "tides", draft: "..."})',
        "future": 'Agent.create({name: "helper"}).run_async("ready")',
        "workflow": 'Workflow.sequential({name: "pipeline", steps: [func(x) { return x }]})',
        "timeline": 'Event.timeline()',
    }
    setup = ['fs.write("notes/today.md", "# Today")', 'fs.write("notes/old.md", "old")',
             'State.set("user", {name: "Ada"})', 'State.set("draft", "...")', 'Artifact.store("report.md", "# Tides")']
    setup.append(TENGO_NEEDS.get(fn.qualname, ""))
    receiver, *args = fn.example
    if receiver in receivers:
        setup.append(f"{receiver} := {receivers[receiver]}")
    if FUTURE in repr(args) and receiver != "future":
        setup.append(f"future := {receivers['future']}")
    prepare(session, fn)
    session.run("\n".join([*setup, example(fn, TENGO)]), "tengo")  # an error value as the value raises


def test_time_limit_stops_a_loop(tengo):
    with guarded(), pytest.raises(TimeLimitError) as stopped:
        tengo("x := 0\nfor {\n  x++\n}", timeout=0.3)
    assert (stopped.value.chunk, stopped.value.line) == ("test", 2)  # where the loop was stopped
    assert tengo('"alive"') == "alive"


def test_time_limit_is_not_swallowed_as_an_error_value(tengo):
    # the loop runs in a tool that the script calls through the API: the stop still ends the chunk
    tengo('Tool.register({name: "spin", fn: func(args) { for {} }})')
    with pytest.raises(TimeLimitError):
        tengo('r := Tool.call("spin", {})\n"should not get here"', timeout=0.3)


def test_memory_limit_stops_growth_and_state_survives(tengo):
    tengo('State.set("before", 1)')
    tengo.session.sandbox.limits.max_memory = 64 * 1024 * 1024
    with pytest.raises(MemoryLimitError, match="memory limit"):
        tengo('f := func() { m := {}; i := 0; for { m[string(i)] = "0123456789012345678901234567890123456789" + '
              'string(i); i++ } }\nf()')
    assert tengo('State.get("before")') == 1


def test_memory_a_blocking_api_call_allocates_is_not_the_scripts(tengo):
    kept = []

    def hog(args):  # a Python tool that keeps 96 MB, as a provider's first import might
        kept.append(b"x" * (96 * 1024 * 1024))
        return "done"

    tengo.session.tools.register("hog", hog, "allocates", None)
    tengo.session.sandbox.limits.max_memory = 64 * 1024 * 1024
    assert tengo('r := Tool.call("hog", {})\nfor i := 0; i < 100000; i++ {}\nr') == "done"
    assert len(kept) == 1


def test_interrupt_from_sigint_stops_the_chunk(tengo):
    tengo('State.set("k", 7)')
    state = tengo.session.state
    when(lambda: state.get("looping"), lambda: os.kill(os.getpid(), signal.SIGINT), "the loop")
    with pytest.raises(InterruptedSpell):
        tengo('State.set("looping", true)\nfor {}')
    assert tengo('State.get("k")') == 7


def test_interrupt_method_from_another_thread(tengo):
    engine, state = tengo.session.engine("tengo"), tengo.session.state
    when(lambda: state.get("looping"), engine.interrupt, "the loop")
    with pytest.raises(InterruptedSpell):
        tengo('f := func() { State.set("looping", true); for {} }\nf()')


def test_fmt_goes_to_stdout_as_it_runs(tengo, capsys):
    tengo('fmt := import("fmt")\nfmt.println("a", 1, undefined, true)\nfmt.printf("%d-%s\\n", 2, "b")')
    assert capsys.readouterr().out == "a1true\n2-b\n"  # as Tengo prints: operands joined, undefined empty


def test_output_flood_is_truncated(tengo, capsys):
    tengo.session.engine("tengo").output.limit = 1000
    tengo('fmt := import("fmt")\nfor i := 0; i < 1000; i++ { fmt.println("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") }')
    out = capsys.readouterr().out
    assert "output truncated" in out and len(out) < 1300


def test_import_loads_modules_under_the_root_only(tengo, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "greet.tengo").write_text('export {hi: func(n) { return "hi " + n }}\n')
    (tmp_path / "lib" / "uses.tengo").write_text('g := import("lib/greet")\nexport g.hi("from lib")\n')
    assert tengo('g := import("lib/greet")\ng.hi("Ada")') == "hi Ada"
    # a nested import resolves against the same root, as the reference CLI's (docs/tengo.md)
    assert tengo('import("lib/uses")') == "hi from lib"
    assert tengo('j := import("json")\nj.encode([1])') == b"[1]"  # the stdlib beside the API's json
    with pytest.raises(ScriptSyntaxError, match="module 'nope' not found at"):  # the reference's text
        tengo('import("nope")')
    with pytest.raises(ScriptSyntaxError, match="not found"):
        tengo('import("../secret")')
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.tengo").write_text('export "secret"\n')
    (tmp_path / "escape").symlink_to(outside)
    with pytest.raises(ScriptSyntaxError, match="not found"):
        tengo('import("escape/secret")')


def test_a_file_runs_with_imports_beside_it_and_errors_relative_to_the_root(session, tmp_path):
    (tmp_path / "spells").mkdir()
    (tmp_path / "spells" / "helper.tengo").write_text("export func(x) { return x * 2 }\n")
    (tmp_path / "spells" / "main.tengo").write_text('#!/usr/bin/env tengo\nh := import("./helper")\nh(21)\n')
    assert session.run_file(tmp_path / "spells" / "main.tengo") == 42
    (tmp_path / "spells" / "bad.tengo").write_text("x := 1\ny := x + []\n")
    with pytest.raises(ScriptRuntimeError) as info:
        session.run_file(tmp_path / "spells" / "bad.tengo")
    assert (info.value.chunk, info.value.line) == ("spells/bad.tengo", 2)


def test_engine_lookup_by_name_extension_and_shebang():
    assert find_engine(name="tengo") == "tengo"
    assert find_engine(path="x.tengo") == "tengo"
    assert find_engine(code="#!/usr/bin/env tengo\nx := 1") == "tengo"
    cls = engine_class("tengo")
    assert cls.language_info["codemirror_mode"] == "go" and cls.language_info["pygments_lexer"] == "go"


def test_script_function_called_from_another_thread_runs_while_engine_waits(tengo):
    tengo('Tool.register({name: "double", fn: func(args) { return args.n * 2 }})')
    session = tengo.session
    future = session.submit(session.tools.call, "double", {"n": 21})
    assert future.result(timeout=GUARD) == 42
    value = tengo("""
      a := Agent.create({name: "bg", model: "mock/script", tools: ["double"],
                         responses: [{tool: "double", args: {n: 5}}, "done"]})
      f := a.run_async("go")
      Async.await(f)
    """)
    assert value == "done"
    assert [e.data["result"] for e in session.events.list(type="tool.result")][-1] == 10


def test_parallel_workflow_of_tengo_steps(tengo):
    result = tengo("""
      wf := Workflow.parallel({steps: [func(x) { return x * 2 }, func(x) { return x * 3 },
                                       {step: func(x) { return error("no") }, name: "b", on_error: "skip"}]})
      wf.run(5)
    """)
    assert result["status"] == "completed" and result["output"] == [10, 15, 5]
    assert [s["status"] for s in result["steps"]] == ["completed", "completed", "skipped"]


def test_functions_and_handles_cross_between_engines(session):
    session.run("Tool.register({name = 'lua_upper', fn = function(args) return string.upper(args.text) end})", "lua")
    session.run('Tool.register({name: "tengo_len", fn: func(args) { return len(args.text) }})', "tengo")
    assert session.run('Tool.call("lua_upper", {text: "from tengo"})', "tengo") == "FROM TENGO"
    assert session.run("return Tool.call('tengo_len', {text = 'four'})", "lua") == 4
    session.run("shared = Agent.create({name = 'shared'})", "lua")
    assert session.run('a := Agent.get("shared")\na.run("both")', "tengo") == "both"
    # a Lua function handed to Tengo, and back
    lua_fn = session.run("return function(x) return x + 1 end", "lua")
    session.engine("tengo").set_global("inc", lua_fn)
    assert session.run("inc(41)", "tengo") == 42
    assert session.run("inc", "tengo") is lua_fn


def test_a_backtracking_regexp_stops_at_the_time_limit(tengo):
    # RE2, which real Tengo uses, never backtracks; ours must at least stop where the script's time runs out
    with guarded(), pytest.raises(TimeLimitError):  # unstopped, the match would take longer than the universe
        tengo('text := import("text")\ntext.re_match("^(a|aa)+$", "' + "a" * 60 + '!")', timeout=0.5)
    assert tengo('"alive"') == "alive"


def test_without_a_time_limit_a_regexp_stops_at_its_cap(tengo, monkeypatch):
    from llmspell_kernel.engines.tengo.stdlib import text_mod

    monkeypatch.setattr(text_mod, "REGEX_CAP", 0.2)
    with pytest.raises(ScriptRuntimeError, match=r"the regular expression ran longer than 0.2 s"):
        tengo('re := import("text").re_compile("^(a|aa)+$")\nre.match("' + "a" * 60 + '!")')
