"""Recording real model calls and replaying them with no network and no key (`--record` / `--replay`,
`llm_record` / `llm_replay`): against the local fake OpenAI server, in every engine, the CLI and the kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
from support.fake_openai import Reply, closed_port_url

from llmspell_kernel.errors import LLMError
from llmspell_kernel.runtime.session import Session

MODEL = "openai/gpt-4o-mini"
SECRET = "sk-test-do-not-record-0123456789"
# the same spell in every engine: a plain call, a stream and an agent's two-round tool call
SPELLS = {
    "lua": """
        local plain = LLM.complete("Name a colour.", {model = MODEL})
        local chunks = {}
        local full = LLM.stream("Count to five.", function(c) table.insert(chunks, c) end, {model = MODEL})
        local a = Agent.create({model = MODEL, tools = {"calculator"}})
        return {plain, #chunks, full, a:run("What is 6*7?")}""",
    "js": """
        const plain = await LLM.complete("Name a colour.", {model: MODEL})
        const chunks = []
        const full = await LLM.stream("Count to five.", (c) => { chunks.push(c) }, {model: MODEL})
        const a = new Agent({model: MODEL, tools: ["calculator"]})
        ;[plain, chunks.length, full, await a.run("What is 6*7?")]""",
    "tengo": """
        plain := LLM.complete("Name a colour.", {model: MODEL})
        chunks := []
        full := LLM.stream("Count to five.", func(c) { chunks = append(chunks, c) }, {model: MODEL})
        a := Agent.create({model: MODEL, tools: ["calculator"]})
        [plain, len(chunks), full, a.run("What is 6*7?")]""",
}
EXPECTED = ["Teal.", 5, "one two three four five", "6 times 7 is 42."]


def spell(engine: str) -> str:
    return SPELLS[engine].replace("MODEL", json.dumps(MODEL))


def script(server) -> None:
    server.push(Reply.text("Teal.", usage=(12, 2)), Reply.text("one two three four five"),
                Reply.tool_call("calculator", {"expression": "6*7"}, id="call_1"), Reply.text("6 times 7 is 42."))


@pytest.fixture
def real_env(env, server):
    """A real model with a key, served by the fake server through the api_base setting."""
    env.setenv("OPENAI_API_KEY", SECRET)
    env.setenv("LLMSPELL_API_BASE", server.url)
    return env


def replay_env(env) -> None:
    """No key and no server: a call that reached the network would fail."""
    env.delenv("OPENAI_API_KEY", raising=False)
    env.setenv("LLMSPELL_API_BASE", closed_port_url())


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_record_then_replay_offline_gives_the_same_replies(engine, real_env, server, tmp_path):
    recording = tmp_path / "calls.jsonl"
    script(server)
    with Session(root=str(tmp_path), llm_record=str(recording)) as s:
        assert s.run(spell(engine), engine) == EXPECTED
    assert server.calls == 4
    recorded = lines(recording)
    assert [r["request"]["model"] for r in recorded] == [MODEL] * 4
    assert set(recorded[0]["request"]) == {"model", "messages", "tools", "response_format", "temperature",
                                           "max_tokens"}
    assert recorded[1]["chunks"] == ["one", " two", " three", " four", " five"]
    assert recorded[2]["response"]["tool_calls"][0]["name"] == "calculator"

    replay_env(real_env)
    with Session(root=str(tmp_path), llm_replay=str(recording)) as s:
        assert s.run(spell(engine), engine) == EXPECTED
        [stream] = [e for e in s.events.list(type="llm.response") if e.data["text"].startswith("one")]
        assert len([e for e in s.events.list(type="llm.chunk") if e.parent_id == stream.parent_id]) == 5
        assert s.events.list(type="llm.response")[0].data["usage"]["prompt_tokens"] == 12
    assert server.calls == 4  # nothing reached the server


def test_the_recording_holds_no_key_header_or_server(real_env, server, tmp_path):
    recording = tmp_path / "calls.jsonl"
    script(server)
    with Session(root=str(tmp_path), llm_record=str(recording)) as s:
        s.run(spell("lua"), "lua")
        s.run(f'return LLM.complete("hi", {{model = "{MODEL}", api_key = "sk-explicit-secret-key"}})')
    text = recording.read_text()
    assert server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"  # it was sent...
    for secret in (SECRET, "sk-explicit-secret-key", "Authorization", "Bearer", server.url, "api_key",
                   "api_base", "timeout"):
        assert secret not in text  # ...and never written down
    assert len(lines(recording)) == 5


