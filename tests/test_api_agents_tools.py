"""Agent options and failures, the built-in tools, and the smaller globals, in every engine."""

from __future__ import annotations

import re
import uuid

import pytest

from llmspell_kernel.errors import ApiError, LLMError, SandboxError


def test_response_format_json_and_schema(spell):
    assert spell(lua="return Agent.create({model = 'mock/script', response_format = 'json', "
                     "responses = {'```json\\n{\"n\": 1}\\n```'}}):run('x')",
                 tengo='Agent.create({model: "mock/script", response_format: "json", '
                       'responses: ["```json\\n{\\"n\\": 1}\\n```"]}).run("x")',
                 js='await new Agent({model: "mock/script", response_format: "json", '
                    'responses: ["```json\\n{\\"n\\": 1}\\n```"]}).run("x")') == {"n": 1}
    # an invalid reply goes back to the model once, with the validation error
    schema_lua = "{type = 'object', required = {'name'}, properties = {name = {type = 'string'}}}"
    schema_tengo = '{type: "object", required: ["name"], properties: {name: {type: "string"}}}'
    value = spell(lua=f"return Agent.create({{name = 'fmt', model = 'mock/script', response_format = {schema_lua}, "
                      "responses = {'{\"name\": 5}', '{\"name\": \"Ada\"}'}}):run('x')",
                  tengo=f'Agent.create({{name: "fmt", model: "mock/script", response_format: {schema_tengo}, '
                        'responses: [`{"name": 5}`, `{"name": "Ada"}`]}).run("x")',
                  js=f'await new Agent({{name: "fmt", model: "mock/script", response_format: {schema_tengo}, '
                     'responses: [`{"name": 5}`, `{"name": "Ada"}`]}).run("x")')
    assert value == {"name": "Ada"}
    [_, retry] = [e for e in spell.session.events.list(type="llm.request") if e.source == "llm:mock/script"][-2:]
    assert "does not match the schema at name" in retry.data["messages"][-1]["content"]
    with pytest.raises(ApiError, match="the reply is not valid JSON"):
        spell(lua="Agent.create({model = 'mock/script', response_format = 'json', responses = {'no', 'still no'}}):run('x')",
              tengo='Agent.create({model: "mock/script", response_format: "json", responses: ["no", "still no"]}).run("x")',
              js='await new Agent({model: "mock/script", response_format: "json", responses: ["no", "still no"]}).run("x")')


def test_the_tool_loop_is_bounded_by_max_iterations(spell):
    with pytest.raises(ApiError, match=r"reached max_iterations \(2\) without a final answer"):
        spell(lua="Agent.create({name = 'loopy', model = 'mock/script', tools = {'uuid'}, max_iterations = 2, "
                  "responses = {{tool = 'uuid'}, {tool = 'uuid'}, 'never'}}):run('go')",
              tengo='Agent.create({name: "loopy", model: "mock/script", tools: ["uuid"], max_iterations: 2, '
                    'responses: [{tool: "uuid"}, {tool: "uuid"}, "never"]}).run("go")',
              js='await new Agent({name: "loopy", model: "mock/script", tools: ["uuid"], max_iterations: 2, '
                 'responses: [{tool: "uuid"}, {tool: "uuid"}, "never"]}).run("go")')
    with pytest.raises(ApiError, match="max_iterations must be a positive integer"):
        spell(lua="Agent.create({max_iterations = 0})", tengo="Agent.create({max_iterations: 0})", js="new Agent({max_iterations: 0})")
    with pytest.raises(ApiError, match="unknown agent option"):
        spell(lua="Agent.create({colour = 'red'})", tengo='Agent.create({colour: "red"})', js="await Agent.create({colour: 'red'})")


def test_agent_info_counts_usage_and_remove_forgets_it(spell):
    info = spell(lua="local a = Agent.create({name = 'counted'})\na:run('one two three')\na:chat('four')\n"
                     "a:reset()\nreturn {a:info(), a:history()}",
                 tengo='a := Agent.create({name: "counted"})\na.run("one two three")\na.chat("four")\n'
                       "a.reset()\n[a.info(), a.history()]",
                 js='const a = new Agent({name: "counted"})\nawait a.run("one two three")\nawait a.chat("four")\n'
                    "await a.reset()\nconst both = [await a.info(), await a.history()]\nboth")
    usage = info[0]["usage"]
    assert usage["calls"] == 2 and usage["prompt_tokens"] == 4 and usage["completion_tokens"] == 4
    assert usage["cost"] == 0 and info[1] == []
    assert spell(lua="return Agent.remove('counted')", tengo='Agent.remove("counted")', js="await Agent.remove('counted')") is True
    assert spell(lua="return Agent.remove('counted')", tengo='Agent.remove("counted")', js="await Agent.remove('counted')") is False
    with pytest.raises(ApiError, match="no agent named 'counted'"):
        spell(lua="Agent.get('counted')", tengo='Agent.get("counted")', js="await Agent.get('counted')")


