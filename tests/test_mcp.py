"""MCP servers as tools: a real server written with the mcp package (tests/support/mcp_demo_server.py), over
stdio and streamable HTTP, driven from every engine, by agents, by the user's config and the `%spell` magic."""

from __future__ import annotations

import _thread
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmspell_kernel.errors import ApiError, InterruptedSpell, SpellError
from llmspell_kernel.runtime.session import Session

DEMO = Path(__file__).resolve().parent / "support" / "mcp_demo_server.py"
CALLS = {
    "lua": 'return Tool.call("demo.add", {a = 2, b = 40})',
    "js": 'await Tool.call("demo.add", {a: 2, b: 40})',
    "tengo": 'Tool.call("demo.add", {a: 2, b: 40})',
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One session with the demo server configured, as the user would in Python (servers are slow to start)."""
    with Session(offline=True, root=str(tmp_path_factory.mktemp("root"))) as session:
        session.mcp.add("demo", sys.executable, [str(DEMO)])
        yield session


def _events(session, name):
    return [(e.type, e.data) for e in session.events.list() if e.type.startswith("tool.") and
            e.data.get("name") == name]


@pytest.mark.parametrize("engine", sorted(CALLS))
def test_every_engine_calls_a_tool_of_the_server(demo, engine):
    before = len(_events(demo, "demo.add"))
    assert demo.run(CALLS[engine], engine) == 42
    call, result = _events(demo, "demo.add")[before:]
    assert call == ("tool.call", {"name": "demo.add", "server": "demo", "args": {"a": 2, "b": 40}})
    assert result == ("tool.result", {"name": "demo.add", "server": "demo", "result": 42})


def test_tools_are_listed_with_their_schemas(demo):
    names = demo.run("return Tool.list()", "lua")
    assert {"demo.add", "demo.echo", "calculator"} <= set(names)
    info = demo.run('return Tool.info("demo.add")', "lua")
    assert info["params"]["properties"] == {"a": {"title": "A", "type": "integer"},
                                            "b": {"title": "B", "type": "integer"}}
    assert info["description"] == "Add two integers."
    assert demo.run('Mcp.tools("demo")', "tengo") == sorted(n for n in names if n.startswith("demo."))


def test_arguments_are_validated_before_the_server_sees_them(demo):
    with pytest.raises(SpellError, match="argument 'a': 'x' is not of type 'integer'"):
        demo.run('return Tool.call("demo.add", {a = "x", b = 1})', "lua")
    with pytest.raises(SpellError, match="missing required argument 'text'"):
        demo.run('await Tool.call("demo.echo", {})', "js")


def test_a_failing_tool_is_a_clear_error_and_the_session_goes_on(demo):
    with pytest.raises(SpellError, match=r"MCP tool 'demo.fail' failed: .*boom") as caught:
        demo.run('Tool.call("demo.fail", {message: "boom"})', "tengo")
    assert "tengo" in str(caught.value)
    assert _events(demo, "demo.fail")[-1][0] == "tool.error"
    assert demo.run('return Tool.call("demo.echo", {text = "still here"})', "lua") == "still here"


def test_resources_and_prompts(demo):
    assert demo.run('return Mcp.resource("demo", "demo://motto")', "lua") == "spells all the way down"
    assert demo.run('await Mcp.resources("demo")', "js")[0]["uri"] == "demo://motto"
    assert demo.run('Mcp.prompt("demo", "review", {code: "x := 1"})', "tengo") == [
        {"role": "user", "content": "Please review:\nx := 1"}]
    assert demo.run('return Mcp.prompts("demo")', "lua")[0]["arguments"] == [{"name": "code", "required": True}]


def test_an_agent_calls_a_tool_of_the_server(demo):
    out = demo.run('''
        local a = Agent.create({name = "adder", model = "mock/script", tools = {"demo.add"},
                                responses = {{tool = "demo.add", args = {a = 20, b = 22}}, "the sum is in"}})
        return a:run("add them")''', "lua")
    assert out == "the sum is in"
    call = [e for e in demo.events.list(type="tool.call") if e.data["name"] == "demo.add"][-1]
    result = demo.events.list(type="tool.result")[-1]
    assert result.data == {"name": "demo.add", "server": "demo", "result": 42} and result.parent_id == call.id
    assert call.source == "tool:demo.add"


def test_a_provider_sees_server_tools_under_a_name_it_accepts(demo, server, env):
    from support.fake_openai import Reply

    server.push(Reply.tool_call("demo__add", {"a": 1, "b": 2}, id="call_1"), Reply.text("3 it is"))
    demo.configure({"offline": False})
    try:
        out = demo.run(f'''
            local a = Agent.create({{model = "openai/fake-model", api_base = "{server.url}", api_key = "k",
                                     tools = {{"demo.add"}}}})
            return a:run("1+2?")''', "lua")
    finally:
        demo.configure({"offline": True})
    assert out == "3 it is"
    first, second = server.bodies
    assert [t["function"]["name"] for t in first["tools"]] == ["demo__add"]  # providers allow no dot
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_1", "content": "3"}


def test_a_spell_cannot_start_a_process_or_name_an_unconfigured_server(tmp_path):
    with Session(offline=True, root=str(tmp_path)) as session:
        assert session.run("return Mcp.add", "lua") is None  # no such function in the API
        assert session.run("typeof Mcp.add", "js") == "undefined"
        with pytest.raises(SpellError, match="unknown MCP server 'fs'; configured servers: none"):
            session.run('return Mcp.tools("fs")', "lua")
        with pytest.raises(SpellError, match=r"unknown tool 'fs.read_file'"):
            session.run('Tool.call("fs.read_file", {path: "x"})', "tengo")
        with pytest.raises(SpellError, match="unknown tool"):
            session.run('return Agent.create({tools = {"fs.read_file"}})', "lua")
        with pytest.raises(ApiError, match="mcp cannot change in a running session"):
            session.configure({"mcp": {"servers": {"x": {"command": "sh"}}}})
        assert session.mcp.names() == [] and session.mcp._connections == {}


def test_a_server_is_reused_restarted_after_a_crash_and_stopped_with_the_session(tmp_path):
    with Session(offline=True, root=str(tmp_path)) as session:
        session.mcp.add("demo", sys.executable, [str(DEMO)])
        first = session.run('return Tool.call("demo.pid", {})', "lua")
        assert session.run('await Tool.call("demo.pid", {})', "js") == first  # the next cell reuses it
        with pytest.raises(SpellError, match=r"MCP server 'demo' stopped during tool 'demo.crash'.*starts again"):
            session.run('return Tool.call("demo.crash", {})', "lua")
        second = session.run('Tool.call("demo.pid", {})', "tengo")
        assert second != first
        _gone(first)
    _gone(second)  # the session's end stops its servers


def _gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    pytest.fail(f"MCP server process {pid} is still running")


def test_a_call_has_a_timeout(demo):
    demo.config.mcp_timeout = 1
    try:
        with pytest.raises(SpellError, match=r"MCP tool 'demo.slow' timed out after 1 s"):
            demo.run('return Tool.call("demo.slow", {seconds = 20})', "lua")
    finally:
        demo.config.mcp_timeout = 60.0
    assert demo.run('return Tool.call("demo.echo", {text = "after"})', "lua") == "after"


SLOW = {"lua": 'return Tool.call("demo.slow", {seconds = 60})', "js": 'await Tool.call("demo.slow", {seconds: 60})',
        "tengo": 'Tool.call("demo.slow", {seconds: 60})'}


@pytest.mark.parametrize("engine", sorted(SLOW))
def test_the_time_limit_of_a_cell_ends_a_call_in_every_engine(demo, engine):
    began = time.monotonic()
    with pytest.raises(SpellError, match="time limit of 1 s"):
        demo.run(SLOW[engine], engine, timeout=1)
    assert time.monotonic() - began < 50  # a generous guard: the call did not run its 60 s
    assert demo.run('return Tool.call("demo.echo", {text = "next"})', "lua") == "next"


def test_the_stop_button_cancels_a_call(demo):
    timer = threading.Timer(1.0, _thread.interrupt_main)  # what the kernel's interrupt does: SIGINT
    timer.start()
    began = time.monotonic()
    with pytest.raises(InterruptedSpell):
        demo.run('return Tool.call("demo.slow", {seconds = 60})', "lua")
    assert time.monotonic() - began < 50  # a generous guard: the call did not run to its end
    assert demo.run('return Tool.call("demo.echo", {text = "next"})', "lua") == "next"


def test_sampling_goes_through_the_llm_layer_with_its_events(demo):
    assert demo.run('return Tool.call("demo.summarize", {text = "tides rise"})', "lua") == "summary: tides rise"
    call = [e for e in demo.events.list(type="tool.call") if e.data["name"] == "demo.summarize"][-1]
    request = demo.events.list(type="llm.request")[-1]
    assert request.data["model"] == "mock/echo" and request.data["messages"][-1]["content"] == "tides rise"
    assert request.parent_id == call.id  # the model call is part of the tool call's span


def test_elicitation_asks_through_spell_input(demo, monkeypatch):
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt="": asked.append((prompt, threading.current_thread())) or "Ada")
    assert demo.run('await Tool.call("demo.greet", {})', "js") == "hello Ada"
    # asked on the thread that runs the cell, where ipykernel's input works
    assert asked == [("[demo] Your name? Name: ", threading.main_thread())]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_streamable_http_server_from_every_engine(tmp_path):
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(DEMO), "http", str(port)], stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        with Session(offline=True, root=str(tmp_path)) as session:
            session.mcp.add("web", url=f"http://127.0.0.1:{port}/mcp")
            assert session.run('return Tool.call("web.echo", {text = "lua"})', "lua") == "lua"
            assert session.run('await Tool.call("web.add", {a: 1, b: 1})', "js") == 2
            assert session.run('Mcp.resource("web", "demo://motto")', "tengo") == "spells all the way down"
            assert session.mcp.describe() == [{"name": "web", "transport": "http",
                                               "url": f"http://127.0.0.1:{port}/mcp", "running": True}]
    finally:
        process.terminate()
        process.wait(30)


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the demo server did not listen on {port}")


def test_servers_come_from_config_toml(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'[mcp.servers.demo]\ncommand = {json.dumps(sys.executable)}\nargs = [{json.dumps(str(DEMO))}]\n'
                      'timeout = 30\n', encoding="utf-8")
    monkeypatch.setenv("LLMSPELL_CONFIG", str(config))
    with Session(offline=True, root=str(tmp_path)) as session:
        assert session.run("return Mcp.servers()", "lua")[0]["running"] is False  # started on first use only
        assert session.run('return Tool.call("demo.echo", {text = "from config"})', "lua") == "from config"


@pytest.mark.parametrize("table, message", [
    ('[mcp.servers.x]\nargs = ["y"]\n', r"needs either `command` \(stdio\) or `url`"),
    ('[mcp.servers.x]\ncommand = "y"\nport = 1\n', r"unknown field\(s\) port"),
    ('[mcp.servers.x]\nurl = "ftp://h"\n', "url must start with http"),
    ('[mcp.servers."a b"]\ncommand = "y"\n', "invalid MCP server name"),
])
def test_a_bad_server_table_is_a_clear_error(tmp_path, monkeypatch, table, message):
    config = tmp_path / "config.toml"
    config.write_text(table, encoding="utf-8")
    monkeypatch.setenv("LLMSPELL_CONFIG", str(config))
    with Session(offline=True, root=str(tmp_path)) as session, pytest.raises(SpellError, match=message):
        session.run("return Mcp.servers()", "lua")


def test_a_server_that_does_not_start_says_why(tmp_path):
    with Session(offline=True, root=str(tmp_path)) as session:
        session.mcp.add("broken", sys.executable, ["-c", "import sys; sys.stderr.write('no luck here'); sys.exit(2)"])
        with pytest.raises(SpellError, match=r"(?s)MCP server 'broken' did not start.*no luck here"):
            session.run('return Mcp.tools("broken")', "lua")
        assert "calculator" in session.run("return Tool.list()", "lua")  # the other tools stay listed


def test_the_magic_adds_and_lists_servers(ip):
    import llmspell_kernel

    ip.run_line_magic("spell", f"mcp add magicdemo -- {sys.executable} {DEMO}")
    listed = ip.run_line_magic("spell", "mcp list").value
    assert {"name": "magicdemo", "transport": "stdio", "command": sys.executable, "args": [str(DEMO)],
            "running": False} in listed
    result = ip.run_cell('%%spell lua\nreturn Tool.call("magicdemo.echo", {text = "via magic"})')
    assert result.result.value == "via magic"
    bad = ip.run_cell("%spell mcp add onlyname")
    assert "usage: %spell mcp list" in str(bad.error_in_exec)
    llmspell_kernel.session().mcp.close()


def test_mcp_is_imported_only_when_a_server_is_used(tmp_path):
    code = f"""
import json, sys
from llmspell_kernel.runtime.session import Session
with Session(offline=True) as s:
    s.mcp.add("demo", {sys.executable!r}, [{str(DEMO)!r}])
    s.run('return Tool.call("calculator", {{expression = "1+1"}})', "lua")
    before = "mcp" in sys.modules
    s.run('return Tool.call("demo.echo", {{text = "x"}})', "lua")
    print(json.dumps([before, "mcp" in sys.modules]))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                         env={**os.environ, "LLMSPELL_CONFIG": os.devnull})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, True]


