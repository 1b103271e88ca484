"""Every built-in tool is bounded: whatever arguments a spell or a model's tool call gives, the call ends
with a result or a clear error, having done bounded work (SECURITY.md, "Built-in tools")."""

from __future__ import annotations

import http.server
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time

import pytest

from llmspell_kernel.errors import ApiError
from llmspell_kernel.runtime import tools

POWER_TOWER = "((9**999)**999)**999"  # unbounded, this took forever
FILE_LIMIT, LISTING_LIMIT = 5 * 1024 * 1024, 1000  # as SECURITY.md documents them


def call(spell, tool: str, args: dict) -> object:
    """Tool.call(tool, args) from the spell's engine, with the args written as a literal of that engine."""
    def literal(sep: str) -> str:
        return "{" + ", ".join(f"{key}{sep}{json.dumps(value)}" for key, value in args.items()) + "}"

    return spell(lua=f"return Tool.call({json.dumps(tool)}, {literal(' = ')})",
                 tengo=f"Tool.call({json.dumps(tool)}, {literal(': ')})",
                 js=f"await Tool.call({json.dumps(tool)}, {literal(': ')})")


@pytest.mark.parametrize("expression, message", [
    ("9**999 * 9**999 * 9**999 * 9**999 * 9**999", "a number beyond 4096 bits"),
    ("10.0**400", "the result is too large"),
    ("exp(1000)", "the result is too large"),
    ("(-8)**(1/3)", "not a real number"),
    ("sqrt(10**1000)", "the result is too large"),
    ("1+" * 600 + "1", "expression too long"),
    ("(" * 400 + "1" + ")" * 400, "cannot parse"),
    ("2**10001", "exponent too large"),
], ids=["product", "float-power", "exp", "complex", "int-to-float", "too-long", "nested", "exponent"])
def test_the_calculator_is_bounded(spell, expression, message):
    with pytest.raises(ApiError, match=re.escape(message)):
        call(spell, "calculator", {"expression": expression})
    assert call(spell, "calculator", {"expression": "9**999 % 1000 + round(2.5) + max(1, 2)"}) == 889 + 2 + 2


# Unbounded, these computed for ever without releasing the GIL: they run in a process of their own, whose
# CPU time is measured; the wall-clock guard is only the outer one.
RUNAWAY = {
    "lua": f"""local _, tower = pcall(Tool.call, 'calculator', {{expression = '{POWER_TOWER}'}})
local _, rounding = pcall(Tool.call, 'calculator', {{expression = 'round(5, -10**9)'}})
local answer = Agent.create({{model = 'mock/script', tools = {{'calculator'}}, responses = {{
  {{tool = 'calculator', args = {{expression = '{POWER_TOWER}'}}}}, 'done'}}}}):run('go')
print(tostring(tower)) print(tostring(rounding)) print(answer)
print(Event.list({{type = 'tool.error'}})[3].data.error)""",
    "js": f"""const fails = async (e) => {{ try {{ await Tool.call('calculator', {{expression: e}}) }} catch (x) {{ return x.message }} }}
console.log(await fails('{POWER_TOWER}')); console.log(await fails('round(5, -10**9)'))
console.log(await new Agent({{model: 'mock/script', tools: ['calculator'], responses: [
  {{tool: 'calculator', args: {{expression: '{POWER_TOWER}'}}}}, 'done']}}).run('go'))
console.log((await Event.list({{type: 'tool.error'}}))[2].data.error)""",
    "tengo": f"""display(Tool.call("calculator", {{expression: "{POWER_TOWER}"}}).value)
display(Tool.call("calculator", {{expression: "round(5, -10**9)"}}).value)
display(Agent.create({{model: "mock/script", tools: ["calculator"], responses: [
  {{tool: "calculator", args: {{expression: "{POWER_TOWER}"}}}}, "done"]}}).run("go"))
display(Event.list({{type: "tool.error"}})[2].data["error"])""",
}


@pytest.mark.parametrize("engine", sorted(RUNAWAY))
def test_runaway_arithmetic_from_a_spell_or_a_models_tool_call_ends(tmp_path, engine):
    (tmp_path / f"runaway.{engine}").write_text(RUNAWAY[engine])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", f"runaway.{engine}"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "LLMSPELL_OFFLINE": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == 0, result.stderr
    tower, rounding, answer, seen = result.stdout.strip().splitlines()
    assert "a number beyond 4096 bits" in tower and "round() takes at most 100 digits" in rounding
    assert answer == "done"  # the model got the error as the tool's answer, and went on
    assert "a number beyond 4096 bits" in seen
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 60  # CPU seconds, start-up included


