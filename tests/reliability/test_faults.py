"""Faults at the provider: each one fails clearly (or recovers), retries only where right, emits its
`llm.retry` / `llm.error` events, and never hangs the spell.

Against the local fake OpenAI server (tests/support/fake_openai.py); nothing leaves 127.0.0.1.
The full list of provider faults under test, with where each is covered:

| fault                                        | where                                                       |
|----------------------------------------------|-------------------------------------------------------------|
| 429 with Retry-After, then success           | test_real_provider.py::test_429_is_retried_then_succeeds,   |
|                                              | ::test_retry_after_is_obeyed; here: through an agent        |
| 500 on every try                             | test_real_provider.py::test_500_three_times_fails_clearly   |
| 500 once, then success                       | here: test_a_single_500_is_retried_and_counted_at_the_server|
| slow first byte beyond the timeout           | test_real_provider.py::test_timeout_fails_clearly (plain);  |
|                                              | here: the streaming path                                    |
| malformed tool arguments                     | test_real_provider.py::test_malformed_tool_arguments_*      |
| repeated failures open the circuit           | test_real_provider.py::test_circuit_breaker_fails_fast_...  |
| missing API key                              | test_real_provider.py::test_missing_api_key_names_...       |
| connection refused (a closed port)           | here                                                        |
| connection reset mid-stream / before a body  | here (the fake server's `Reply.reset`)                      |
| invalid JSON body                            | here (the fake server's `Reply.invalid_json`)               |
| an unknown tool name in a tool call          | here                                                        |
| a tool loop that never ends (max_iterations) | here                                                        |
"""

from __future__ import annotations

import json
import socket
import time

import pytest
from support.fake_openai import Reply
from support.guards import guarded, wait_until

from llmspell_kernel.errors import ApiError, LLMError
from llmspell_kernel.runtime.session import Session

MODEL = "openai/fake-model"


@pytest.fixture
def session(env, tmp_path):
    s = Session(offline=False, model=None, root=str(tmp_path))
    s.llm.retry.base_delay = 0.01
    yield s
    s.close()


def opts(api_base: str, **extra) -> str:
    fields = {"model": MODEL, "api_base": api_base, **extra}
    return "{" + ", ".join(f"{k} = {_lua(v)}" for k, v in fields.items()) + "}"


def _lua(value) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    return repr(value)


def timed(session: Session, code: str):
    """Run a Lua spell under the guard (no fault may hang it); return (value or the SpellError raised, seconds)."""
    import litellm  # noqa: F401  (seconds to import on a busy machine: before the guarded window, not in it)

    began = time.monotonic()
    with guarded():
        try:
            value = session.run(code)
        except (LLMError, ApiError) as exc:
            value = exc
    return value, time.monotonic() - began


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connect() is refused
    return port


def test_connection_refused_is_retried_then_fails_clearly(session):
    base = f"http://127.0.0.1:{closed_port()}/v1"
    error, _ = timed(session, f'return LLM.complete("hi", {opts(base)})')
    assert isinstance(error, LLMError), error
    assert MODEL in error.message and "after 3 attempts" in error.message
    assert "connect" in error.message.lower()
    retries = session.events.list(type="llm.retry")
    assert [r.data["attempt"] for r in retries] == [1, 2]
    [failed] = session.events.list(type="llm.error")
    assert failed.data["attempts"] == 3


def test_a_single_500_is_retried_and_counted_at_the_server(session, server):
    server.push(Reply.error(500, "hiccup"), Reply.text("recovered"))
    value, _ = timed(session, f'local a = Agent.create({opts(server.url)})\nreturn a:run("hello")')
    assert value == "recovered"
    assert server.calls == 2
    [retry] = session.events.list(type="llm.retry")
    assert "HTTP 500" in retry.data["error"] or "500" in retry.data["error"]
    assert not session.events.list(type="llm.error")


