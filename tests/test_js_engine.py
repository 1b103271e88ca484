"""The JavaScript engine: cells, await, promises, values, errors, limits and interrupts."""

from __future__ import annotations

import pytest
from support.examples import prepare
from support.fake_openai import FakeOpenAI, Reply
from support.guards import guarded, when

from llmspell_kernel.api import HANDLES, NAMESPACES
from llmspell_kernel.api.reference import FUTURE, JAVASCRIPT, example
from llmspell_kernel.engines import ScriptFunction, find_engine
from llmspell_kernel.engines.javascript_source import as_async_body
from llmspell_kernel.errors import (
    ApiError,
    ConversionError,
    InterruptedSpell,
    LimitError,
    MemoryLimitError,
    SandboxError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    TimeLimitError,
)
from llmspell_kernel.runtime.session import Session


def test_the_engine_is_found_by_name_extension_and_shebang():
    assert find_engine(name="javascript") == "js" and find_engine(name="node") == "js"
    assert find_engine(path="spell.mjs") == "js"
    assert find_engine(code="#!/usr/bin/env node\nconsole.log(1)") == "js"


def test_globals_persist_and_the_last_expression_is_the_value(js):
    assert js("let x = 40\nconst y = 2\nx + y") == 42
    js("function double(n) { return n * 2 }\nclass Box { constructor(v) { this.v = v } }\nvar z = 1")
    assert js("double(x) + new Box(y).v + z") == 83
    assert js("const y = 5\ny") == 5  # a later cell may declare the same name again, as in a REPL
    assert js("let nothing = 1") is None
    assert js("if (x) { 'block' }") is None


def test_top_level_await_and_api_calls_return_promises(js):
    assert js("Spell.engine") == "js"
    assert js("const p = State.set('k', 1)\np instanceof Promise") is True
    assert js("await State.get('k')") == 1
    assert js("const a = new Agent({name: 'seed'})\nconst st = new State({data: '...'})\n"
              "const out = await a.run(st)\nawait out.get('output')") == '{"data": "..."}'
    assert js("State.get('k')") == 1  # a cell whose value is a Promise shows what it settles to


def test_multi_word_functions_have_camel_case_aliases(js):
    assert js("const s = new State({a: 1})\nconst m = [await s.toMap(), await s.to_map()]\nm") == [{"a": 1}, {"a": 1}]
    assert js("typeof (new Agent({})).runAsync") == "function"


