"""The spell API driven through real Lua spells, in offline mode."""

from __future__ import annotations

import threading

import pytest

from llmspell_kernel.errors import ApiError, LLMError, SandboxError

SEED_RESEARCHER = """
local researcher = agent.create({name = "web_researcher", tools = {"web_fetch"}, system_prompt = "You are a research assistant..."})
local result = researcher.run("Research quantum computing")
fs.write("research.md", result)
"""

SEED_ANALYZER = """
local agent = Agent.new({name = "analyzer", model = "gpt-4"})
local state = State.new({data = "..."})
local result = agent:run(state)
"""


def test_seed_examples_run_unchanged(lua, tmp_path):
    lua(SEED_RESEARCHER)
    assert (tmp_path / "research.md").read_text() == "Research quantum computing"
    lua(SEED_ANALYZER + "\nreturn result")
    value = lua(SEED_ANALYZER.replace('"analyzer"', '"analyzer2"') + "\nreturn result:to_map()")
    assert value["data"] == "..." and value["output"] == '{"data": "..."}'
    assert [m["role"] for m in value["messages"]] == ["user", "assistant"]


def test_agent_registry_and_methods(lua):
    assert lua("local a = Agent.create({name = 'w', system = 'Be brief.'})\nreturn a.name") == "w"
    assert lua("return Agent.list()") == ["w"]
    assert lua("return Agent.get('w'):run('hello there')") == "hello there"
    assert lua("return Agent.get('w').run('dot call')") == "dot call"
    info = lua("return Agent.get('w'):info()")
    assert info["usage"]["calls"] == 2 and info["model"] == "mock/echo" and info["system"] == "Be brief."
    with pytest.raises(ApiError, match="already exists"):
        lua("Agent.create({name = 'w'})")
    with pytest.raises(ApiError, match="no agent named 'nope'"):
        lua("Agent.get('nope')")
    with pytest.raises(ApiError, match="unknown agent option"):
        lua("Agent.create({nmae = 'typo'})")
    assert lua("return Agent.remove('w')") is True


def test_agent_chat_keeps_history(lua):
    lua("bot = Agent.create({})\nbot:chat('one')\nbot:chat('two')")
    assert lua("return bot:history()") == [
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "one"},
        {"role": "user", "content": "two"}, {"role": "assistant", "content": "two"},
    ]
    assert lua("bot:reset()\nreturn #bot:history()") == 0


def test_mock_script_runs_the_tool_loop(lua):
    lua("Tool.register({name = 'add', description = 'Add', params = {type = 'object', "
        "properties = {a = {type = 'integer'}, b = {type = 'integer'}}, required = {'a', 'b'}}, "
        "fn = function(args) return args.a + args.b end})")
    answer = lua("""
      local a = Agent.create({model = 'mock/script', tools = {'add'},
        responses = {{tool = 'add', args = {a = 2, b = 3}}, 'the sum is 5'}})
      return a:run('add 2 and 3')
    """)
    assert answer == "the sum is 5"
    events = [e.type for e in lua.session.events.list()]
    assert events.index("tool.call") < events.index("tool.result") < events.index("agent.complete")
    with pytest.raises(LLMError, match="no more responses"):
        lua("Agent.create({model = 'mock/script', responses = {}}):run('x')")


def test_tool_arguments_are_checked_against_the_schema(lua):
    assert lua("return Tool.call('calculator', {expression = '6*7'})") == 42
    with pytest.raises(ApiError, match="missing required argument 'expression'"):
        lua("Tool.call('calculator', {})")
    with pytest.raises(ApiError, match="argument 'expression'"):
        lua("Tool.call('calculator', {expression = 5})")
    assert "calculator" in lua("return Tool.list()")


def test_web_tools_refuse_hosts_the_sandbox_does_not_allow(lua):
    with pytest.raises(SandboxError, match=r"host 'example\.com' is not allowed.*allowed_hosts"):
        lua("Tool.call('web_fetch', {url = 'https://example.com/'})")


def test_state_versions_history_and_snapshots(lua):
    assert lua("return State.set('user.name', 'Ada')") == 1
    assert lua("return State.set('topic', 'tides')") == 2
    assert lua("return State.get('user')") == {"name": "Ada"}
    assert lua("return State.get('missing', 'default')") == "default"
    assert lua("return State.keys()") == ["topic", "user"]
    assert lua("State.delete('topic')\nreturn State.version()") == 3
    history = lua("return State.history()")
    assert [h["op"] for h in history] == ["set", "set", "delete"]
    assert history[0]["author"]["engine"] == "lua"
    assert lua("return State.at(2):get('topic')") == "tides"
    assert lua("return State.diff(1, 2)") == {"added": ["topic"], "removed": [], "changed": []}
    assert lua("return {}") == {}
    assert lua("return State.rollback(2)") == 4
    assert lua("return State.get('topic')") == "tides"


