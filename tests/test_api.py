"""The spell API driven through real spells in every engine, in offline mode.

Each test gives its code once per engine (`lua=...`, `tengo=...`, `js=...`, through the `spell` fixture
of conftest.py, parametrized over its ENGINES) and asserts the same results. An API failure
raises in Lua; in Tengo it is an error value, and a cell whose value is an error value raises
it, so the same `pytest.raises` holds for both.
"""

from __future__ import annotations

import threading

import pytest

from llmspell_kernel.errors import ApiError, LLMError, SandboxError

SEED_RESEARCHER = {
    "lua": """
local researcher = agent.create({name = "web_researcher", tools = {"web_fetch"}, system_prompt = "You are a research assistant..."})
local result = researcher.run("Research quantum computing")
fs.write("research.md", result)
""",
    "tengo": """
researcher := agent.create({name: "web_researcher", tools: ["web_fetch"], system_prompt: "You are a research assistant..."})
result := researcher.run("Research quantum computing")
fs.write("research.md", result)
""",
    "js": """
const researcher = await agent.create({name: "web_researcher", tools: ["web_fetch"], system_prompt: "You are a research assistant..."})
const result = await researcher.run("Research quantum computing")
await fs.write("research.md", result)
""",
}

SEED_ANALYZER = {
    "lua": """
local agent = Agent.new({name = "analyzer", model = "gpt-4"})
local state = State.new({data = "..."})
local result = agent:run(state)
""",
    "tengo": """
agent := Agent.new({name: "analyzer", model: "gpt-4"})
state := State.new({data: "..."})
result := agent.run(state)
""",
    # the contract's JavaScript example, unchanged
    "js": """
const agent = new Agent({name: "analyzer", model: "gpt-4"});
const state = new State({data: "..."});
const result = await agent.run(state);
""",
}


def test_seed_examples_run_unchanged(spell, tmp_path):
    spell(**SEED_RESEARCHER)
    assert (tmp_path / "research.md").read_text() == "Research quantum computing"
    spell(lua=SEED_ANALYZER["lua"] + "\nreturn result", tengo=SEED_ANALYZER["tengo"] + "\nresult", js=SEED_ANALYZER["js"] + "\nresult")
    second = {engine: code.replace('"analyzer"', '"analyzer2"') for engine, code in SEED_ANALYZER.items()}
    value = spell(lua=second["lua"] + "\nreturn result:to_map()", tengo=second["tengo"] + "\nresult.to_map()", js=second["js"] + "\nawait result.toMap()")
    assert value["data"] == "..." and value["output"] == '{"data": "..."}'
    assert [m["role"] for m in value["messages"]] == ["user", "assistant"]


def test_agent_registry_and_methods(spell):
    assert spell(lua="local a = Agent.create({name = 'w', system = 'Be brief.'})\nreturn a.name",
                 tengo='a := Agent.create({name: "w", system: "Be brief."})\na.name',
                 js="const a = await Agent.create({name: 'w', system: 'Be brief.'})\na.name") == "w"
    assert spell(lua="return Agent.list()", tengo="Agent.list()", js="await Agent.list()") == ["w"]
    assert spell(lua="return Agent.get('w'):run('hello there')",
                 tengo='Agent.get("w").run("hello there")',
                 js="await (await Agent.get('w')).run('hello there')") == "hello there"
    assert spell(lua="return Agent.get('w').run('dot call')", tengo='Agent.get("w").run("dot call")', js="const w = await Agent.get('w')\nawait w.run('dot call')") == "dot call"
    info = spell(lua="return Agent.get('w'):info()", tengo='Agent.get("w").info()', js="await (await Agent.get('w')).info()")
    assert info["usage"]["calls"] == 2 and info["model"] == "mock/echo" and info["system"] == "Be brief."
    with pytest.raises(ApiError, match="already exists"):
        spell(lua="Agent.create({name = 'w'})", tengo='Agent.create({name: "w"})', js="await Agent.create({name: 'w'})")
    with pytest.raises(ApiError, match="no agent named 'nope'"):
        spell(lua="Agent.get('nope')", tengo='Agent.get("nope")', js="await Agent.get('nope')")
    with pytest.raises(ApiError, match="unknown agent option"):
        spell(lua="Agent.create({nmae = 'typo'})", tengo='Agent.create({nmae: "typo"})', js="new Agent({nmae: 'typo'})")
    assert spell(lua="return Agent.remove('w')", tengo='Agent.remove("w")', js="await Agent.remove('w')") is True


