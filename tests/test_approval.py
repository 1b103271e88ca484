"""Tool approval (runtime/approval.py): a model's call of a tool that needs approval waits for the user, in the
notebook (the kernel's stdin channel), in a terminal (tmux), and is denied when no one can answer, unless
the approved_tools setting pre-approves it. Every engine; the model's calls are scripted (mock/script)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
from support.fake_openai import FakeOpenAI, Reply
from test_console import Terminal

REPO = Path(__file__).resolve().parents[1]

# `danger` needs approval by itself; the agent's `approve` glob adds the built-in calculator
SETUP = {
    "lua": 'Tool.register({name = "danger", description = "d", approve = true,\n'
           '  fn = function(a) State.set("ran", a.x) return "ran " .. a.x end})\n'
           'function scripted(...) return Agent.create({model = "mock/script", tools = {"danger", "calculator"},\n'
           '  approve = {"calc*"}, responses = {...}}) end',
    "tengo": 'Tool.register({name: "danger", description: "d", approve: true,\n'
             '  fn: func(a) { State.set("ran", a.x)\n return "ran " + a.x }})\n'
             'scripted := func(...r) { return Agent.create({model: "mock/script", tools: ["danger", "calculator"],\n'
             '  approve: ["calc*"], responses: r}) }',
    "js": 'Tool.register({name: "danger", description: "d", approve: true,\n'
          '  fn: (a) => { State.set("ran", a.x); return "ran " + a.x }})\n'
          'globalThis.scripted = (...r) => Agent.create({model: "mock/script", tools: ["danger", "calculator"],\n'
          '  approve: ["calc*"], responses: r})',
}
# the model calls `danger`, then answers with the tool's result as it saw it
RUN_DANGER = {
    "lua": 'return scripted({tool = "danger", args = {x = "1"}}, "done"):run("go")',
    "tengo": 'scripted({tool: "danger", args: {x: "1"}}, "done").run("go")',
    "js": 'await (await scripted({tool: "danger", args: {x: "1"}}, "done")).run("go")',
}
RUN_CALC = {
    "lua": 'return scripted({tool = "calculator", args = {expression = "6*7"}}, "done"):run("go")',
    "tengo": 'scripted({tool: "calculator", args: {expression: "6*7"}}, "done").run("go")',
    "js": 'await (await scripted({tool: "calculator", args: {expression: "6*7"}}, "done")).run("go")',
}


def tool_results(session) -> list[str]:
    """What the model was given as tool results, in order: each request's trailing tool messages are new."""
    results = []
    for event in session.events.list(type="llm.request"):
        fresh = []
        for message in reversed(event.data["messages"]):
            if message.get("role") != "tool":
                break
            fresh.insert(0, message["content"])
        results += fresh
    return results


