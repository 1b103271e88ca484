"""`llmspell mcp serve`: a named session's tools and agents, driven by the mcp package's own client over stdio
and streamable HTTP; script tools of every engine come back from the store in the serving process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest

from llmspell_kernel.runtime.session import Session

SCRIPT_TOOLS = {
    "lua": 'Tool.register({name = "shout", description = "Upper-case a text", '
           'params = {type = "object", properties = {text = {type = "string"}}, required = {"text"}}, '
           'fn = function(args) return string.upper(args.text) end})',
    "js": 'Tool.register({name: "double", description: "Twice a number", '
          'params: {type: "object", properties: {n: {type: "number"}}, required: ["n"]}, '
          'fn: (args) => args.n * 2})',
    "tengo": 'Tool.register({name: "greet", description: "A greeting", '
             'params: {type: "object", properties: {who: {type: "string"}}, required: ["who"]}, '
             'fn: func(args) { return "hi " + args.who }})',
}


@pytest.fixture
def served(data_home, monkeypatch, tmp_path):
    """A named session with a script tool in each engine and an agent, saved to its store."""
    monkeypatch.setenv("LLMSPELL_CONFIG", os.devnull)
    monkeypatch.setenv("LLMSPELL_OFFLINE", "1")
    with Session(session="served", root=str(tmp_path)) as session:
        for engine, code in SCRIPT_TOOLS.items():
            session.run(code, engine)
        session.run('Agent.create({name = "helper", system = "Be brief."})', "lua")
    return {**os.environ}


def _client_calls(transport) -> dict:
    from mcp import ClientSession

    async def run() -> dict:
        async with transport() as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            listed = {t.name: t for t in (await client.list_tools()).tools}
            results = [await client.call_tool(name, args) for name, args in [
                ("shout", {"text": "tides"}), ("double", {"n": 21}), ("greet", {"who": "Ada"}),
                ("agent.helper", {"prompt": "hello there"}), ("calculator", {"expression": "6*7"}),
                ("shout", {"text": 5}), ("agent.nobody", {"prompt": "x"})]]
            return {"listed": listed, "results": results}

    return asyncio.run(asyncio.wait_for(run(), 180))


def _text(result) -> str:
    return "".join(block.text for block in result.content)


def _check(out: dict) -> None:
    listed, results = out["listed"], out["results"]
    assert {"shout", "double", "greet", "agent.helper", "calculator", "file_read"} <= set(listed)
    assert listed["double"].input_schema["properties"] == {"n": {"type": "number"}}
    assert listed["agent.helper"].input_schema["required"] == ["prompt"]
    assert [(_text(r), r.is_error) for r in results[:5]] == [
        ("TIDES", False), ("42", False), ("hi Ada", False), ("hello there", False), ("42", False)]
    bad_argument, unknown_agent = results[5:]
    assert bad_argument.is_error and _text(bad_argument) == "tool 'shout': argument 'text': 5 is not of type 'string'"
    assert unknown_agent.is_error and _text(unknown_agent) == "no agent named 'nobody'; agents: helper"


def _events_of(tmp_path) -> list[tuple[str, str]]:
    with Session(session="served", root=str(tmp_path)) as session:
        return [(e.type, e.data.get("name") or e.data.get("agent")) for e in session.events.list()
                if e.type in ("tool.call", "tool.result", "tool.error", "agent.start")]


def test_stdio_serves_script_tools_of_every_engine_and_agents(served, tmp_path):
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "llmspell_kernel", "mcp", "serve",
                                                                 "--session", "served"], env=served, cwd=str(tmp_path))
    _check(_client_calls(lambda: stdio_client(params)))
    events = _events_of(tmp_path)
    for name in ("shout", "double", "greet", "calculator"):
        assert ("tool.call", name) in events and ("tool.result", name) in events
    assert ("tool.error", "shout") in events and ("agent.start", "helper") in events


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http_serves_the_same(served, tmp_path):
    from mcp.client.streamable_http import streamable_http_client

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "llmspell_kernel", "mcp", "serve", "--session", "served",
                               "--http", f"127.0.0.1:{port}"], env=served, cwd=tmp_path,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, server.stderr.read()
            time.sleep(0.2)
        _check(_client_calls(lambda: streamable_http_client(f"http://127.0.0.1:{port}/mcp")))
    finally:
        server.terminate()
        server.wait(30)
    assert ("tool.result", "greet") in _events_of(tmp_path)


def test_a_bad_address_is_a_usage_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "llmspell_kernel", "mcp", "serve", "--http", "nowhere"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 2 and "expected HOST:PORT" in out.stderr