def test_handles_are_the_same_object_each_time(spell):
    spell(lua="h = Agent.create({name = 'same'})", tengo='h := Agent.create({name: "same"})', js="const h = await Agent.create({name: 'same'})")
    assert spell(lua="return h == Agent.get('same')", tengo='h == Agent.get("same")', js="h === await Agent.get('same')") is True
    assert spell(lua="return h.model", tengo="h.model", js="h.model") == "mock/echo"


def test_agent_chat_keeps_history(spell):
    spell(lua="bot = Agent.create({})\nbot:chat('one')\nbot:chat('two')",
          tengo='bot := Agent.create({})\nbot.chat("one")\nbot.chat("two")',
          js="const bot = new Agent({})\nawait bot.chat('one')\nawait bot.chat('two')")
    assert spell(lua="return bot:history()", tengo="bot.history()", js="await bot.history()") == [
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "one"},
        {"role": "user", "content": "two"}, {"role": "assistant", "content": "two"},
    ]
    assert spell(lua="bot:reset()\nreturn #bot:history()", tengo="bot.reset()\nlen(bot.history())", js="await bot.reset()\nconst after = await bot.history()\nafter.length") == 0


def test_mock_script_runs_the_tool_loop(spell):
    spell(lua="Tool.register({name = 'add', description = 'Add', params = {type = 'object', "
              "properties = {a = {type = 'integer'}, b = {type = 'integer'}}, required = {'a', 'b'}}, "
              "fn = function(args) return args.a + args.b end})",
          tengo='Tool.register({name: "add", description: "Add", params: {type: "object", '
                'properties: {a: {type: "integer"}, b: {type: "integer"}}, required: ["a", "b"]}, '
                "fn: func(args) { return args.a + args.b }})",
          js="await Tool.register({name: 'add', description: 'Add', params: {type: 'object', "
                'properties: {a: {type: \'integer\'}, b: {type: \'integer\'}}, required: [\'a\', \'b\']}, '
                "fn: (args) => args.a + args.b})")
    answer = spell(lua="""
      local a = Agent.create({model = 'mock/script', tools = {'add'},
        responses = {{tool = 'add', args = {a = 2, b = 3}}, 'the sum is 5'}})
      return a:run('add 2 and 3')
    """, tengo="""
      a := Agent.create({model: "mock/script", tools: ["add"],
        responses: [{tool: "add", args: {a: 2, b: 3}}, "the sum is 5"]})
      a.run("add 2 and 3")
    """,
                   js="""
      const a = new Agent({model: 'mock/script', tools: ['add'],
        responses: [{tool: 'add', args: {a: 2, b: 3}}, 'the sum is 5']})
      await a.run('add 2 and 3')
    """)
    assert answer == "the sum is 5"
    events = [e.type for e in spell.session.events.list()]
    assert events.index("tool.call") < events.index("tool.result") < events.index("agent.complete")
    assert [e.data["result"] for e in spell.session.events.list(type="tool.result")] == [5]
    with pytest.raises(LLMError, match="no more responses"):
        spell(lua="Agent.create({model = 'mock/script', responses = {}}):run('x')",
              tengo='Agent.create({model: "mock/script", responses: []}).run("x")',
              js="await new Agent({model: 'mock/script', responses: []}).run('x')")


def test_tool_arguments_are_checked_against_the_schema(spell):
    assert spell(lua="return Tool.call('calculator', {expression = '6*7'})",
                 tengo='Tool.call("calculator", {expression: "6*7"})',
                 js="await Tool.call('calculator', {expression: '6*7'})") == 42
    with pytest.raises(ApiError, match="missing required argument 'expression'"):
        spell(lua="Tool.call('calculator', {})", tengo='Tool.call("calculator", {})', js="await Tool.call('calculator', {})")
    with pytest.raises(ApiError, match="argument 'expression'"):
        spell(lua="Tool.call('calculator', {expression = 5})", tengo='Tool.call("calculator", {expression: 5})', js="await Tool.call('calculator', {expression: 5})")
    assert "calculator" in spell(lua="return Tool.list()", tengo="Tool.list()", js="await Tool.list()")


def test_a_registered_tool_is_a_handle(spell):
    spell(lua="t = Tool.register({name = 'shout', fn = function(args) return string.upper(args.text) end})",
          tengo='text := import("text")\n'
                't := Tool.register({name: "shout", fn: func(args) { return text.to_upper(args.text) }})',
          js="const t = await Tool.register({name: 'shout', fn: (args) => args.text.toUpperCase()})")
    assert spell(lua="return t.name", tengo="t.name", js="t.name") == "shout"
    assert spell(lua="return t:call({text = 'hi'})", tengo='t.call({text: "hi"})', js="await t.call({text: 'hi'})") == "HI"