def test_an_unrecorded_request_names_the_nearest_and_what_differs(real_env, server, tmp_path):
    recording = tmp_path / "calls.jsonl"
    script(server)
    with Session(root=str(tmp_path), llm_record=str(recording)) as s:
        s.run(spell("lua"), "lua")
    replay_env(real_env)
    with Session(root=str(tmp_path), llm_replay=str(recording)) as s:
        with pytest.raises(LLMError) as info:
            s.run(f'return LLM.complete("Name a color.", {{model = "{MODEL}"}})')
        message = info.value.message
        assert "not recorded" in message and str(recording) in message
        assert 'messages[0].content: recorded "Name a colour.", asked "Name a color."' in message
        with pytest.raises(LLMError) as info:
            s.run(f'return LLM.complete("Name a colour.", {{model = "{MODEL}", temperature = 0.5}})')
        assert "temperature: recorded null, asked 0.5" in info.value.message
        # the session keeps working, and a recorded request still replays
        assert s.run(f'return LLM.complete("Name a colour.", {{model = "{MODEL}"}})') == "Teal."


def test_replay_settings_fail_clearly(env, tmp_path):
    with Session(root=str(tmp_path), llm_replay=str(tmp_path / "missing.jsonl")) as s:
        with pytest.raises(LLMError, match="cannot read the replay file"):
            s.run(f'return LLM.complete("x", {{model = "{MODEL}"}})')
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"request": {}}\nnot json\n')
    with Session(root=str(tmp_path), llm_replay=str(bad)) as s:
        with pytest.raises(LLMError, match=r"bad\.jsonl, line 1: not a recorded call"):
            s.run(f'return LLM.complete("x", {{model = "{MODEL}"}})')
    with Session(root=str(tmp_path), llm_replay=str(bad), llm_record=str(tmp_path / "r.jsonl")) as s:
        with pytest.raises(LLMError, match="exclude each other"):
            s.run(f'return LLM.complete("x", {{model = "{MODEL}"}})')


def test_cli_record_and_replay(real_env, server, tmp_path):
    recording = tmp_path / "cli.jsonl"
    (tmp_path / "spell.lua").write_text(spell("lua"))
    script(server)

    def llmspell(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", "spell.lua", *args], cwd=tmp_path,
                              env={**os.environ}, capture_output=True, text=True, timeout=240)

    recorded = llmspell("--record", str(recording))
    assert recorded.returncode == 0, recorded.stderr
    assert "6 times 7 is 42." in recorded.stdout and len(lines(recording)) == 4
    replay_env(real_env)
    replayed = llmspell("--replay", str(recording))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout
    (tmp_path / "spell.lua").write_text(f'return LLM.complete("Something else", {{model = "{MODEL}"}})')
    missed = llmspell("--replay", str(recording))
    assert missed.returncode != 0 and "Traceback" not in missed.stderr
    assert "not recorded" in missed.stderr and "messages[0].content" in missed.stderr
    both = llmspell("--record", "a.jsonl", "--replay", str(recording))
    assert both.returncode == 2 and "--record and --replay exclude each other" in both.stderr


def _kernel_cell(env: dict[str, str], cwd, code: str) -> tuple[dict, list[dict]]:
    """Run one cell in a new LLMSpell (Lua) kernel started with `env`; its reply and iopub outputs."""
    km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(cwd), env=env)
    outputs: list[dict] = []
    try:
        reply = kc.execute_interactive(code, timeout=120, output_hook=outputs.append)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return reply["content"], outputs


def test_a_kernel_records_then_another_replays(real_env, server, tmp_path):
    recording = tmp_path / "kernel.jsonl"
    script(server)
    base = {k: v for k, v in os.environ.items() if not k.startswith("LLMSPELL_LLM_")}
    reply, recorded = _kernel_cell({**base, "LLMSPELL_LLM_RECORD": str(recording)}, tmp_path, spell("lua"))
    assert reply["status"] == "ok", reply
    assert server.calls == 4 and len(lines(recording)) == 4
    assert SECRET not in recording.read_text()

    replay_env(real_env)  # no key, no server
    base = {k: v for k, v in os.environ.items() if not k.startswith("LLMSPELL_LLM_")}
    reply, replayed = _kernel_cell({**base, "LLMSPELL_LLM_REPLAY": str(recording)}, tmp_path, spell("lua"))
    assert reply["status"] == "ok", reply

    def result(outputs: list[dict]) -> dict:
        [found] = [o["content"]["data"] for o in outputs if o["msg_type"] == "execute_result"]
        return found

    assert "6 times 7 is 42." in json.dumps(result(replayed))
    assert result(replayed) == result(recorded)
    assert server.calls == 4


def test_a_running_session_switches_from_recording_to_replay(real_env, server, tmp_path):
    recording = tmp_path / "switch.jsonl"
    server.push(Reply.text("Teal."))
    call = f'return LLM.complete("Name a colour.", {{model = "{MODEL}"}})'
    with Session(root=str(tmp_path)) as s:
        s.configure({"llm_record": str(recording)})  # `%spell config llm_record=...`
        assert s.run(call) == "Teal."
        s.configure({"llm_record": None, "llm_replay": str(recording)})
        replay_env(real_env)
        assert s.run(call) == "Teal."
        s.configure({"llm_replay": None})  # back to the real provider: no key now
        with pytest.raises(LLMError, match="OPENAI_API_KEY"):
            s.run(call)
    assert server.calls == 1