def test_429_retry_after_through_an_agent(session, server):
    server.push(Reply.error(429, "slow down", retry_after=0.3), Reply.text("after the wait"))
    value, elapsed = timed(session, f'local a = Agent.create({opts(server.url)})\nreturn a:run("hello")')
    assert value == "after the wait"
    assert elapsed >= 0.3  # the Retry-After wait was kept (the backoff alone is ~10 ms here)
    assert server.calls == 2
    [retry] = session.events.list(type="llm.retry")
    assert "429" in retry.data["error"]


def test_reset_mid_stream_fails_clearly_and_is_not_replayed(session, server):
    server.push(Reply.reset(after=3, content="one two three four five six"), Reply.text("never sent"))
    code = ('local got = {}\n'
            f'local ok, err = pcall(LLM.stream, "go", function(c) table.insert(got, c) end, {opts(server.url)})\n'
            'return {ok = ok, err = tostring(err), got = table.concat(got)}')
    value, _ = timed(session, code)
    assert value["ok"] is False
    assert "fake-model" in value["err"]
    assert value["got"] and value["got"] != "one two three four five six"  # a part reached the cell
    assert server.calls == 1  # what already reached the cell cannot be replayed: no retry
    assert server.pending == 1
    [failed] = session.events.list(type="llm.error")
    assert failed.data["attempts"] == 1
    assert session.run("return 'still usable'") == "still usable"


def test_reset_before_the_body_is_retried(session, server):
    server.push(Reply.reset(), Reply.text("second try"))
    value, _ = timed(session, f'return LLM.complete("hi", {opts(server.url)})')
    assert value == "second try"
    assert server.calls == 2
    assert len(session.events.list(type="llm.retry")) == 1


def test_slow_first_byte_of_a_stream_times_out(session, server):
    server.push(*[Reply.delayed(600, Reply.text("too slow")) for _ in range(3)])  # each ten times the guard
    code = f'return LLM.stream("hi", function(c) end, {opts(server.url, timeout=0.3)})'
    error, _ = timed(session, code)
    assert isinstance(error, LLMError), error
    assert "timed out" in error.message.lower() or "timeout" in error.message.lower()
    assert server.calls == 3  # nothing reached the cell: a timeout is retried
    wait_until(lambda: server.abandoned == 3, "the end of the three requests")  # each try was cut short
    assert len(session.events.list(type="llm.retry")) == 2


def test_invalid_json_body_fails_clearly(session, server):
    server.push(*[Reply.invalid_json() for _ in range(3)])
    error, _ = timed(session, f'return LLM.complete("hi", {opts(server.url)})')
    assert isinstance(error, LLMError), error
    assert MODEL in error.message
    assert 1 <= server.calls <= 3
    [failed] = session.events.list(type="llm.error")
    assert failed.data["attempts"] == server.calls


def test_an_unknown_tool_name_is_reported_to_the_model(session, server):
    server.push(Reply.tool_call("rm_rf", {"path": "/"}, id="call_x"), Reply.text("sorry, I cannot"))
    code = f'local a = Agent.create({opts(server.url, tools=["calculator"])})\nreturn a:run("clean up")'
    value, _ = timed(session, code)
    assert value == "sorry, I cannot"
    assert server.calls == 2
    tool_message = server.bodies[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_x"
    assert "unknown tool 'rm_rf'" in json.loads(tool_message["content"])["error"]
    assert not session.events.list(type="tool.call")  # nothing ran


def test_a_tool_loop_that_never_ends_stops_at_max_iterations(session, server):
    server.push(*[Reply.tool_call("calculator", {"expression": "1+1"}, id=f"c{i}") for i in range(50)])
    code = (f'local a = Agent.create({opts(server.url, tools=["calculator"], max_iterations=4, name="looper")})\n'
            'return a:run("loop forever")')
    error, _ = timed(session, code)
    assert isinstance(error, ApiError), error
    assert "agent 'looper' reached max_iterations (4)" in error.message
    assert server.calls == 4
    assert len(session.events.list(type="tool.call")) == 4
    assert session.events.list(type="agent.error")
