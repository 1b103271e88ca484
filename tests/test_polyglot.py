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


# JavaScript joins ------------------------------------------------------------------------------


def test_an_agent_made_in_lua_runs_from_javascript(session):
    session.run("Agent.create({name = 'shared_js'})", "lua")
    assert session.run('const a = await Agent.get("shared_js"); await a.run("from js")', "js") == "from js"


def test_a_tengo_tool_is_called_by_an_agent_made_in_javascript(session):
    session.run('Tool.register({name: "tengo_add", description: "add", params: {type: "object"}, '
                'fn: func(args) { return args.a + args.b }})', "tengo")
    answer = session.run("""
        const a = await Agent.create({model: "mock/script", tools: ["tengo_add"],
                                      responses: [{tool: "tengo_add", args: {a: 40, b: 2}}, "forty-two"]});
        await a.run("add")
    """, "js")
    assert answer == "forty-two"
    [result] = session.events.list(type="tool.result")
    assert result.data["result"] == 42 and result.engine == "js"


def test_a_lua_step_a_js_tool_and_a_tengo_handler_form_one_causal_chain(session):
    session.run('Tool.register({name: "js_tool", description: "shout", params: {type: "object"}, '
                'fn: async (args) => { await Event.emit("shouted", {text: args.text}); return args.text.toUpperCase(); }})',
                "js")
    session.run('heard := []\nEvent.on("shouted", func(e) { heard = append(heard, e.data.text) })', "tengo")
    result = session.run("""
        return Workflow.sequential({name = 'chain', steps = {
            function(x) return {text = x} end, {tool = 'js_tool'}}}):run('quiet')
    """, "lua")
    assert result["output"] == "QUIET"
    assert session.run("heard", "tengo") == ["quiet"]
    events = {e.id: e for e in session.events.list()}
    shouted = next(e for e in events.values() if e.type == "shouted")
    chain, node = [], shouted
    while node.parent_id in events:
        node = events[node.parent_id]
        chain.append((node.type, node.engine))
    assert chain[:3] == [("tool.call", "lua"), ("step.start", "lua"), ("workflow.start", "lua")]
    assert shouted.engine == "js"


def test_one_workflow_with_steps_from_every_engine_an_agent_and_python(session):
    lua_step = session.run("return function(x) return x .. ' lua' end", "lua")
    js_step = session.run("(x) => x + ' js'", "js")
    tengo_step = session.run('func(x) { return x + " tengo" }', "tengo")
    session.run("Agent.create({name = 'relay_all'})", "lua")
    workflow = session.workflows.build("sequential", {
        "steps": [lua_step, js_step, tengo_step, "relay_all", lambda x: x + " python"]})
    assert workflow.run("go")["output"] == "go lua js tengo python"
    parallel = session.workflows.build("parallel", {"steps": [lua_step, js_step, tengo_step]})
    assert parallel.run("p")["output"] == ["p lua", "p js", "p tengo"]


def test_values_through_javascript(session):
    session.run("made_in_js = new State({n: 1, list: [1, 2.5, 'ü']})", "js")
    value = session.run("made_in_js", "js")
    session.engine("lua").set_global("v", value)
    assert session.run("return {v:get('n'), v:get('list')}", "lua") == [1, [1, 2.5, "ü"]]
    assert session.run("return math.type(v:get('n'))", "lua") == "integer"  # still an integer after JS
    with pytest.raises(ConversionError, match="does not fit JavaScript's safe integers"):
        session.engine("js").set_global("big", 2**60)
    session.run("State.set('huge', 1 << 60)", "lua")
    with pytest.raises(ConversionError, match="safe integers"):
        session.run('await State.get("huge")', "js")