def test_in_a_real_kernel_tab_starts_no_server_the_stop_button_cancels_and_elicitation_asks_the_frontend(tmp_path):
    from jupyter_client.manager import start_new_kernel
    from test_kernel import execute

    km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path))
    try:
        reply, _ = execute(kc, f"%spell mcp add demo -- {sys.executable} {DEMO}", timeout=120)
        assert reply["status"] == "ok", reply
        code = 'Tool.call("demo.'
        kc.complete(code, len(code))
        assert kc.get_shell_msg(timeout=60)["content"]["matches"] == []  # Tab did not start the server
        reply, outputs = execute(kc, "return Mcp.servers()[1].running", timeout=60)
        assert outputs[-1][1]["data"]["text/plain"] == "false"
        reply, outputs = execute(kc, 'return Tool.call("demo.echo", {text = "in a kernel"})', timeout=120)
        assert outputs[-1][1]["data"]["text/plain"] == "in a kernel"
        kc.complete(code, len(code))
        assert "demo.echo" in kc.get_shell_msg(timeout=60)["content"]["matches"]  # started: now offered

        msg_id = kc.execute('return Tool.call("demo.slow", {seconds = 60})')
        time.sleep(2)
        began = time.monotonic()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=60)
        assert time.monotonic() - began < 50, "the interrupt did not cut the 60 s call short"
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "InterruptedSpell"
        reply, outputs = execute(kc, 'return Tool.call("demo.echo", {text = "after"})', timeout=60)
        assert outputs[-1][1]["data"]["text/plain"] == "after"  # the same server, still serving

        # the server's elicitation reaches the notebook's input box, as Spell.input does
        msg_id = kc.execute('return Tool.call("demo.greet", {})', allow_stdin=True)
        request = kc.get_stdin_msg(timeout=60)
        assert request["msg_type"] == "input_request" and request["content"]["prompt"] == "[demo] Your name? Name: "
        kc.input("Grace")
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
                assert msg["content"]["data"]["text/plain"] == "hello Grace"
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_calls_that_arrive_together_share_one_start_of_a_server(tmp_path):
    with Session(offline=True, root=str(tmp_path)) as session:
        session.mcp.add("demo", sys.executable, [str(DEMO)])
        futures = [session.submit(session.tools.call, "demo.pid", {}) for _ in range(4)]
        pids = [f.result(timeout=120) for f in futures]
        assert len(set(pids)) == 1 and session.mcp._connections["demo"].starts == 1
        result = session.run('''
            local wf = Workflow.parallel({steps = {{tool = "demo.pid"}, {tool = "demo.pid"},
                                                   {tool = "demo.echo", args = {text = "x"}}}})
            return wf:run({})''', "lua")
        assert result["status"] == "completed" and result["output"] == [pids[0], pids[0], "x"]


def test_adding_a_server_again_replaces_it_and_sampling_uses_its_model(tmp_path):
    with Session(offline=True, root=str(tmp_path)) as session:
        session.mcp.add("demo", sys.executable, [str(DEMO)])
        first = session.run('return Tool.call("demo.pid", {})', "lua")
        session.mcp.add("demo", sys.executable, [str(DEMO)], sampling_model="mock/script", timeout=30)
        _gone(first)  # the old process stopped at once
        assert session.run('return Tool.call("demo.pid", {})', "lua") != first
        # the server's own sampling model answers (mock/script with no responses fails, as the server is told)
        with pytest.raises(SpellError, match=r"MCP tool 'demo.summarize' failed: .*mock/script needs `responses`"):
            session.run('return Tool.call("demo.summarize", {text = "x"})', "lua")
        assert session.events.list(type="llm.request")[-1].data["model"] == "mock/script"
