"""One store, several engines: handles, functions, values and events cross between them.

JavaScript joins these tests when its engine lands (issue 4); each cross-engine case is
written so that adding a third engine is one more cell.
"""

from __future__ import annotations

import pytest

from llmspell_kernel.errors import ConversionError


def test_an_agent_made_in_lua_runs_from_tengo(session):
    session.run("Agent.create({name = 'shared', system = 'polyglot'})", "lua")
    assert session.run('Agent.get("shared").run("from tengo")', "tengo") == "from tengo"
    assert session.run("return Agent.get('shared'):info().usage.calls", "lua") == 1


def test_a_tengo_tool_is_called_by_an_agent_made_in_lua(session):
    session.run("""
        Tool.register({name: "tengo_double", description: "double",
                       params: {type: "object", properties: {n: {type: "integer"}}, required: ["n"]},
                       fn: func(args) { return args.n * 2 }})
    """, "tengo")
    answer = session.run("""
        local a = Agent.create({model = 'mock/script', tools = {'tengo_double'},
                                responses = {{tool = 'tengo_double', args = {n = 21}}, 'done'}})
        return a:run('double 21')
    """, "lua")
    assert answer == "done"
    [result] = session.events.list(type="tool.result")
    assert result.data == {"name": "tengo_double", "result": 42}
    assert result.engine == "lua"  # the agent's run, which called the tool, came from a Lua chunk


def test_a_tengo_handler_sees_events_that_lua_emits_in_one_causal_chain(session):
    session.run('seen := []\nEvent.on("ping", func(e) { seen = append(seen, e.data.n); Event.emit("pong", {}) })',
                "tengo")
    session.run("Event.emit('ping', {n = 7})", "lua")
    assert session.run("seen", "tengo") == [7]
    ping = session.events.list(type="ping")[0]
    pong = session.events.list(type="pong")[0]
    assert ping.engine == "lua" and pong.engine == "tengo"
    assert pong.parent_id == ping.id  # emitted inside the handler of ping


def test_one_workflow_with_steps_from_lua_tengo_an_agent_and_python(session):
    session.run("function lua_step(x) return x .. ' lua' end", "lua")
    session.run('tengo_step := func(x) { return x + " tengo" }', "tengo")
    session.run("Agent.create({name = 'relay'})", "lua")
    lua_step = session.run("return lua_step", "lua")
    tengo_step = session.run("tengo_step", "tengo")
    workflow = session.workflows.build("sequential", {
        "name": "polyglot", "steps": [lua_step, tengo_step, "relay", lambda x: x + " python"]})
    result = workflow.run("start")
    assert result["status"] == "completed"
    assert result["output"] == "start lua tengo python"
    # the same workflow, run from a Tengo chunk, on a handle made in Python
    session.engine("tengo").set_global("wf", workflow)
    assert session.run('wf.run("again").output', "tengo") == "again lua tengo python"
    engines = [e.engine for e in session.events.list(type="step.complete")]
    assert engines[-4:] == ["tengo"] * 4  # the steps ran for the Tengo chunk that started the run


def test_a_parallel_workflow_calls_functions_of_two_engines_from_worker_threads(session):
    session.run("function lua_branch(x) return x + 1 end", "lua")
    session.run("tengo_branch := func(x) { return x * 10 }", "tengo")
    tengo_branch = session.run("tengo_branch", "tengo")
    session.engine("lua").set_global("tengo_branch", tengo_branch)
    result = session.run("return Workflow.parallel({steps = {lua_branch, tengo_branch}}):run(5)", "lua")
    assert result["output"] == [6, 50]


def test_a_state_value_made_in_one_engine_is_read_in_another(session):
    session.run("shared_state = State.new({topic = 'tides', n = 1}):set('n', 2)", "lua")
    value = session.run("return shared_state", "lua")
    session.engine("tengo").set_global("s", value)
    assert session.run('[s.get("topic"), s.get("n"), s.version(), s.parent().get("n")]', "tengo") == ["tides", 2, 1, 1]
    session.run('State.set("from_tengo", {list: [1, 2.5, "ü"], nested: {ok: true}})', "tengo")
    assert session.run("return State.get('from_tengo')", "lua") == {"list": [1, 2.5, "ü"], "nested": {"ok": True}}


def test_values_cross_unchanged_or_fail_clearly(session):
    value = {"i": 2**62, "f": 0.1, "s": "naïve ✓", "l": [1, [2, {"k": "v"}]], "b": b"\x00\x01", "none": None}
    for engine, read in (("lua", "return v"), ("tengo", "v")):
        session.engine(engine).set_global("v", value)
        back = session.run(read, engine)
        expected = {k: v for k, v in value.items() if v is not None}  # a map holds no nil in Lua
        if engine == "tengo":
            expected["none"] = None
        else:  # Lua has one string type: bytes come back as text when they are valid UTF-8
            expected["b"] = "\x00\x01"
        assert back == expected, engine
    session.engine("lua").set_global("v", None)
    assert session.run("return v == nil", "lua") is True
    assert session.run("is_undefined(v)", "tengo") is False  # v is still the map set above
    with pytest.raises(ConversionError, match="64-bit"):
        session.engine("lua").set_global("big", 2**64)
    with pytest.raises(ConversionError):
        session.engine("tengo").set_global("big", 2**64)
    with pytest.raises(ConversionError, match="both a list and a map"):
        session.run("local t = {1, 2, x = 3}\nreturn t", "lua")
    with pytest.raises(ConversionError):
        session.run("local t = {}\nt.self = t\nreturn t", "lua")