def test_web_tools_refuse_hosts_the_sandbox_does_not_allow(spell):
    with pytest.raises(SandboxError, match=r"host 'example\.com' is not allowed.*allowed_hosts"):
        spell(lua="Tool.call('web_fetch', {url = 'https://example.com/'})",
              tengo='Tool.call("web_fetch", {url: "https://example.com/"})',
              js="await Tool.call('web_fetch', {url: 'https://example.com/'})")


def test_state_versions_history_and_snapshots(spell):
    assert spell(lua="return State.set('user.name', 'Ada')", tengo='State.set("user.name", "Ada")', js="await State.set('user.name', 'Ada')") == 1
    assert spell(lua="return State.set('topic', 'tides')", tengo='State.set("topic", "tides")', js="await State.set('topic', 'tides')") == 2
    assert spell(lua="return State.get('user')", tengo='State.get("user")', js="await State.get('user')") == {"name": "Ada"}
    assert spell(lua="return State.get('missing', 'default')", tengo='State.get("missing", "default")', js="await State.get('missing', 'default')") == "default"
    assert spell(lua="return State.keys()", tengo="State.keys()", js="await State.keys()") == ["topic", "user"]
    assert spell(lua="State.delete('topic')\nreturn State.version()",
                 tengo='State.delete("topic")\nState.version()',
                 js="await State.delete('topic')\nawait State.version()") == 3
    history = spell(lua="return State.history()", tengo="State.history()", js="await State.history()")
    assert [h["op"] for h in history] == ["set", "set", "delete"]
    assert history[0]["author"]["engine"] == spell.engine
    assert spell(lua="return State.at(2):get('topic')", tengo='State.at(2).get("topic")', js="await (await State.at(2)).get('topic')") == "tides"
    assert spell(lua="return State.diff(1, 2)", tengo="State.diff(1, 2)", js="await State.diff(1, 2)") == {
        "added": ["topic"], "removed": [], "changed": []}
    assert spell(lua="return {}", tengo="{}", js="({})") == {}
    assert spell(lua="return State.rollback(2)", tengo="State.rollback(2)", js="await State.rollback(2)") == 4
    assert spell(lua="return State.get('topic')", tengo='State.get("topic")', js="await State.get('topic')") == "tides"


def test_state_value_is_immutable_with_lineage(spell):
    value = spell(lua="""
      local s = State.new({a = 1})
      local t = s:set('b', 2)
      return {s:keys(), t:keys(), t:version(), t:parent():keys()}
    """, tengo="""
      s := State.new({a: 1})
      t := s.set("b", 2)
      [s.keys(), t.keys(), t.version(), t.parent().keys()]
    """,
                  js="""
      const s = new State({a: 1})
      const t = await s.set('b', 2)
      ;[await s.keys(), await t.keys(), await t.version(), await (await t.parent()).keys()]
    """)
    assert value == [["a"], ["a", "b"], 1, ["a"]]


def test_state_update_runs_a_script_function(spell):
    spell(lua="State.set('n', 1)\nState.update('n', function(old) return old * 10 end)",
          tengo='State.set("n", 1)\nState.update("n", func(old) { return old * 10 })',
          js="await State.set('n', 1)\nawait State.update('n', (old) => old * 10)")
    assert spell(lua="return State.get('n')", tengo='State.get("n")', js="await State.get('n')") == 10
    scoped = spell(lua="local s = State.scope('agent:w')\ns:set('k', 'v')\nreturn {s:get('k'), State.get('k', 'none')}",
                   tengo='s := State.scope("agent:w")\ns.set("k", "v")\n[s.get("k"), State.get("k", "none")]',
                   js="const s = await State.scope('agent:w')\nawait s.set('k', 'v')\nconst both = [await s.get('k'), await State.get('k', 'none')]\nboth")
    assert scoped == ["v", "none"]


def test_state_update_is_atomic_across_threads(session):
    session.state.set("n", 0)

    def work():
        for _ in range(1000):
            session.state.update("n", lambda old: old + 1)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.state.get("n") == 10000