def test_promise_all_overlaps_model_calls(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fake")
    with FakeOpenAI() as server, Session(offline=False, model=None, root=str(tmp_path)) as session:
        server.push(Reply.text("warm"), Reply.delayed(0.4, Reply.text("one")), Reply.delayed(0.4, Reply.text("two")))
        session.run(f"const opts = {{model: 'openai/fake-model', api_base: '{server.url}'}}\n"
                    "await LLM.complete('warm up: the provider is imported on first use', opts)", "js")
        code = ("const a = new Agent({...opts, name: 'a'}), b = new Agent({...opts, name: 'b'})\n"
                "await Promise.all([a.run('x'), b.run('y')])")
        assert sorted(session.run(code, "js")) == ["one", "two"]
        assert server.calls == 3
        assert server.peak_in_flight == 2, "the two calls under Promise.all did not overlap"


def test_timers_and_sleep_run_on_the_engine_loop(js):
    order = js("const order = []\nsetTimeout(() => order.push('late'), 30)\nsetTimeout(() => order.push('early'), 5)\n"
               "await Spell.sleep(60)\norder")
    assert order == ["early", "late"]
    assert js("const seen = []\nconst id = setTimeout(() => seen.push('x'), 5)\nclearTimeout(id)\n"
              "await new Promise(r => setTimeout(r, 20))\nseen") == []


def test_console_goes_to_stdout_and_stderr(js, capsys):
    js("console.log('hi', {a: 1}, [1, 2], undefined)\nconsole.error('oops')\ndisplay({ok: true})")
    out, err = capsys.readouterr()
    assert out.startswith('hi {"a":1} [1,2] undefined\n') and '"ok": true' in out
    assert err == "oops\n"


def test_js_functions_are_callable_from_python_lua_and_tengo(js):
    js("await Tool.register({name: 'shout', fn: async (args) => { await Spell.sleep(1); return args.text.toUpperCase() }})")
    assert js.session.run("return Tool.call('shout', {text = 'lua'})", "lua") == "LUA"
    assert js.session.run('Tool.call("shout", {text: "tengo"})', "tengo") == "TENGO"
    add = js("(a, b) => a + b")
    assert isinstance(add, ScriptFunction) and add(2, 3) == 5


def test_js_steps_run_on_other_threads_while_the_cell_waits(js):
    value = js("const wf = await Workflow.parallel({steps: [async (x) => { await Spell.sleep(50); return x + 1 }, "
               "(x) => x * 2]})\nconst r = await wf.run(5)\n;[r.status, r.output]")
    assert value == ["completed", [6, 10]]


def test_handles_and_values_cross_both_ways(js):
    assert js("({n: 1, f: 1.5, s: 'ü', b: true, nil: null, list: [1, [2]]})") == {
        "n": 1, "f": 1.5, "s": "ü", "b": True, "nil": None, "list": [1, [2]]}
    agent = js("new Agent({name: 'h'})")
    assert agent is js.session.agents.get("h")
    js.engine.set_global("given", {"items": [1, 2], "agent": agent})
    assert js("given.agent === await Agent.get('h') && given.items.length === 2") is True
    assert js("new Uint8Array([1, 2, 255])") == b"\x01\x02\xff"
    with pytest.raises(ConversionError):
        js("const cyc = {}\ncyc.self = cyc\ncyc")


def test_errors_carry_the_js_message_line_and_stack(js):
    with pytest.raises(ScriptRuntimeError) as info:
        js("let ok = 1\nfunction f() {\n  throw new TypeError('bad thing')\n}\nf()", chunk="cell[3]")
    error = info.value
    assert error.message == "TypeError: bad thing" and error.chunk == "cell[3]" and error.line == 3
    assert error.source_line.strip() == "throw new TypeError('bad thing')"
    assert [(f.function, f.line) for f in error.frames] == [("f", 3), ("<anonymous>", 5)]
    with pytest.raises(ScriptSyntaxError) as info:
        js("let fine = 1\nlet = = 2", chunk="cell[4]")
    assert info.value.line == 2 and info.value.chunk == "cell[4]"
    with pytest.raises(ApiError, match="no agent named 'nope'") as info:
        js("const x = 1\nawait Agent.get('nope')")
    assert info.value.line == 2
    assert js("let caught\ntry { await Agent.get('nope') } catch (e) { caught = e.name }\ncaught") == "ApiError"


def test_an_unhandled_rejection_is_reported(js):
    with pytest.raises(ScriptRuntimeError, match="unhandled promise rejection: Error: nobody catches me"):
        js("Promise.reject(new Error('nobody catches me'))\n1")
    with pytest.raises(ScriptRuntimeError, match=r"unhandled promise rejection: ApiError: State.get\(key"):
        js("State.get()\n2")
    assert js("const handled = Promise.reject(new Error('x'))\nlet r\ntry { await handled } catch (e) { r = 'caught' }\nr") \
        == "caught"


def test_a_failing_future_awaited_through_async_is_not_an_unhandled_rejection(js):
    code = ("const failing = (new Agent({model: 'mock/script', responses: []})).runAsync('x')\n"
            "let r\ntry { await Async.CALL } catch (e) { r = e.name }\nr")
    assert js(code.replace("CALL", "await(failing)")) == "LLMError"
    assert js(code.replace("CALL", "all([failing, 1])")) == "LLMError"
    with pytest.raises(ScriptRuntimeError, match="unhandled promise rejection: LLMError: mock/script"):
        js("(new Agent({model: 'mock/script', responses: []})).runAsync('never awaited')\nawait Spell.sleep(1)\n1")


def test_a_loop_is_stopped_by_the_time_limit_and_the_context_survives(js):
    js("let kept = 'yes'")
    with guarded(), pytest.raises(TimeLimitError):
        js("let i = 0\nwhile (true) { i++ }", timeout=0.3)
    assert js("kept + (i > 0)") == "yestrue"
    with pytest.raises(TimeLimitError):
        js("await Spell.sleep(5)\nwhile (true) {}", timeout=0.3)  # a loop after an await, in a job
    with pytest.raises(TimeLimitError):
        js("try { while (true) {} } catch (e) { 'swallowed' }", timeout=0.2)  # the stop cannot be caught


def test_interrupt_stops_a_loop_and_a_wait(js):
    js("let survivor = 42")
    state = js.session.state
    when(lambda: state.get("looping"), js.engine.interrupt, "the loop")
    with pytest.raises(InterruptedSpell):
        js("await State.set('looping', true)\nwhile (true) {}")
    when(lambda: state.get("sleeping"), js.engine.interrupt, "the sleep")
    with guarded(), pytest.raises(InterruptedSpell):  # the sleep is ten times the guard
        js("await State.set('sleeping', true)\nawait Spell.sleep(600000)")
    assert js("survivor") == 42


def test_deep_recursion_and_allocation_are_limited(tmp_path):
    with Session(offline=True, root=str(tmp_path), max_memory_mb=64) as session:
        run = lambda code: session.run(code, "js")  # noqa: E731
        run("let alive = 'still here'")
        with pytest.raises(LimitError, match="stack overflow"):
            run("function down(n) { return down(n + 1) + 1 }\ndown(0)")
        with pytest.raises(MemoryLimitError, match="memory limit"):
            run("const hog = []\nwhile (true) hog.push(new Array(100000).fill(1))")
        assert run("function ok(n) { return n === 0 ? 0 : ok(n - 1) + 1 }\nok(500)") == 500
        assert run("alive") == "still here"


def test_an_awaited_promise_that_never_settles_fails_clearly(js):
    with pytest.raises(ScriptRuntimeError, match="nothing will ever settle"):
        js("await new Promise(() => {})")


def test_an_integer_a_js_number_cannot_hold_exactly_is_refused(js):
    # it was rounded in silence (2**70 + 1 arrived as 1.1805916207174113e+21); Lua and Tengo refuse past 64 bits
    js.session.state.set("big", 2**70 + 1)
    js.session.state.set("edge", 2**53 - 1)
    with pytest.raises(ConversionError, match=r"1180591620717411303425 does not fit JavaScript's safe integers"):
        js("await State.get('big')")
    assert js("await State.get('edge')") == 2**53 - 1
    # a JS number past 2**53 is a double: it crosses as a float, so it can come back
    assert js("await State.set('n', 2**60)\nconst n = await State.get('n')\nn === 2**60") is True
    assert js.session.state.get("n") == 2**60 and js("12345678901234567890n") == 12345678901234567890


def test_a_string_with_a_lone_surrogate_is_refused_like_invalid_utf8(js):
    # it surfaced as an InternalError (UnicodeEncodeError) from deep inside the call
    with pytest.raises(ConversionError, match="lone surrogate is not valid UTF-8"):
        js("await Artifact.store('raw.bin', '\\ud800')")
    assert js("await State.set('ok', '😀 \\\\ud800')\nawait State.get('ok')") == "😀 \\ud800"  # a pair, an escape


def test_a_js_step_run_by_an_async_workflow_acts_as_the_workflow(js):
    # the step is posted to the engine's thread; it ran there as the cell, not as the workflow
    js("await (await Workflow.sequential({name: 'wf', steps: [async (x) => { await State.set('out', x); return x }]}))"
       ".run('v')")
    [change] = js.session.state.history("out")
    assert change.author == {"engine": "js", "chunk": "test", "workflow": "wf"}


def test_the_cell_rewrite_keeps_lines():
    source = "const a = 1\nlet {b, c} = {b: 2, c: 3}, d\nfunction f() {}\nclass K {}\na + b"
    body = as_async_body(source, "run")
    assert body.count("\n") == source.count("\n") + 2  # a header line and the closing line, nothing else
    assert "return (a + b);" in body and "globalThis.f = f;" in body and "K = class K {};" in body


def test_polyfills_for_newer_library_methods(js):
    assert js("[[1, 2, 3].at(-1), 'abc'.at(0), Object.hasOwn({q: 1}, 'q')]") == [3, "a", True]


def test_import_and_require_load_user_modules_beside_the_importer(js, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helpers.js").write_text("exports.twice = (n) => n * 2\n")
    (tmp_path / "lib" / "math.js").write_text(
        'import {twice} from "./helpers.js"\nexport const answer = twice(21)\n'
        "export function add(a, b) { return a + b }\nexport default class Calc { mul(a, b) { return a * b } }\n")
    (tmp_path / "lib" / "inc.cjs").write_text(
        'const {add} = require("./math.js")\nmodule.exports = function inc(n) { return add(n, 1) }\n')
    (tmp_path / "lib" / "broken.js").write_text("export const ok = 1\nlet = = 2\n")
    assert js('import Calc, {answer, add as plus} from "./lib/math.js"\nimport * as all from "./lib/math.js"\n'
              'const inc = require("./lib/inc.cjs")\n'
              ";[answer, plus(1, 2), new Calc().mul(3, 4), inc(41), Object.keys(all).sort()]") == [
        42, 3, 12, 42, ["add", "answer", "default"]]
    (tmp_path / "lib" / "main.js").write_text('const {answer} = require("./math.js")\nanswer + 1\n')
    assert js.session.run_file(tmp_path / "lib" / "main.js") == 43  # a file's require starts beside it
    with pytest.raises(SandboxError):
        js('require("../outside.js")')
    with pytest.raises(ApiError, match="no host modules"):
        js('require("fs")')
    with pytest.raises(ScriptSyntaxError) as info:
        js('require("./lib/broken.js")')
    assert info.value.chunk == "lib/broken.js" and info.value.line == 2


def test_globals_can_be_read_and_completeness_is_judged_by_brackets(js):
    js("const settings = {depth: 2}")
    assert js.engine.global_value("settings") == {"depth": 2}
    with pytest.raises(KeyError):
        js.engine.global_value("missing")
    assert js.engine.is_complete("const a = {") == "incomplete"
    assert js.engine.is_complete("const t = `open") == "incomplete"
    assert js.engine.is_complete("f(1))") == "invalid"
    assert js.engine.is_complete("function f() {\n  return 1\n}") == "complete"


# Every example of the API table, in its JavaScript form (as docs/api.md shows it), runs in a real session.
JS_WORLD = """
await fs.write("notes/today.md", "# Today")
await fs.write("notes/old.md", "old")
await State.set("user", {name: "Ada"})
await State.set("draft", "...")
await Artifact.store("report.md", "# Tides")
"""
JS_RECEIVERS = {
    "agent": 'new Agent({name: "assistant"})',
    "tool": 'await Tool.register({name: "echo", description: "Echo the arguments", '
            'params: {type: "object", properties: {text: {type: "string"}}}, fn: (args) => args})',
    "state": 'new State({topic: "tides", draft: "..."})',
    "future": '(new Agent({name: "helper"})).runAsync("ready")',
    "workflow": 'await Workflow.sequential({name: "pipeline", steps: [(x) => x]})',
    "timeline": "await Event.timeline()",
}
JS_NEEDS = {"Agent.get": 'new Agent({name: "writer"})', "Agent.remove": 'new Agent({name: "writer"})',
            "Workflow.resume": 'await (await Workflow.sequential({steps: [{tool: "uuid", args: {}}]}))'
                               '.run(null, {checkpoint: true, run_id: "run-1a2b3c4d5e6f"})'}
EXAMPLES = [f for t in [*NAMESPACES, *HANDLES] for f in t.functions().values() if f.example is not None]


def _names_future(value) -> bool:
    if isinstance(value, dict):
        return any(_names_future(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_names_future(v) for v in value)
    return value == FUTURE


@pytest.mark.parametrize("fn", EXAMPLES, ids=lambda f: f.qualname)
def test_js_example_runs(session, fn, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "Ada")  # the user answers Spell.input
    receiver, *args = fn.example
    setup = [JS_WORLD, JS_NEEDS.get(fn.qualname, "")]
    if receiver not in {ns.api_name for ns in NAMESPACES}:
        assert receiver in JS_RECEIVERS, f"add the handle variable {receiver!r} to JS_RECEIVERS"
        setup.append(f"const {receiver} = {JS_RECEIVERS[receiver]}")
    if _names_future(args) and receiver != "future":
        setup.append(f"const future = {JS_RECEIVERS['future']}")
    prepare(session, fn)
    session.run("\n".join([*setup, example(fn, JAVASCRIPT)]), "js")