def test_state_value_is_immutable_with_lineage(lua):
    value = lua("""
      local s = State.new({a = 1})
      local t = s:set('b', 2)
      return {s:keys(), t:keys(), t:version(), t:parent():keys()}
    """)
    assert value == [["a"], ["a", "b"], 1, ["a"]]


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


def test_events_emit_on_and_list(lua):
    lua("seen = {}\nsub = Event.on('report.*', function(e) seen[#seen + 1] = e.data.pages end)")
    event_id = lua("return Event.emit('report.ready', {pages = 3})")
    assert event_id.startswith("ev-")
    assert lua("return seen") == [3]
    assert lua("return Event.off(sub)") is True
    lua("Event.emit('report.ready', {pages = 4})")
    assert lua("return #seen") == 1
    listed = lua("return Event.list({type = 'report.*'})")
    assert [e["data"]["pages"] for e in listed] == [3, 4]
    assert lua("return #Event.list({type = 'report.*', limit = 1})") == 1


def test_a_failing_handler_is_reported_and_does_not_stop_the_emitter(lua):
    lua("Event.on('x', function(e) error('handler broke') end)")
    lua("Event.emit('x', {})")
    errors = lua.session.events.list(type="spell.error")
    assert errors and "handler broke" in errors[-1].data["error"]


def test_agent_events_form_a_causal_tree(lua):
    lua("Agent.create({name = 'tree'}):run('hi')")
    events = {e.id: e for e in lua.session.events.list()}
    start = next(e for e in events.values() if e.type == "agent.start")
    request = next(e for e in events.values() if e.type == "llm.request")
    assert request.parent_id == start.id
    done = next(e for e in events.values() if e.type == "agent.complete")
    assert done.parent_id == start.id and done.duration is not None


def test_llm_complete_and_stream(lua, capsys):
    assert lua("return LLM.complete('echo me')") == "echo me"
    chunks = lua("local c = {}\nLLM.stream('one two three', function(x) c[#c + 1] = x end)\nreturn c")
    assert chunks == ["one", " two", " three"]
    lua("LLM.stream('printed as it comes')")
    assert capsys.readouterr().out == "printed as it comes"


def test_fs_stays_under_the_root(lua, tmp_path):
    assert lua("return fs.write('a/b.txt', 'hi')") == 2
    assert lua("fs.append('a/b.txt', '!')\nreturn fs.read('a/b.txt')") == "hi!"
    assert lua("return fs.list('a')") == ["b.txt"]
    assert lua("return fs.exists('a/b.txt')") is True
    assert lua("return fs.remove('a/b.txt')") is True
    (tmp_path / "link").symlink_to("/etc")
    for code in ["fs.read('/etc/passwd')", "fs.read('../x')", "fs.read('link/passwd')", "fs.write('../out.txt', 'x')"]:
        with pytest.raises(SandboxError):
            lua(code)


def test_json_prompt_display_and_spell(lua, capsys):
    assert lua("return json.decode(json.encode({b = 1, a = {true, 'x'}}))") == {"a": [True, "x"], "b": 1}
    assert lua("return json.encode({b = 1, a = 2})") == '{"a": 2, "b": 1}'
    with pytest.raises(ApiError, match="invalid JSON"):
        lua("json.decode('{nope')")
    assert lua("return Prompt.render('Hi {{ name }}!', {name = 'Ada'})") == "Hi Ada!"
    assert lua("return Spell.engine") == "lua"
    lua.session.params = {"topic": "tides"}
    assert lua("return Spell.params.topic") == "tides"
    lua("display({ok = true})")
    assert '"ok": true' in capsys.readouterr().out


def test_lowercase_aliases(lua):
    assert "calculator" in lua("return tools.list()")
    assert lua("return tools.execute('calculator', {expression = '1+1'})") == 2
    assert lua("state.set('k', 'v')\nreturn state.get('k')") == "v"
    assert lua("return llm.complete('same')") == "same"


def test_api_usage_errors_name_the_signature(lua):
    with pytest.raises(ApiError, match=r"State.get\(key, default\?\)"):
        lua("State.get()")