def test_a_script_update_function_called_from_many_threads(spell):
    # the function runs under the engine's gate: one thread at a time, no lost updates
    increment = spell(lua="return function(old) return old + 1 end", tengo="func(old) { return old + 1 }", js="(old) => old + 1")
    state = spell.session.state
    state.set("n", 0)

    def work():
        for _ in range(200):
            state.update("n", increment)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert spell(lua="return State.get('n')", tengo='State.get("n")', js="await State.get('n')") == 800


def test_events_emit_on_and_list(spell):
    spell(lua="seen = {}\nsub = Event.on('report.*', function(e) seen[#seen + 1] = e.data.pages end)",
          tengo='seen := []\nsub := Event.on("report.*", func(e) { seen = append(seen, e.data.pages) })',
          js="const seen = []\nconst sub = await Event.on('report.*', (e) => { seen.push(e.data.pages) })")
    event_id = spell(lua="return Event.emit('report.ready', {pages = 3})",
                     tengo='Event.emit("report.ready", {pages: 3})',
                     js="await Event.emit('report.ready', {pages: 3})")
    assert event_id.startswith("ev-")
    assert spell(lua="return seen", tengo="seen", js="seen") == [3]
    assert spell(lua="return Event.off(sub)", tengo="Event.off(sub)", js="await Event.off(sub)") is True
    spell(lua="Event.emit('report.ready', {pages = 4})", tengo='Event.emit("report.ready", {pages: 4})', js="await Event.emit('report.ready', {pages: 4})")
    assert spell(lua="return #seen", tengo="len(seen)", js="seen.length") == 1
    listed = spell(lua="return Event.list({type = 'report.*'})", tengo='Event.list({type: "report.*"})', js="await Event.list({type: 'report.*'})")
    assert [e["data"]["pages"] for e in listed] == [3, 4]
    assert spell(lua="return #Event.list({type = 'report.*', limit = 1})",
                 tengo='len(Event.list({type: "report.*", limit: 1}))',
                 js="(await Event.list({type: 'report.*', limit: 1})).length") == 1


def test_a_failing_handler_is_reported_and_does_not_stop_the_emitter(spell):
    spell(lua="Event.on('x', function(e) error('handler broke') end)",
          tengo='Event.on("x", func(e) { return error("handler broke") })',
          js="await Event.on('x', (e) => { throw new Error('handler broke') })")
    assert spell(lua="Event.emit('x', {})\nreturn 'emitter went on'",
                 tengo='Event.emit("x", {})\n"emitter went on"',
                 js="await Event.emit('x', {})\n'emitter went on'") == "emitter went on"
    errors = spell.session.events.list(type="spell.error")
    assert errors and "handler broke" in errors[-1].data["error"]


def test_agent_events_form_a_causal_tree(spell):
    spell(lua="Agent.create({name = 'tree'}):run('hi')", tengo='Agent.create({name: "tree"}).run("hi")', js="await new Agent({name: 'tree'}).run('hi')")
    events = {e.id: e for e in spell.session.events.list()}
    start = next(e for e in events.values() if e.type == "agent.start")
    request = next(e for e in events.values() if e.type == "llm.request")
    assert request.parent_id == start.id
    done = next(e for e in events.values() if e.type == "agent.complete")
    assert done.parent_id == start.id and done.duration is not None


def test_llm_complete_and_stream(spell, capsys):
    assert spell(lua="return LLM.complete('echo me')", tengo='LLM.complete("echo me")', js="await LLM.complete('echo me')") == "echo me"
    chunks = spell(lua="local c = {}\nLLM.stream('one two three', function(x) c[#c + 1] = x end)\nreturn c",
                   tengo='c := []\nLLM.stream("one two three", func(x) { c = append(c, x) })\nc',
                   js="const c = []\nawait LLM.stream('one two three', (x) => { c.push(x) })\nc")
    assert chunks == ["one", " two", " three"]
    spell(lua="LLM.stream('printed as it comes')", tengo='LLM.stream("printed as it comes")', js="await LLM.stream('printed as it comes')")
    assert capsys.readouterr().out == "printed as it comes"


