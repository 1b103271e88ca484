"""Local OpenAI-compatible servers as users run them (Ollama, vLLM, llama.cpp), against the fake server:
the endpoint configured once, exactly `llm_retries` attempts, errors that name the URL and the setting, and
time limits that cover model calls and drop the request at the server.

Attempts are counted at the server: `FakeOpenAI.calls` for HTTP errors and timeouts, `RefusingServer.attempts`
(a port that accepts and resets every connection) for a server that is gone; a closed port, where nothing can
count, is checked through our own events.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from support.fake_openai import RefusingServer, Reply, closed_port_url

from llmspell_kernel.errors import ApiError, LLMError, MissingKeyError, SandboxError, TimeLimitError
from llmspell_kernel.runtime.session import Session

MODEL = "openai/fake-model"
GUARD = 60  # seconds: an outer guard only, never the thing under test
# a reply that trickles: 200 distinct tokens, one every 0.2 s (40 s in all); litellm rejects repeated chunks
TRICKLE = " ".join(f"w{i}" for i in range(200))


def make_session(tmp_path: Path, config: str = "", **overrides) -> Session:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(config), encoding="utf-8")
    os.environ["LLMSPELL_CONFIG"] = str(path)  # the `env` fixture restores it
    s = Session(offline=False, root=str(tmp_path), **overrides)
    s.llm.retry.base_delay = 0.01
    return s


def wait_for(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


# the endpoint, configured once ---------------------------------------------------------------------


def test_api_base_from_the_config_file(env, tmp_path, server):
    s = make_session(tmp_path, f'model = "{MODEL}"\napi_base = "{server.url}"\n')
    try:
        server.push(Reply.text("from the config"))
        assert s.run('return LLM.complete("hi")') == "from the config"
        assert s.run('return Agent.create({name = "a"}):run("echo me")') == "echo me"
        assert server.calls == 2
    finally:
        s.close()


def test_api_base_from_the_environment(env, tmp_path, server):
    env.setenv("LLMSPELL_MODEL", MODEL)
    env.setenv("LLMSPELL_API_BASE", server.url)
    s = make_session(tmp_path)
    try:
        assert s.run('return LLM.complete("via the environment")') == "via the environment"
        assert server.calls == 1
    finally:
        s.close()


def test_endpoints_per_provider_and_model_and_the_key_variable(env, tmp_path, server):
    env.delenv("OPENAI_API_KEY")
    env.setenv("LOCAL_KEY", "sk-local")
    s = make_session(tmp_path, f"""
        model = "mock/echo"
        [endpoints.hosted_vllm]
        api_base = "{server.url}"
        api_key_env = "LOCAL_KEY"
        [endpoints."openai/fake-model"]
        api_base = "{server.url}"
        api_key_env = "LOCAL_KEY"
    """)
    try:
        assert s.run('return LLM.complete("by model", {model = "openai/fake-model"})') == "by model"
        assert s.run('return LLM.complete("by provider", {model = "hosted_vllm/fake-model"})') == "by provider"
        assert server.calls == 2
        assert {r.headers.get("Authorization") for r in server.requests} == {"Bearer sk-local"}
        env.delenv("LOCAL_KEY")
        with pytest.raises(MissingKeyError, match=r"LOCAL_KEY .*api_key_env"):
            s.run('return LLM.complete("no key", {model = "openai/fake-model"})')
        assert server.calls == 2
    finally:
        s.close()


def test_a_configured_api_base_obeys_the_network_policy(env, tmp_path, server):
    s = make_session(tmp_path, f'model = "{MODEL}"\napi_base = "http://models.example.com:8080/v1"\n')
    try:
        with pytest.raises(SandboxError, match=r"models.example.com.*allowed_hosts"):
            s.run('return LLM.complete("hi")')
        assert not s.events.list(type="llm.retry")
    finally:
        s.close()


def test_litellm_s_api_base_variable_obeys_the_network_policy_too(env, tmp_path, server):
    env.setenv("OPENAI_API_BASE", "http://models.example.com/v1")
    s = make_session(tmp_path, f'model = "{MODEL}"\n')
    try:
        with pytest.raises(SandboxError, match=r"models.example.com"):
            s.run('return LLM.complete("hi")')
        env.setenv("OPENAI_API_BASE", server.url)  # a loopback server is allowed
        assert s.run('return LLM.complete("through the variable")') == "through the variable"
        assert server.calls == 1
    finally:
        s.close()


def test_a_bad_endpoints_table_is_a_clear_error(env, tmp_path):
    with pytest.raises(ApiError, match=r"endpoints.ollama: only api_base and api_key_env"):
        make_session(tmp_path, '[endpoints.ollama]\napi_url = "http://127.0.0.1:11434"\n')


# exactly llm_retries attempts ----------------------------------------------------------------------


@pytest.mark.parametrize("tries", [1, 3])
def test_a_5xx_is_tried_exactly_llm_retries_times(env, tmp_path, server, tries):
    s = make_session(tmp_path, llm_retries=tries)
    try:
        server.push(*[Reply.error(500, "down") for _ in range(10)])
        with pytest.raises(LLMError, match="HTTP 500"):
            s.run(f'return LLM.complete("hi", {{model = "{MODEL}", api_base = "{server.url}"}})')
        assert server.calls == tries
        assert [e.data["attempts"] for e in s.events.list(type="llm.error")] == [tries]
    finally:
        s.close()


@pytest.mark.parametrize("tries", [1, 3])
def test_a_gone_server_is_tried_exactly_llm_retries_times(env, tmp_path, tries):
    s = make_session(tmp_path, llm_retries=tries)
    try:
        with RefusingServer() as gone:
            with pytest.raises(LLMError) as info:
                s.run(f'return LLM.stream("hi", nil, {{model = "{MODEL}", api_base = "{gone.url}"}})')
            assert wait_for(lambda: gone.attempts >= tries, 2) and gone.attempts == tries
        assert gone.url in info.value.message
    finally:
        s.close()


def test_a_refused_connection_names_the_url_and_is_tried_llm_retries_times(env, tmp_path):
    s = make_session(tmp_path, llm_retries=3)
    try:
        url = closed_port_url()
        with pytest.raises(LLMError) as info:
            s.run(f'return LLM.complete("hi", {{model = "{MODEL}", api_base = "{url}"}})')
        assert f"connection refused at {url} after 3 attempts" in info.value.message
        assert "HTTP 500" not in info.value.message
        assert [r.data["attempt"] for r in s.events.list(type="llm.retry")] == [1, 2]
        assert [e.data["attempts"] for e in s.events.list(type="llm.error")] == [3]
    finally:
        s.close()


def test_a_workflow_step_s_retry_does_not_multiply_model_retries(env, tmp_path, server):
    s = make_session(tmp_path, llm_retries=2)
    try:
        server.push(*[Reply.error(503, "busy") for _ in range(10)])
        result = s.run(textwrap.dedent(f"""
            local a = Agent.create({{name = "w", model = "{MODEL}", api_base = "{server.url}"}})
            return Workflow.sequential({{steps = {{{{step = a, retry = 2}}}}}}):run("hi")
        """))
        assert result["status"] == "failed" and "HTTP 503" in result["error"]
        assert server.calls == 2  # llm_retries, not (1 + retry) x llm_retries = 6
        assert not s.events.list(type="step.retry")
    finally:
        s.close()


# timeouts and time limits --------------------------------------------------------------------------


def test_a_timeout_names_the_limit_and_the_setting(env, tmp_path, server):
    s = make_session(tmp_path, llm_retries=1, llm_timeout=0.5)
    try:
        server.push(Reply.delayed(20), Reply.delayed(20))
        call = f'return LLM.complete("hi", {{model = "{MODEL}", api_base = "{server.url}"'
        with pytest.raises(LLMError) as info:
            s.run(call + "})")
        assert "no complete reply within 0.5 s" in info.value.message
        assert "llm_timeout" in info.value.message and "HTTP 408" not in info.value.message
        with pytest.raises(LLMError) as info:
            s.run(call + ", timeout = 0.4})")
        assert "within 0.4 s" in info.value.message and "`timeout` option" in info.value.message
        assert wait_for(lambda: server.abandoned == 2)  # both requests were dropped at the server
    finally:
        s.close()


def test_every_timed_out_try_is_dropped_at_the_server(env, tmp_path, server):
    """Each byte comes in time, but the whole reply does not: llm_timeout bounds the attempt, not one read.
    The retry leaves no abandoned request generating behind it: the server saw both go."""
    s = make_session(tmp_path, llm_retries=2, llm_timeout=1.0)
    try:
        server.push(Reply.text(TRICKLE, chunk_delay=0.2), Reply.text(TRICKLE, chunk_delay=0.2))
        with pytest.raises(LLMError, match=r"no complete reply within 1 s after 2 attempts"):
            s.run(f'return LLM.complete("hi", {{model = "{MODEL}", api_base = "{server.url}"}})')
        assert server.calls == 2
        assert wait_for(lambda: server.abandoned == 2)
    finally:
        s.close()


def test_a_stream_that_reached_the_cell_is_not_retried_after_its_timeout(env, tmp_path, server):
    s = make_session(tmp_path, llm_retries=3, llm_timeout=1.0)
    try:
        server.push(Reply.text(TRICKLE, chunk_delay=0.2))
        code = (f'local got = {{}}\nlocal ok, err = pcall(LLM.stream, "hi", function(c) got[#got + 1] = c end, '
                f'{{model = "{MODEL}", api_base = "{server.url}"}})\nreturn {{ok, tostring(err), #got}}')
        ok, err, chunks = s.run(code)
        assert ok is False and "no complete reply within 1 s" in err and chunks >= 1
        assert server.calls == 1 and not s.events.list(type="llm.retry")
        assert wait_for(lambda: server.abandoned == 1)
    finally:
        s.close()


SLOW_CALLS = {
    "lua-complete": ("lua", 'return LLM.complete("hi", {{model = "{model}", api_base = "{url}"}})'),
    "lua-stream": ("lua", 'return LLM.stream("hi", function(c) end, {{model = "{model}", api_base = "{url}"}})'),
    "tengo-stream": ("tengo", 'LLM.stream("hi", func(c) {{}}, {{model: "{model}", api_base: "{url}"}})'),
    # JavaScript runs a call under a time limit on the pool: the call outlives the chunk and must stop too
    "js-stream": ("js", 'await LLM.stream("hi", (c) => null, {{model: "{model}", api_base: "{url}"}})'),
    "js-complete": ("js", 'await LLM.complete("hi", {{model: "{model}", api_base: "{url}"}})'),
}


@pytest.mark.parametrize("case", sorted(SLOW_CALLS))
def test_the_chunk_s_time_limit_stops_a_slow_reply_and_drops_it(env, tmp_path, server, case):
    engine, code = SLOW_CALLS[case]
    s = make_session(tmp_path)
    try:
        server.push(Reply.text(TRICKLE, chunk_delay=0.2))
        began = time.monotonic()
        with pytest.raises(TimeLimitError, match=r"time limit of 1.5 s"):
            s.run(code.format(model=MODEL, url=server.url), engine, timeout=1.5)
        assert time.monotonic() - began < GUARD
        assert wait_for(lambda: server.abandoned == 1), "the server kept generating"
        assert server.calls == 1  # the time limit is not retried
        [error] = s.events.list(type="llm.error")
        assert "time limit" in error.data["error"]
        assert s.run("return 'still usable'") == "still usable"
    finally:
        s.close()


def test_first_token_latency_is_reported_apart_from_the_total(env, tmp_path, server):
    s = make_session(tmp_path)
    try:
        server.push(Reply.delayed(0.3, Reply.text("a b c d", chunk_delay=0.2)))
        s.run(f'return LLM.complete("hi", {{model = "{MODEL}", api_base = "{server.url}"}})')
        [response] = s.events.list(type="llm.response")
        assert 300 <= response.data["first_token_ms"] < response.duration
        assert response.duration >= 300 + 3 * 200
    finally:
        s.close()


def test_an_agent_whose_model_uses_none_of_its_tools_says_so(env, tmp_path, server):
    s = make_session(tmp_path)
    try:
        server.push(Reply.text("I just answer."))
        code = (f'local a = Agent.create({{name = "calc", model = "{MODEL}", api_base = "{server.url}", '
                'tools = {"calculator"}})\nreturn a:run("6*7?")')
        assert s.run(code) == "I just answer."
        [unused] = s.events.list(type="agent.tools_unused")
        assert unused.data == {"agent": "calc", "model": MODEL, "tools": ["calculator"]}
        server.push(Reply.tool_call("calculator", {"expression": "6*7"}), Reply.text("42"))
        assert s.run('return Agent.get("calc"):run("again")') == "42"
        assert len(s.events.list(type="agent.tools_unused")) == 1
    finally:
        s.close()


# the CLI -------------------------------------------------------------------------------------------


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LLMSPELL_OFFLINE", "LLMSPELL_MODEL")}
    env.update(OPENAI_API_KEY="sk-test-fake", LLMSPELL_CONFIG=str(tmp_path / "none.toml"))
    return env


def test_cli_time_limit_stops_a_streaming_spell_with_exit_4(env, tmp_path, server):
    server.push(Reply.text(TRICKLE, chunk_delay=0.2))
    spell = tmp_path / "slow.lua"
    spell.write_text(f'return LLM.stream("hi", function(c) end, {{model = "{MODEL}", api_base = "{server.url}"}})')
    result = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", "--timeout", "3", str(spell)],
                            cwd=tmp_path, env=cli_env(tmp_path), capture_output=True, text=True, timeout=GUARD)
    assert result.returncode == 4, result.stderr
    assert "time limit of 3 s" in result.stderr
    assert wait_for(lambda: server.abandoned == 1), "the server kept generating"
    assert server.calls == 1


def test_cli_refused_connection_message(env, tmp_path):
    url = closed_port_url()
    spell = tmp_path / "gone.lua"
    spell.write_text(f'return LLM.complete("hi", {{model = "{MODEL}", api_base = "{url}"}})')
    result = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", str(spell)], cwd=tmp_path,
                            env=cli_env(tmp_path), capture_output=True, text=True, timeout=GUARD)
    assert result.returncode == 3
    assert f"connection refused at {url} after 3 attempts" in result.stderr
    assert "Traceback" not in result.stderr


FOREVER = {"lua": ('print("first")\nwhile true do end', "lua"),
           "js": ('console.log("first");\nwhile (true) {}', "js"),
           "tengo": ('fmt := import("fmt")\nfmt.println("first")\nfor {}', "tengo")}


@pytest.mark.parametrize("engine", sorted(FOREVER))
def test_cli_output_reaches_a_pipe_while_the_spell_runs(tmp_path, engine):
    code, ext = FOREVER[engine]
    spell = tmp_path / f"forever.{ext}"
    spell.write_text(code)
    proc = subprocess.Popen([sys.executable, "-m", "llmspell_kernel", "run", str(spell)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(GUARD)
        assert line == ["first\n"], "the output was held back while the spell ran"
        assert proc.poll() is None  # the spell never ends by itself: the line came while it ran
    finally:
        proc.kill()
        proc.wait(GUARD)


# a real kernel (jupyter_client) ----------------------------------------------------------------------

STREAM_CELL = {
    "lua": 'return LLM.stream("hi", function(c) end, {{model = "openai/fake-model", api_base = "{url}"}})',
    "tengo": 'LLM.stream("hi", func(c) {{}}, {{model: "openai/fake-model", api_base: "{url}"}})',
    "js": 'await LLM.stream("hi", (c) => null, {{model: "openai/fake-model", api_base: "{url}"}})',
}
AFTER_CELL = {"lua": "return 1 + 1", "tengo": "1 + 1", "js": "1 + 1"}


@pytest.mark.parametrize("engine", sorted(STREAM_CELL))
def test_kernel_time_limit_stops_a_slow_stream_and_drops_it(engine, server, tmp_path):
    from jupyter_client.manager import start_new_kernel
    from test_kernel import execute

    env = cli_env(tmp_path)
    env["LLMSPELL_TIMEOUT"] = "3"
    km, kc = start_new_kernel(kernel_name=f"llmspell-{engine}", cwd=str(tmp_path), env=env)
    try:
        server.push(Reply.text(TRICKLE, chunk_delay=0.2))
        reply, _ = execute(kc, STREAM_CELL[engine].format(url=server.url), timeout=GUARD)
        assert reply["status"] == "error"
        assert "time limit of 3 s" in "\n".join(reply["traceback"]), reply["traceback"]
        assert wait_for(lambda: server.abandoned == 1), "the server kept generating"
        assert server.calls == 1
        reply, outputs = execute(kc, AFTER_CELL[engine], timeout=GUARD)
        assert reply["status"] == "ok"
        assert [c["data"]["text/plain"] for kind, c in outputs if kind == "execute_result"] == ["2"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_kernel_interrupt_mid_stream_drops_the_request(server, tmp_path):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path), env=cli_env(tmp_path))
    try:
        server.push(Reply.text(TRICKLE, chunk_delay=0.2))
        msg_id = kc.execute(f'return LLM.stream("hi", nil, {{model = "{MODEL}", api_base = "{server.url}"}})')
        streamed = ""
        deadline = time.monotonic() + GUARD
        while "w2" not in streamed and time.monotonic() < deadline:  # tokens reach the cell as they come
            msg = kc.get_iopub_msg(timeout=GUARD)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                streamed += msg["content"]["text"]
        assert "w2" in streamed
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=GUARD)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=GUARD)
        assert reply["content"]["status"] == "error"
        assert "interrupted" in "\n".join(reply["content"]["traceback"]).lower()
        assert wait_for(lambda: server.abandoned == 1), "the server kept generating"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# settings and the API table ------------------------------------------------------------------------


def test_llm_max_tokens_is_every_call_s_default(env, tmp_path, server):
    s = make_session(tmp_path, f'model = "{MODEL}"\napi_base = "{server.url}"\nllm_max_tokens = 64\n')
    try:
        s.run('LLM.complete("a")\nLLM.complete("b", {max_tokens = 5})\nAgent.create({}):run("c")')
        assert [b.get("max_tokens") for b in server.bodies] == [64, 5, 64]
        assert all(b["stream"] is True for b in server.bodies)  # streamed under the hood, read or not
    finally:
        s.close()


@pytest.mark.parametrize("function", ["complete", "chat", "stream"])
def test_llm_options_are_declared_for_docs_help_and_types(session, function):
    from llmspell_kernel.api.llm import LLM_OPTIONS
    from llmspell_kernel.introspect import inspect

    repo = Path(__file__).resolve().parents[1]
    docs = (repo / "docs" / "api.md").read_text(encoding="utf-8")
    section = docs.split(f"#### `LLM.{function}(")[1].split("####")[0]
    help_text = inspect(session, "lua", f"LLM.{function}")
    dts = (repo / "llmspell_kernel" / "resources" / "llmspell.d.ts").read_text(encoding="utf-8")
    [declaration] = {line for line in dts.splitlines() if line.strip().startswith(f"{function}(")
                     and "api_base?: string" in line}
    for name in ("api_base", "api_key", "timeout", "system", "responses", "max_tokens"):
        assert name in LLM_OPTIONS
        assert f"- `{name}`:" in section and f"- `{name}`:" in help_text
        assert f"{name}?:" in declaration
    with pytest.raises(ApiError, match="unknown option"):
        session.run('return LLM.complete("x", {colour = "red"})')


def test_agent_options_declared_in_the_table_are_the_ones_the_runtime_accepts():
    from llmspell_kernel.api import agents as api_agents
    from llmspell_kernel.runtime import agents as runtime_agents

    assert set(api_agents.CREATE_OPTIONS) == runtime_agents.AGENT_OPTIONS
    assert set(api_agents.RUN_OPTIONS) == runtime_agents.RUN_OPTIONS