def test_builtin_tools(spell, tmp_path):
    now = spell(lua="return Tool.call('datetime_now', {})", tengo='Tool.call("datetime_now", {})', js="await Tool.call('datetime_now', {})")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", now) and now.endswith("+00:00")
    assert "+09:00" in spell(lua="return Tool.call('datetime_now', {timezone = 'Asia/Tokyo'})",
                             tengo='Tool.call("datetime_now", {timezone: "Asia/Tokyo"})',
                             js="await Tool.call('datetime_now', {timezone: 'Asia/Tokyo'})")
    uuid.UUID(spell(lua="return Tool.call('uuid', {})", tengo='Tool.call("uuid", {})', js="await Tool.call('uuid', {})"))
    assert spell(lua="return Tool.call('json_query', {data = {items = {{name = 'a'}, {name = 'b'}}}, path = 'items.1.name'})",
                 tengo='Tool.call("json_query", {data: {items: [{name: "a"}, {name: "b"}]}, path: "items.1.name"})',
                 js="await Tool.call('json_query', {data: {items: [{name: 'a'}, {name: 'b'}]}, path: 'items.1.name'})") == "b"
    spell(lua="Tool.call('file_write', {path = 'out/notes.txt', content = 'kept'})",
          tengo='Tool.call("file_write", {path: "out/notes.txt", content: "kept"})',
          js="await Tool.call('file_write', {path: 'out/notes.txt', content: 'kept'})")
    assert (tmp_path / "out" / "notes.txt").read_text() == "kept"
    assert spell(lua="return Tool.call('file_read', {path = 'out/notes.txt'})",
                 tengo='Tool.call("file_read", {path: "out/notes.txt"})',
                 js="await Tool.call('file_read', {path: 'out/notes.txt'})") == "kept"
    assert spell(lua="return Tool.call('file_list', {path = 'out'})", tengo='Tool.call("file_list", {path: "out"})', js="await Tool.call('file_list', {path: 'out'})") == ["notes.txt"]
    with pytest.raises(SandboxError):
        spell(lua="Tool.call('file_read', {path = '../secret'})", tengo='Tool.call("file_read", {path: "../secret"})', js="await Tool.call('file_read', {path: '../secret'})")
    with pytest.raises(SandboxError, match="allowed_hosts"):
        spell(lua="Tool.call('http_request', {method = 'GET', url = 'http://10.0.0.1/'})",
              tengo='Tool.call("http_request", {method: "GET", url: "http://10.0.0.1/"})',
              js="await Tool.call('http_request', {method: 'GET', url: 'http://10.0.0.1/'})")
    assert sorted(spell(lua="return Tool.list()", tengo="Tool.list()", js="await Tool.list()")) == sorted(
        ["calculator", "datetime_now", "uuid", "json_query", "file_read", "file_write", "file_list", "web_fetch",
         "http_request"])
    assert "expression" in spell(lua="return Tool.info('calculator')", tengo='Tool.info("calculator")', js="await Tool.info('calculator')")["params"]["properties"]


def test_event_list_filters(spell):
    spell(lua="Event.emit('job.a', {n = 1})\nEvent.emit('job.b', {n = 2})\nEvent.emit('other', {})",
          tengo='Event.emit("job.a", {n: 1})\nEvent.emit("job.b", {n: 2})\nEvent.emit("other", {})',
          js="await Event.emit('job.a', {n: 1})\nawait Event.emit('job.b', {n: 2})\nawait Event.emit('other', {})")
    jobs = spell(lua="return Event.list({type = 'job.*'})", tengo='Event.list({type: "job.*"})', js="await Event.list({type: 'job.*'})")
    assert [e["data"]["n"] for e in jobs] == [1, 2]
    first = jobs[0]["id"]
    later = spell(lua=f"return Event.list({{since = '{first}', type = 'job.*'}})",
                  tengo=f'Event.list({{since: "{first}", type: "job.*"}})',
                  js=f"await Event.list({{since: '{first}', type: 'job.*'}})")
    assert [e["type"] for e in later] == ["job.b"]
    assert spell(lua="return #Event.list({source = 'nobody'})", tengo='len(Event.list({source: "nobody"}))', js="(await Event.list({source: 'nobody'})).length") == 0


def test_display_forms_and_sleep(spell, capsys):
    spell(lua="Display.markdown('# Title')\nDisplay.html('<b>x</b>')\nDisplay.json({a = 1})\nSpell.sleep(5)",
          tengo='Display.markdown("# Title")\nDisplay.html("<b>x</b>")\nDisplay.json({a: 1})\nSpell.sleep(5)',
          js="await Display.markdown('# Title')\nawait Display.html('<b>x</b>')\nawait Display.json({a: 1})\nawait Spell.sleep(5)")
    out = capsys.readouterr().out
    assert "# Title" in out and "<b>x</b>" in out and '"a": 1' in out
    with pytest.raises(ApiError, match="non-negative number"):
        spell(lua="Spell.sleep(-1)", tengo="Spell.sleep(-1)", js="await Spell.sleep(-1)")


def test_llm_failures_in_offline_mode_are_clear(spell):
    with pytest.raises(LLMError, match="mock/script needs `responses`"):
        spell(lua="LLM.complete('x', {model = 'mock/script'})", tengo='LLM.complete("x", {model: "mock/script"})', js="await LLM.complete('x', {model: 'mock/script'})")


def test_bad_response_formats_and_chat_roles_are_refused_at_once(spell):
    with pytest.raises(ApiError, match='response_format must be "text", "json" or a JSON schema'):
        spell(lua="Agent.create({response_format = 'yaml'})", tengo='Agent.create({response_format: "yaml"})',
              js='await Agent.create({response_format: "yaml"})')
    with pytest.raises(ApiError, match="unknown role\\(s\\) wizard; roles are system, user, assistant and tool"):
        spell(lua="LLM.chat({{role = 'wizard', content = 'x'}})", tengo='LLM.chat([{role: "wizard", content: "x"}])',
              js='await LLM.chat([{role: "wizard", content: "x"}])')
