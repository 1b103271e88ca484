"""Workflow checkpoints and resume, and script tools that come back after a restart.

A checkpointed run records each finished step; `Workflow.resume(run_id)` rebuilds the
workflow from the record and runs only what had not finished. The kill -9 test proves it
at the fake model server: after the crash, only the unfinished step calls the model again.
"""

from __future__ import annotations

import os
import time

import pytest
from jupyter_client.manager import start_new_kernel
from support.fake_openai import FakeOpenAI, Reply

from llmspell_kernel.errors import ApiError
from llmspell_kernel.runtime.session import Session


def test_resume_runs_only_the_unfinished_steps(spell):
    # `bump` counts its calls in a global and fails on 2 while `broken` is set
    spell(lua="""
        calls, broken = 0, true
        function bump(x) calls = calls + 1; if x == 2 and broken then error('boom') end; return x + 1 end
    """, js="""
        globalThis.calls = 0; globalThis.broken = true
        function bump(x) { calls += 1; if (x === 2 && broken) throw new Error('boom'); return x + 1 }
    """, tengo="""
        calls := 0
        broken := true
        bump := func(x) { calls += 1; if x == 2 && broken { return error("boom") }; return x + 1 }
    """)
    failed = spell(lua="return Workflow.sequential({name = 'p', steps = {bump, bump, bump, bump}}):run(0, "
                       "{checkpoint = true, run_id = 'r1'})",
                   js="await (await Workflow.sequential({name: 'p', steps: [bump, bump, bump, bump]}))"
                      ".run(0, {checkpoint: true, run_id: 'r1'})",
                   tengo='Workflow.sequential({name: "p", steps: [bump, bump, bump, bump]})'
                         '.run(0, {checkpoint: true, run_id: "r1"})')
    assert failed["status"] == "failed" and failed["run_id"] == "r1" and "boom" in failed["error"]
    assert [r["status"] for r in failed["steps"]] == ["completed", "completed", "failed"]
    resumed = spell(lua="broken = false\nreturn Workflow.resume('r1')",
                    js="broken = false\nawait Workflow.resume('r1')",
                    tengo='broken = false\nWorkflow.resume("r1")')
    assert resumed["status"] == "completed" and resumed["output"] == 4
    assert [r.get("restored", False) for r in resumed["steps"]] == [True, True, False, False]
    assert spell(lua="return calls", js="calls", tengo="calls") == 3 + 2  # two steps ran before, one failed
    runs = spell(lua="return Workflow.runs()", js="await Workflow.runs()", tengo="Workflow.runs()")
    assert [(r["run_id"], r["workflow"], r["status"], r["steps_done"]) for r in runs] == [("r1", "p", "completed", 4)]
    types = [e.type for e in spell.session.events.list("step.*")]
    assert types.count("step.restore") == 2


def test_parallel_and_loop_runs_resume_where_they_stopped(lua):
    lua("""
        hits, broken = {}, true
        function branch(name) return function(x) hits[name] = (hits[name] or 0) + 1; return name end end
        a = function(x) hits.a = (hits.a or 0) + 1; return 'a' end
        b = function(x) hits.b = (hits.b or 0) + 1; if broken then error('down') end; return 'b' end
        step = function(x) hits.loop = (hits.loop or 0) + 1; if x == 3 and broken then error('stop') end; return x + 1 end
        done = function(x, i) return x >= 5 end
    """)
    assert lua("return Workflow.parallel({steps = {a, b}}):run(nil, {checkpoint = true, run_id = 'par'}).status") == "failed"
    assert lua("return Workflow.loop({step = step, ['until'] = done, max_iterations = 9}):run(0, "
               "{checkpoint = true, run_id = 'loop'}).status") == "failed"
    lua("broken = false")
    assert lua("return Workflow.resume('par').output") == ["a", "b"]
    assert lua("return Workflow.resume('loop').output") == 5
    assert lua("return hits") == {"a": 1, "b": 2, "loop": 4 + 2}


