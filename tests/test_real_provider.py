"""The real-provider path (litellm), end to end from Lua spells, against a local fake OpenAI server.

Nothing here leaves 127.0.0.1: every model is `openai/fake-model` with `api_base` set to the
fake server started for each test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply
from support.guards import GUARD, guarded, wait_until

from llmspell_kernel.errors import ApiError, LLMError, MissingKeyError
from llmspell_kernel.runtime.session import Session

MODEL = "openai/fake-model"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def session(env):
    s = Session(offline=False, model=None)
    s.llm.retry.base_delay = 0.01
    yield s
    s.close()


def opts(server: FakeOpenAI, **extra) -> str:
    """A Lua options table for the fake model."""
    fields = {"model": MODEL, "api_base": server.url, **extra}
    return "{" + ", ".join(f"{k}={_lua(v)}" for k, v in fields.items()) + "}"


def _lua(value) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Lua string literal for these values
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    return repr(value)


# plain text and streaming ---------------------------------------------------------


def test_complete_plain_text(session, server):
    server.push(Reply.text("Tides rise and fall.", usage=(11, 7)))
    out = session.run(f'return LLM.complete("Say something", {opts(server, system="Be brief.")})')
    assert out == "Tides rise and fall."
    assert server.calls == 1
    body = server.bodies[0]
    assert body["model"] == "fake-model"
    assert body["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Say something"}]
    [response] = session.events.list(type="llm.response")
    assert response.data["model"] == MODEL
    assert response.data["usage"]["prompt_tokens"] == 11
    assert response.data["usage"]["completion_tokens"] == 7


def test_complete_echoes_when_nothing_is_scripted(session, server):
    assert session.run(f'return LLM.complete("echo me please", {opts(server)})') == "echo me please"


def test_stream_gives_several_chunks_and_the_full_text(session, server):
    server.push(Reply.text("one two three four five"))
    chunks, full = session.run(textwrap.dedent(f"""
        local chunks = {{}}
        local full = LLM.stream("count", function(c) table.insert(chunks, c) end, {opts(server)})
        return {{chunks, full}}
    """))
    assert full == "one two three four five"
    assert len(chunks) >= 3
    assert "".join(chunks) == full
    assert server.bodies[0]["stream"] is True


# tools --------------------------------------------------------------------------------


def _agent(server: FakeOpenAI, **extra) -> str:
    return f"local a = Agent.create({opts(server, tools=['calculator'], **extra)})\n"


def test_two_round_tool_call(session, server):
    server.push(Reply.tool_call("calculator", {"expression": "6*7"}, id="call_calc_1"),
                Reply.text("The answer is 42."))
    out = session.run(_agent(server) + 'return a:run("What is 6*7?")')
    assert out == "The answer is 42."
    assert server.calls == 2
    first, second = server.bodies
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator"]
    assert first["messages"] == [{"role": "user", "content": "What is 6*7?"}]
    assistant, tool = second["messages"][1], second["messages"][2]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0]["id"] == "call_calc_1"
    assert assistant["tool_calls"][0]["function"]["name"] == "calculator"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"expression": "6*7"}
    assert tool == {"role": "tool", "tool_call_id": "call_calc_1", "content": "42"}
    assert session.events.list(type="llm.response")[0].data["tool_calls"] == [
        {"name": "calculator", "arguments": '{"expression": "6*7"}'}]


def test_malformed_tool_arguments_twice_fail_clearly(session, server):
    server.push(Reply.tool_call("calculator", '{"expression": "6*'),
                Reply.tool_call("calculator", "{oops"),
                Reply.text("never reached"))
    with pytest.raises(LLMError) as info:
        session.run(_agent(server, name="calc") + 'return a:run("What is 6*7?")')
    message = info.value.message
    assert "agent 'calc'" in message
    assert "malformed tool arguments twice" in message
    assert "{oops" in message
    assert server.calls == 2 and server.pending == 1


def test_malformed_tool_arguments_once_then_valid_recovers(session, server):
    server.push(Reply.tool_call("calculator", '{"expression": "6*', id="bad"),
                Reply.tool_call("calculator", {"expression": "6*7"}, id="good"),
                Reply.text("It is 42."))
    assert session.run(_agent(server) + 'return a:run("What is 6*7?")') == "It is 42."
    assert server.calls == 3
    # the model was told what was wrong with its arguments
    bad_result = server.bodies[1]["messages"][-1]
    assert bad_result["role"] == "tool" and bad_result["tool_call_id"] == "bad"
    assert "not valid JSON" in json.loads(bad_result["content"])["error"]
    assert server.bodies[2]["messages"][-1] == {"role": "tool", "tool_call_id": "good", "content": "42"}


# failures and retries ---------------------------------------------------------------------


def test_429_is_retried_then_succeeds(session, server):
    server.push(Reply.error(429, "slow down", retry_after=0), Reply.text("made it"))
    assert session.run(f'return LLM.complete("hi", {opts(server)})') == "made it"
    assert server.calls == 2
    [retry] = session.events.list(type="llm.retry")
    assert retry.data["attempt"] == 1
    assert "429" in retry.data["error"]
    assert not session.events.list(type="llm.error")


def test_500_three_times_fails_clearly(session, server):
    server.push(Reply.error(500, "the fake broke"), Reply.error(500, "the fake broke"),
                Reply.error(500, "the fake broke"), Reply.text("too late"))
    with pytest.raises(LLMError) as info:
        session.run(f'return LLM.complete("hi", {opts(server)})')
    message = info.value.message
    assert "openai" in message and MODEL in message
    assert "HTTP 500" in message
    assert "after 3 attempts" in message
    assert "the fake broke" in message
    assert server.calls == 3 and server.pending == 1
    assert len(session.events.list(type="llm.retry")) == 2
    [error] = session.events.list(type="llm.error")
    assert error.data["attempts"] == 3


def test_timeout_fails_clearly(session, server):
    server.push(*[Reply.delayed(600, Reply.text("too slow")) for _ in range(3)])  # each ten times the guard
    import litellm  # noqa: F401  (seconds to import on a busy machine: before the guarded window, not in it)

    with guarded(), pytest.raises(LLMError) as info:
        session.run(f'return LLM.complete("hi", {opts(server, timeout=0.3)})')
    message = info.value.message
    assert MODEL in message
    assert "timed out" in message.lower()
    assert server.calls == 3  # a timeout is transient: retried like a 5xx
    assert "after 3 attempts" in message
    wait_until(lambda: server.abandoned == 3, "the end of the three requests")  # each try was cut short


def test_missing_api_key_names_the_variable(session, server, env):
    env.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingKeyError) as info:
        session.run(f'return LLM.complete("hi", {opts(server)})')
    assert "OPENAI_API_KEY" in info.value.message
    assert server.calls == 0  # it fails before any request


def test_api_key_option_replaces_the_environment(session, server, env):
    env.delenv("OPENAI_API_KEY")
    server.push(Reply.text("keyed"))
    assert session.run(f'return LLM.complete("hi", {opts(server, api_key="sk-from-spell")})') == "keyed"
    assert server.requests[0].headers.get("Authorization") == "Bearer sk-from-spell"


# import cost ---------------------------------------------------------------------------------


def test_mock_only_session_does_not_import_litellm(env):
    code = textwrap.dedent("""
        import sys
        from llmspell_kernel.runtime.session import Session
        with Session(offline=False, model=None) as s:
            s.run('local a = Agent.create({model="mock/echo"})\\n'
                  'return LLM.complete("hi", {model="mock/echo"}) .. a:run("x")', "lua")
        print('litellm' in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


# the fake server itself (its non-streaming path, which the provider does not use) ---------------


def test_fake_server_serves_plain_json(server):
    server.push(Reply.tool_call("calculator", "{bad json", id="c1"))

    def post(path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=GUARD) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, reply = post("/v1/chat/completions", {"model": "fake-model",
                                                  "messages": [{"role": "user", "content": "x"}]})
    assert status == 200
    call = reply["choices"][0]["message"]["tool_calls"][0]
    assert call == {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": "{bad json"}}
    status, reply = post("/chat/completions", {"messages": [{"role": "user", "content": "echo this"}]})
    assert status == 200 and reply["choices"][0]["message"]["content"] == "echo this"
    assert reply["usage"]["total_tokens"] > 0
    status, reply = post("/v1/nowhere", {})
    assert status == 404 and "error" in reply
    assert server.calls == 2


# Retry-After, the circuit breaker, run options ---------------------------------------------


def test_retry_after_is_obeyed(session, server):
    server.push(Reply.error(429, "slow down", retry_after=0.6), Reply.text("waited"))
    began = time.monotonic()
    assert session.run(f'return LLM.complete("hi", {opts(server)})') == "waited"
    assert time.monotonic() - began >= 0.6  # the backoff alone would be ~10 ms in this session
    [retry] = session.events.list(type="llm.retry")
    assert "429" in retry.data["error"]


def test_circuit_breaker_fails_fast_then_recovers(env, server):
    s = Session(offline=False, model=None, llm_retries=1, llm_breaker_failures=2, llm_breaker_cooldown=0.5)
    try:
        server.push(Reply.error(500, "down"), Reply.error(500, "down"))
        call = f'return LLM.complete("hi", {opts(server)})'
        for _ in range(2):
            with pytest.raises(LLMError, match="HTTP 500"):
                s.run(call)
        [opened] = s.events.list(type="llm.circuit_open")
        assert opened.data["failures"] == 2 and opened.data["cooldown"] == 0.5
        assert opened.data["provider"] == f"openai@{server.url}"
        with pytest.raises(LLMError, match=r"circuit is open after 2 consecutive failed calls; calls fail fast"):
            s.run(call)
        assert server.calls == 2  # the fast failure never reached the server
        time.sleep(0.6)
        server.push(Reply.text("back"))
        assert s.run(call) == "back"  # half-open: one trial call, which succeeds and closes the circuit
        assert len(s.events.list(type="llm.circuit_close")) == 1
        assert s.run(call) == "hi"
    finally:
        s.close()


def test_client_errors_do_not_open_the_circuit(env, server):
    s = Session(offline=False, model=None, llm_retries=1, llm_breaker_failures=1)
    try:
        server.push(Reply.error(400, "bad request"), Reply.text("fine"))
        with pytest.raises(LLMError, match="HTTP 400"):
            s.run(f'return LLM.complete("hi", {opts(server)})')
        assert s.run(f'return LLM.complete("hi", {opts(server)})') == "fine"
        assert not s.events.list(type="llm.circuit_open")
    finally:
        s.close()


def test_run_options_override_the_agent_for_one_run(session, server):
    code = (f'local a = Agent.create({opts(server, system="Agent system", temperature=0.9)})\n'
            'local first = a:run("one", {system = "Run system", temperature = 0.1, max_tokens = 5})\n'
            'local second = a:run("two")\n'
            'return {first, second}')
    assert session.run(code) == ["one", "two"]
    first, second = server.bodies
    assert first["messages"][0]["content"] == "Run system" and first["temperature"] == 0.1
    assert first["max_tokens"] == 5
    assert second["messages"][0]["content"] == "Agent system" and second["temperature"] == 0.9
    with pytest.raises(ApiError, match="unknown run option"):
        session.run('Agent.get(Agent.list()[1]):run("x", {colour = "red"})')


# workflows against a real server ----------------------------------------------------------------


def test_parallel_workflow_of_ten_agents_overlaps(session, server):
    server.push(*[Reply.delayed(0.2) for _ in range(10)])
    code = textwrap.dedent(f"""
        local steps = {{}}
        for i = 1, 10 do steps[i] = Agent.create({opts(server)[:-1]}, name = "par_" .. i}}) end
        local result = Workflow.parallel({{steps = steps}}):run("ping")
        return result
    """)
    began = time.perf_counter()
    result = session.run(code)
    wall = time.perf_counter() - began
    assert result["status"] == "completed" and result["output"] == ["ping"] * 10
    assert server.calls == 10
    print(f"parallel workflow, 10 agents x 200 ms: {wall * 1000:.0f} ms")
    assert server.peak_in_flight == 10, "the ten model calls were not all in flight at once"