@pytest.fixture
def unattended(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # CI: stdin is no terminal


def test_with_no_one_to_ask_the_call_is_denied(spell, unattended, capfd):
    spell(**{spell.engine: SETUP[spell.engine]})
    assert spell(**RUN_DANGER) == "done"
    session = spell.session
    assert session.state.get("ran") is None  # the tool never ran
    (result,) = tool_results(session)
    assert result.startswith("denied: no one could approve tool 'danger'") and "approved_tools" in result
    (event,) = session.events.list(type="tool.approval")
    assert event.data["decision"] == "unattended" and event.data["tool"] == "danger"
    assert event.data["arguments"] == {"x": "1"}
    assert "no one could approve tool 'danger'" in capfd.readouterr().err


def test_the_approved_tools_setting_pre_approves_by_glob(spell, unattended):
    spell.session.configure({"approved_tools": ["dan*", "calculator"]})
    spell(**{spell.engine: SETUP[spell.engine]})
    assert spell(**RUN_DANGER) == "done"
    assert spell(**RUN_CALC) == "done"
    assert spell.session.state.get("ran") == "1"
    assert tool_results(spell.session) == ["ran 1", "42"]
    assert [e.data["decision"] for e in spell.session.events.list(type="tool.approval")] == ["preapproved"] * 2


def test_tools_without_approval_run_as_before(lua, unattended):
    lua('Tool.register({name = "free", fn = function(a) return "free" end})')
    out = lua('return Agent.create({model = "mock/script", tools = {"free", "calculator"}, responses = {'
              '{tool = "free", args = {}}, {tool = "calculator", args = {expression = "1+1"}}, "done"}}):run("go")')
    assert out == "done" and tool_results(lua.session) == ["free", "2"]
    assert lua.session.events.list(type="tool.approval") == []


def test_bad_approve_options_are_clear_errors(lua):
    from llmspell_kernel.errors import ApiError

    with pytest.raises(ApiError, match="`approve` must be true or false"):
        lua('Tool.register({name = "t", fn = function() end, approve = "yes"})')
    with pytest.raises(ApiError, match="agent option `approve` takes tool names or globs"):
        lua("Agent.create({approve = {1, 2}})")
    lua('Tool.register({name = "t", fn = function() end, approve = true})')
    assert lua('return Tool.info("t")')["approve"] is True


def test_approval_survives_a_persisted_session(tmp_path, unattended):
    from llmspell_kernel.runtime.session import Session

    store = str(tmp_path / "s.db")
    with Session(offline=True, root=str(tmp_path), store=store) as first:
        first.run('Tool.register({name = "danger", approve = true, fn = function(a) return "ran" end})', "lua")
    with Session(offline=True, root=str(tmp_path), store=store) as again:
        out = again.run('return Agent.create({model = "mock/script", tools = {"danger"}, '
                        'responses = {{tool = "danger", args = {}}, "done"}}):run("go")', "lua")
        assert out == "done" and tool_results(again)[0].startswith("denied")


def test_a_real_model_gets_the_denial_as_its_tool_result(env, unattended):
    from llmspell_kernel.runtime.session import Session

    with FakeOpenAI() as server, Session(offline=False) as session:
        server.push(Reply.tool_call("calculator", {"expression": "6*7"}, id="call_1"), Reply.text("ok"))
        out = session.run(f'return Agent.create({{model = "openai/fake-model", api_base = "{server.url}", '
                          'tools = {"calculator"}, approve = true}):run("6*7?")', "lua")
        assert out == "ok"
        tool = server.bodies[1]["messages"][-1]
        assert tool["role"] == "tool" and tool["content"].startswith("denied: no one could approve")


# through the kernel: the test answers the input_request on the stdin channel ---------------------------------------


def _answer_and_finish(kc, msg_id: str, answers: list[str]) -> tuple[dict, list]:
    """Answer each input_request in turn; return the execute reply and the execute_result texts."""
    prompts = []
    for answer in answers:
        request = kc.get_stdin_msg(timeout=60)
        assert request["msg_type"] == "input_request"
        prompts.append(request["content"]["prompt"])
        kc.input(answer)
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    return reply["content"], prompts


@pytest.fixture(params=["lua", "tengo", "js"])
def kernel(request, tmp_path):
    km, kc = start_new_kernel(kernel_name=f"llmspell-{request.param}", cwd=str(tmp_path),
                              env={**os.environ, "LLMSPELL_OFFLINE": "1"})
    from test_kernel import execute

    reply, _ = execute(kc, SETUP[request.param])
    assert reply["status"] == "ok", reply
    yield request.param, kc, execute
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_the_notebook_asks_through_the_stdin_channel(kernel):
    engine, kc, execute = kernel
    # yes: the tool runs
    msg_id = kc.execute(RUN_DANGER[engine], allow_stdin=True)
    reply, prompts = _answer_and_finish(kc, msg_id, ["y"])
    assert reply["status"] == "ok", reply
    assert prompts == ["Agent 'agent_1' wants to run tool 'danger' with {\"x\": \"1\"}. "
                       "Allow? [y]es / [n]o / [a]lways: "]
    # no: the model is told "denied by the user"
    msg_id = kc.execute(RUN_DANGER[engine], allow_stdin=True)
    reply, _ = _answer_and_finish(kc, msg_id, ["n"])
    assert reply["status"] == "ok"
    # an unclear answer asks again; always: approved for the rest of the session, not asked again
    msg_id = kc.execute(RUN_CALC[engine], allow_stdin=True)
    reply, prompts = _answer_and_finish(kc, msg_id, ["maybe", "a"])
    assert prompts[1].startswith("Please answer y (yes), n (no) or a (always")
    reply, _ = execute(kc, RUN_CALC[engine])
    assert reply["status"] == "ok"  # no input_request: a stdin message would make this cell hang
    decisions = {
        "lua": "local d = {}\nfor _, e in ipairs(Event.list({type = 'tool.approval'})) do d[#d + 1] = e.data.decision end\n"
               "return table.concat(d, ',')",
        "tengo": 'd := ""\nfor e in Event.list({type: "tool.approval"}) { d += e.data.decision + "," }\nd',
        "js": '(await Event.list({type: "tool.approval"})).map((e) => e.data.decision).join(",")',
    }
    reply, outputs = execute(kc, decisions[engine])
    text = next(out["data"]["text/plain"] for kind, out in outputs if kind == "execute_result")
    assert text.strip("'\"").rstrip(",") == "approved,denied,approved_for_session,approved_for_session"
    # a frontend that allows no input: denied, clearly, and the cell still finishes
    kc.allow_stdin = False
    reply, outputs = execute(kc, RUN_DANGER[engine])
    assert reply["status"] == "ok"
    errors = "".join(out["text"] for kind, out in outputs if kind == "stream" and out["name"] == "stderr")
    assert "tool 'danger' denied: this frontend does not accept input" in errors


# in a terminal (tmux) and from a pipe ----------------------------------------------------------------------------


SPELL = ('Tool.register({name = "danger", approve = true, fn = function(a) return "ran " .. a.x end})\n'
         'local a = Agent.create({model = "mock/script", tools = {"danger"},\n'
         '  responses = {{tool = "danger", args = {x = "1"}}, {tool = "danger", args = {x = "2"}}, "done"}})\n'
         'local out = a:run("go")\n'
         'print("results: " .. json.encode(Event.list({type = "tool.approval"})[1].data.decision) .. " "\n'
         '  .. json.encode(Event.list({type = "tool.approval"})[2].data.decision))\n'
         'return out')


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_cli_asks_on_a_terminal(tmp_path):
    (tmp_path / "ask.lua").write_text(SPELL)
    env_path = f"PYTHONPATH={REPO} LLMSPELL_CONFIG={os.devnull}"
    term = Terminal(f"env {env_path} {sys.executable} -m llmspell_kernel run ask.lua; echo EXIT=$?; sleep 60",
                    str(tmp_path))
    try:
        term.wait_for("wants to run tool 'danger' with {\"x\": \"1\"}", timeout=60)
        term.type("y")
        term.wait_for("wants to run tool 'danger' with {\"x\": \"2\"}", timeout=60)
        term.type("n")
        screen = term.wait_for("EXIT=", timeout=60)
        assert 'results: "approved" "denied"' in screen and "EXIT=0" in screen
    finally:
        term.close()


def test_the_cli_with_no_terminal_denies_unless_pre_approved(tmp_path):
    (tmp_path / "ask.lua").write_text(SPELL)
    env = {**os.environ, "PYTHONPATH": str(REPO), "LLMSPELL_CONFIG": os.devnull}
    run = [sys.executable, "-m", "llmspell_kernel", "run", "ask.lua"]
    done = subprocess.run(run, capture_output=True, text=True, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'results: "unattended" "unattended"' in done.stdout
    assert "denied: no one could approve tool 'danger'" in done.stderr
    done = subprocess.run(run, capture_output=True, text=True, env={**env, "LLMSPELL_APPROVED_TOOLS": "dan*"},
                          cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=120)
    assert 'results: "preapproved" "preapproved"' in done.stdout and done.stderr == ""


def test_python_tools_and_agents_need_approval_too(session, unattended):
    """The same controls from Python: a Python function as the tool, the agent made through the registry."""
    ran = []
    session.tools.register("wipe", lambda args: ran.append(args) or "wiped", "Wipes", approve=True)
    agent = session.agents.create({"model": "mock/script", "tools": ["wipe"], "budget": {"tokens": 1000},
                                   "responses": [{"tool": "wipe", "args": {"all": True}}, "done"]})
    assert agent.run("go") == "done" and ran == []
    assert tool_results(session)[0].startswith("denied: no one could approve tool 'wipe'")
    session.configure({"approved_tools": ["wipe"]})
    agent.script.responses += [{"tool": "wipe", "args": {"all": False}}, "done again"]
    assert agent.run("again") == "done again" and ran == [{"all": False}]
    assert agent.budget.spent_tokens == agent.usage.prompt_tokens + agent.usage.completion_tokens > 0


def test_a_spell_cell_of_an_ipython_kernel_asks_too(tmp_path):
    """`%%spell` in the ordinary Python kernel: the same input_request, and a Python cell sees the tool's effect."""
    from test_kernel import execute

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env={**os.environ, "LLMSPELL_OFFLINE": "1"})
    try:
        reply, _ = execute(kc, "%load_ext llmspell_kernel")
        assert reply["status"] == "ok", reply
        reply, _ = execute(kc, "%%spell lua\n" + SETUP["lua"])
        assert reply["status"] == "ok", reply
        msg_id = kc.execute("%%spell lua\n" + RUN_DANGER["lua"], allow_stdin=True)
        reply, prompts = _answer_and_finish(kc, msg_id, ["yes"])
        assert reply["status"] == "ok" and "wants to run tool 'danger'" in prompts[0]
        reply, outputs = execute(kc, "import llmspell_kernel\nllmspell_kernel.session().state.get('ran')")
        assert [out["data"]["text/plain"] for kind, out in outputs if kind == "execute_result"] == ["'1'"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