def test_agent_stream_and_futures(spell):
    chunks = spell(lua="local c = {}\nlocal a = Agent.create({})\na:stream('a b', function(x) c[#c + 1] = x end)\n"
                       "return c",
                   tengo='c := []\na := Agent.create({})\na.stream("a b", func(x) { c = append(c, x) })\nc',
                   js="const c = []\nconst a = new Agent({})\nawait a.stream('a b', (x) => { c.push(x) })\nc")
    assert chunks == ["a", " b"]
    value = spell(lua="local a = Agent.create({})\nlocal f = a:run_async('later')\n"
                      "return {Async.await(f), f:done(), Async.all({a:run_async('x'), a:run_async('y')})}",
                  tengo='a := Agent.create({})\nf := a.run_async("later")\n'
                        '[Async.await(f), f.done(), Async.all([a.run_async("x"), a.run_async("y")])]',
                  js="const a = new Agent({})\nconst f = a.runAsync('later')\n"
                     "const all = [await Async.await(f), await f.done(), await Async.all([a.run_async('x'), a.runAsync('y')])]\nall")
    assert value == ["later", True, ["x", "y"]]


def test_fs_stays_under_the_root(spell, tmp_path):
    assert spell(lua="return fs.write('a/b.txt', 'hi')", tengo='fs.write("a/b.txt", "hi")', js="await fs.write('a/b.txt', 'hi')") == 2
    assert spell(lua="fs.append('a/b.txt', '!')\nreturn fs.read('a/b.txt')",
                 tengo='fs.append("a/b.txt", "!")\nfs.read("a/b.txt")',
                 js="await fs.append('a/b.txt', '!')\nawait fs.read('a/b.txt')") == "hi!"
    assert spell(lua="return fs.list('a')", tengo='fs.list("a")', js="await fs.list('a')") == ["b.txt"]
    assert spell(lua="return fs.exists('a/b.txt')", tengo='fs.exists("a/b.txt")', js="await fs.exists('a/b.txt')") is True
    assert spell(lua="return fs.remove('a/b.txt')", tengo='fs.remove("a/b.txt")', js="await fs.remove('a/b.txt')") is True
    (tmp_path / "link").symlink_to("/etc")
    for path in ["/etc/passwd", "../x", "link/passwd"]:
        with pytest.raises(SandboxError):
            spell(lua=f"fs.read('{path}')", tengo=f'fs.read("{path}")', js=f"await fs.read('{path}')")
    with pytest.raises(SandboxError):
        spell(lua="fs.write('../out.txt', 'x')", tengo='fs.write("../out.txt", "x")', js="await fs.write('../out.txt', 'x')")


def test_json_prompt_display_and_spell(spell, capsys):
    assert spell(lua="return json.decode(json.encode({b = 1, a = {true, 'x'}}))",
                 tengo='json.decode(json.encode({b: 1, a: [true, "x"]}))',
                 js="await json.decode(await json.encode({b: 1, a: [true, 'x']}))") == {"a": [True, "x"], "b": 1}
    assert spell(lua="return json.encode({b = 1, a = 2})", tengo="json.encode({b: 1, a: 2})", js="await json.encode({b: 1, a: 2})") == '{"a": 2, "b": 1}'
    with pytest.raises(ApiError, match="invalid JSON"):
        spell(lua="json.decode('{nope')", tengo='json.decode("{nope")', js="await json.decode('{nope')")
    assert spell(lua="return Prompt.render('Hi {{ name }}!', {name = 'Ada'})",
                 tengo='Prompt.render("Hi {{ name }}!", {name: "Ada"})',
                 js="await Prompt.render('Hi {{ name }}!', {name: 'Ada'})") == "Hi Ada!"
    assert spell(lua="return Spell.engine", tengo="Spell.engine", js="Spell.engine") == spell.engine
    spell.session.params = {"topic": "tides"}
    assert spell(lua="return Spell.params.topic", tengo="Spell.params.topic", js="Spell.params.topic") == "tides"
    spell(lua="display({ok = true})", tengo="display({ok: true})", js="await display({ok: true})")
    assert '"ok": true' in capsys.readouterr().out


def test_lowercase_aliases(spell):
    assert "calculator" in spell(lua="return tools.list()", tengo="tools.list()", js="await tools.list()")
    assert spell(lua="return tools.execute('calculator', {expression = '1+1'})",
                 tengo='tools.execute("calculator", {expression: "1+1"})',
                 js="await tools.execute('calculator', {expression: '1+1'})") == 2
    assert spell(lua="state.set('k', 'v')\nreturn state.get('k')", tengo='state.set("k", "v")\nstate.get("k")', js="await state.set('k', 'v')\nawait state.get('k')") == "v"
    assert spell(lua="return llm.complete('same')", tengo='llm.complete("same")', js="await llm.complete('same')") == "same"


def test_api_usage_errors_name_the_signature(spell):
    with pytest.raises(ApiError, match=r"State.get\(key, default\?\)"):
        spell(lua="State.get()", tengo="State.get()", js="await State.get()")
