"""Polyglot handles through the real kernel: Lua cells and `%%spell tengo` cells share one store."""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel
from test_kernel import execute


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    km, client = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path_factory.mktemp("polyglot")))
    yield client
    client.stop_channels()
    km.shutdown_kernel(now=True)


def result_text(outputs) -> str:
    [data] = [content["data"] for kind, content in outputs if kind == "execute_result"]
    return data["text/plain"]


def test_handles_functions_and_state_cross_engines_in_the_kernel(kc):
    reply, _ = execute(kc, "%%spell tengo\n" """
Tool.register({name: "tengo_add", description: "add", params: {type: "object"},
               fn: func(args) { return args.a + args.b }})
seen := []
Event.on("lua.*", func(e) { seen = append(seen, e.type) })
""")
    assert reply["status"] == "ok"
    reply, _ = execute(kc, """
        Agent.create({name = 'shared', model = 'mock/script', tools = {'tengo_add'},
                      responses = {{tool = 'tengo_add', args = {a = 2, b = 3}}, 'the sum is 5'}})
        Agent.create({name = 'relay'})
        function shout(x) return string.upper(x) end
    """)
    assert reply["status"] == "ok"
    # an agent made in Lua, run from Tengo, calls a tool written in Tengo
    reply, outputs = execute(kc, '%%spell tengo\nAgent.get("shared").run("add 2 and 3")')
    assert reply["status"] == "ok" and result_text(outputs) == "the sum is 5"
    # a Lua event reaches a Tengo handler; Tengo state is read by Lua
    execute(kc, "Event.emit('lua.ping', {})")
    reply, outputs = execute(kc, '%%spell tengo\nState.set("from_tengo", seen)\nseen')
    assert '"lua.ping"' in result_text(outputs)
    reply, outputs = execute(kc, "return State.get('from_tengo')[1]")
    assert result_text(outputs) == "lua.ping"
    # a workflow mixing a Tengo function, the Lua-made agent and a Lua function (passed in with --in)
    reply, _ = execute(kc, "%%python\nimport llmspell_kernel\nshout = llmspell_kernel.session().run('return shout', 'lua')")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, "%%spell tengo --in shout\n" """
wf := Workflow.sequential({steps: [func(x) { return x + "!" }, "relay", shout]})
wf.run("go").output
""")
    assert reply["status"] == "ok" and result_text(outputs) == "GO!"
    reply, outputs = execute(kc, "return Workflow.sequential({steps = {shout}}):run('quiet').output")
    assert result_text(outputs) == "QUIET"


def test_javascript_cells_share_the_store_in_the_kernel(kc):
    reply, _ = execute(kc, "%%spell js\n"
                           "const js_heard = [];\n"
                           "Event.on('lua.js', (e) => { js_heard.push(e.data.n); });\n"
                           "Tool.register({name: 'js_double', description: 'double', params: {type: 'object'},\n"
                           "               fn: (args) => args.n * 2});")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, """
        Event.emit('lua.js', {n = 1})
        local a = Agent.create({model = 'mock/script', tools = {'js_double'},
                                responses = {{tool = 'js_double', args = {n = 21}}, 'done'}})
        a:run('double 21')
        local results = Event.list({type = 'tool.result'})
        return results[#results].data.result
    """)
    assert reply["status"] == "ok" and result_text(outputs) == "42"
    reply, outputs = execute(kc, '%%spell js\nconst r = await Agent.get("relay"); [await r.run("via js"), js_heard]')
    assert reply["status"] == "ok"
    [data] = [c["data"] for kind, c in outputs if kind == "execute_result"]
    assert data["application/json"] == ["via js", [1]]


def test_one_workflow_from_every_engine_and_python_in_the_kernel(kc):
    reply, _ = execute(kc, "%%python\n"
                           "import llmspell_kernel\n"
                           "session = llmspell_kernel.session()\n"
                           "js_step = session.run('(x) => x + \" js\"', 'js')\n"
                           "tengo_step = session.run('func(x) { return x + \" tengo\" }', 'tengo')\n"
                           "py_step = lambda x: x + ' python'")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, "%%spell lua --in js_step,tengo_step,py_step\n"
                                 "local lua_step = function(x) return x .. ' lua' end\n"
                                 "return Workflow.sequential({steps = {lua_step, js_step, tengo_step, 'relay', py_step}})"
                                 ":run('all').output")
    assert reply["status"] == "ok", reply
    assert result_text(outputs) == "all lua js tengo python"
    # a State value made in JavaScript, read in Lua and Tengo
    execute(kc, "%%spell js\nglobalThis.made = new State({from: 'js', n: 1});\nawait State.set('made_ref', 1)")
    reply, _ = execute(kc, "%%python\nmade = session.run('made', 'js')")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, "%%spell lua --in made\nreturn made:get('from') .. ' ' .. made:version()")
    assert result_text(outputs) == "js 0"
    reply, outputs = execute(kc, '%%spell tengo --in made\nmade.set("n", 2).get("n")')
    assert result_text(outputs) == "2"


def test_a_javascript_agent_calls_a_tengo_tool_in_the_kernel(kc):
    reply, _ = execute(kc, "%%spell tengo\n"
                           'Tool.register({name: "tengo_triple", description: "triple", params: {type: "object"},\n'
                           "               fn: func(args) { return args.n * 3 }})")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, "%%spell js\n"
                                 "const tripler = await Agent.create({model: 'mock/script', tools: ['tengo_triple'],\n"
                                 "  responses: [{tool: 'tengo_triple', args: {n: 14}}, 'tripled']});\n"
                                 "[await tripler.run('triple 14'), (await Event.list({type: 'tool.result'})).at(-1).data]")
    assert reply["status"] == "ok", reply
    [data] = [c["data"] for kind, c in outputs if kind == "execute_result"]
    assert data["application/json"] == ["tripled", {"name": "tengo_triple", "result": 42}]