def test_file_tools_are_bounded(spell, tmp_path):
    (tmp_path / "big.txt").write_bytes(b"x" * (FILE_LIMIT + 1))
    with pytest.raises(ApiError, match=r"file_read: 'big\.txt' is larger than 5 MB"):
        call(spell, "file_read", {"path": "big.txt"})
    (tmp_path / "crowd").mkdir()
    for i in range(LISTING_LIMIT + 1):
        (tmp_path / "crowd" / f"{i}").touch()
    with pytest.raises(ApiError, match="holds more than 1000 entries"):
        call(spell, "file_list", {"path": "crowd"})
    (tmp_path / "crowd" / "0").unlink()
    assert len(call(spell, "file_list", {"path": "crowd"})) == LISTING_LIMIT
    n = FILE_LIMIT + 1
    with pytest.raises(ApiError, match="file_write: content larger than 5 MB"):
        spell(lua=f"return Tool.call('file_write', {{path = 'out.txt', content = string.rep('y', {n})}})",
              tengo=f'text := import("text")\nTool.call("file_write", {{path: "out.txt", content: text.repeat("y", {n})}})',
              js=f"await Tool.call('file_write', {{path: 'out.txt', content: 'y'.repeat({n})}})")
    assert not (tmp_path / "out.txt").exists()


def test_other_tools_refuse_or_answer_any_input(spell):
    with pytest.raises(ApiError, match="datetime_now: unknown timezone"):  # was an OSError naming a Python path
        call(spell, "datetime_now", {"timezone": "a" * 100_000})
    assert call(spell, "json_query", {"data": "text", "path": "a." * 100_000}) is None  # linear in the path
    assert len(call(spell, "uuid", {})) == 36


BOUNDED = [  # (tool, its arguments as a model gives them, the error the model gets back)
    ("calculator", {"expression": "round(5, -10**9)"}, "round() takes at most 100 digits"),
    ("file_read", {"path": "big.txt"}, "is larger than 5 MB"),
    ("file_list", {"path": "crowd"}, "holds more than 1000 entries"),
    ("file_write", {"path": "out.txt", "content": "y" * (FILE_LIMIT + 1)}, "content larger than 5 MB"),
    ("datetime_now", {"timezone": "a" * 100_000}, "unknown timezone"),
    ("web_fetch", {"url": "DRIP"}, "took longer than 2 s"),
    ("http_request", {"method": "GET", "url": "DRIP"}, "took longer than 2 s"),
]


@pytest.mark.parametrize("tool, args, message", BOUNDED, ids=[name for name, _, _ in BOUNDED])
def test_a_models_call_of_each_bounded_tool_gets_the_error_and_the_agent_goes_on(lua, tmp_path, drip, tool, args,
                                                                                message):
    (tmp_path / "big.txt").write_bytes(b"x" * (FILE_LIMIT + 1))
    (tmp_path / "crowd").mkdir()
    for i in range(LISTING_LIMIT + 1):
        (tmp_path / "crowd" / f"{i}").touch()
    lua.session.sandbox.allowed_hosts = ["127.0.0.1"]
    lua.session.engine("lua").set_global("call_args", json.loads(json.dumps(args).replace('"DRIP"', json.dumps(drip))))
    answer = lua(f"return Agent.create({{model = 'mock/script', tools = {{'{tool}'}}, responses = {{"
                 f"{{tool = '{tool}', args = call_args}}, 'done'}}}}):run('go')")
    assert answer == "done"
    [error] = lua.session.events.list(type="tool.error")
    assert message in error.data["error"]


class _Drip(http.server.BaseHTTPRequestHandler):
    """Answers with headers, then one byte of body every 0.2 s, for ever (a slow-loris server)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100000000")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            return

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def drip(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(tools, "HTTP_SECONDS", 2.0, raising=False)  # the whole request; 30 s in use
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_http_tools_end_at_their_deadline_even_when_the_server_drips(spell, drip):
    spell.session.sandbox.allowed_hosts = ["127.0.0.1"]
    for tool, args in [("web_fetch", {"url": drip}), ("http_request", {"method": "GET", "url": drip})]:
        with pytest.raises(ApiError, match="took longer than 2 s"):  # unbounded, it read until 100 MB came
            call(spell, tool, args)