def test_what_cannot_be_checkpointed_is_refused_before_the_run(session):
    with pytest.raises(ApiError, match=r"captures the local variable\(s\) n cannot be stored"):
        session.run("local n = 1\nreturn Workflow.sequential({steps = {function(x) return n end}}):run(1, "
                    "{checkpoint = true})")
    with pytest.raises(ApiError, match=r"Tengo function that captures the local variable\(s\) n"):
        session.run("add := func(n) { return func(x) { return x + n } }\n"
                    "Workflow.sequential({steps: [add(1)]}).run(1, {checkpoint: true})", "tengo")
    wf = session.workflows.build("sequential", {"steps": [lambda x: x]})
    with pytest.raises(ApiError, match="step 'step_1' cannot be checkpointed: a Python function"):
        session.workflows.run(wf, 1, {"checkpoint": True})
    with pytest.raises(ApiError, match="no checkpointed run 'nope'; known runs: none"):
        session.run("return Workflow.resume('nope')")
    with pytest.raises(ApiError, match="run options must be a map of checkpoint, run_id"):
        session.run("return Workflow.sequential({steps = {{tool = 'uuid'}}}):run(1, {checkpoint = true, colour = 1})")
    with pytest.raises(ApiError, match="give checkpoint = true too"):
        session.run("return Workflow.sequential({steps = {{tool = 'uuid'}}}):run(1, {run_id = 'x'})")
    session.run("return Workflow.sequential({steps = {{tool = 'uuid'}}}):run(1, {checkpoint = true, run_id = 'once'})")
    with pytest.raises(ApiError, match="a run 'once' exists already"):
        session.run("return Workflow.sequential({steps = {{tool = 'uuid'}}}):run(1, {checkpoint = true, run_id = 'once'})")


def test_script_tools_come_back_after_a_restart_in_every_engine(data_home, capsys):
    with Session(offline=True, session="tools") as first:
        first.run("Tool.register({name = 'shout', description = 'loud', fn = function(a) return a.text:upper() end})")
        first.run("Tool.register({name: 'twice', params: {type: 'object', required: ['n']}, fn: (a) => a.n * 2})", "js")
        first.run('Tool.register({name: "inc", fn: func(a) { return a.n + 1 }})', "tengo")
        first.run("local secret = 1\nTool.register({name = 'closure', fn = function(a) return secret end})")
    assert "tool 'closure' is not saved with the session: a Lua function that captures the local variable(s) secret" \
        in capsys.readouterr().err
    with Session(offline=True, session="tools") as second:
        assert {"shout", "twice", "inc"} <= set(second.tools.names()) and "closure" not in second.tools.names()
        assert second.tools.get("shout").description == "loud"
        # a Lua cell calls the stored JS and Tengo tools: each compiles in its own engine, loaded on demand
        assert second.run("return {Tool.call('twice', {n = 21}), Tool.call('inc', {n = 1}), "
                          "Tool.call('shout', {text = 'hi'})}") == [42, 2, "HI"]
        with pytest.raises(ApiError, match="missing required argument 'n'"):
            second.run("return Tool.call('twice', {})")


MODEL = "openai/fake-model"


def _result(outputs: list) -> object:
    [result] = [c for kind, c in outputs if kind == "execute_result"]
    return result["data"]["application/json"]


def test_a_run_resumes_after_the_kernel_is_killed(tmp_path):
    """Three agent steps; the kernel is killed with SIGKILL while the third waits on the model.
    A new kernel resumes: the model is called once more, for the third step only."""
    from test_kernel import execute

    with FakeOpenAI() as server:
        server.push(Reply.text("outline"), Reply.text("draft"), Reply.delayed(60, Reply.text("never sent")))
        env = {**os.environ, "LLMSPELL_SESSION": "crash", "XDG_DATA_HOME": str(tmp_path / "data"),
               "OPENAI_API_KEY": "sk-test-fake", "LLMSPELL_OFFLINE": "0"}
        km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path), env=env)
        try:
            reply, _ = execute(kc, "\n".join(
                f"Agent.create({{name = '{name}', model = '{MODEL}', api_base = '{server.url}'}})"
                for name in ("planner", "writer", "editor")))
            assert reply["status"] == "ok"
            kc.execute("return Workflow.sequential({name = 'article', steps = {'planner', 'writer', 'editor'}})"
                       ":run('topic', {checkpoint = true, run_id = 'nightly'})")
            deadline = time.monotonic() + 30
            while server.calls < 3:  # the third step is waiting on the model
                assert time.monotonic() < deadline, "the workflow did not reach its third step"
                time.sleep(0.05)
            os.kill(km.provisioner.process.pid, 9)
            km.provisioner.process.wait()
        finally:
            kc.stop_channels()
            km.cleanup_resources()
        server.push(Reply.text("final text"))
        km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path), env=env)
        try:
            reply, outputs = execute(kc, "return Workflow.runs()[1]")
            assert _result(outputs)["status"] == "running" and _result(outputs)["steps_done"] == 2
            reply, outputs = execute(kc, "return Workflow.resume('nightly')")
            assert reply["status"] == "ok", reply
            result = _result(outputs)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        assert result["status"] == "completed" and result["output"] == "final text"
        assert [s.get("restored", False) for s in result["steps"]] == [True, True, False]
        assert server.calls == 4, "a finished step called the model again"
        assert server.bodies[3]["messages"][-1]["content"] == "draft"  # the third step's input is the second's output
