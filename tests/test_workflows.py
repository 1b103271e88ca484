"""Workflows driven through real Lua spells, in offline mode."""

from __future__ import annotations

import threading
import time

import pytest

from llmspell_kernel.errors import ApiError


def _slow_tool(session, seconds: float, log: list[tuple[float, float]] | None = None) -> None:
    """A Python tool that waits, recording when it ran, to observe overlap and timeouts."""

    def wait(args):
        began = time.perf_counter()
        time.sleep(seconds)
        if log is not None:
            log.append((began, time.perf_counter()))
        return args.get("tag", "done")

    session.tools.register("wait", wait, "waits", {"type": "object", "properties": {"tag": {"type": "string"}}})


def test_sequential_chains_agents_tools_functions_and_workflows(lua):
    result = lua("""
        Agent.create({name = 'echoer'})
        local inner = Workflow.sequential({name = 'inner', steps = {function(x) return x .. '!' end}})
        local wf = Workflow.sequential({name = 'chain', steps = {
            'echoer',
            function(x) return {expression = x} end,
            {tool = 'calculator'},
            function(n) return 'got ' .. n end,
            inner,
        }})
        return wf:run('6*7')
    """)
    assert result["status"] == "completed"
    assert result["output"] == "got 42!"
    assert [s["name"] for s in result["steps"]] == ["echoer", "step_2", "calculator", "step_4", "inner"]
    assert [s["status"] for s in result["steps"]] == ["completed"] * 5
    assert result["steps"][2]["output"] == 42
    assert all(s["duration"] >= 0 for s in result["steps"])


def test_a_failing_step_does_not_raise_and_keeps_partial_results(lua):
    result = lua("""
        local wf = Workflow.sequential({steps = {
            function(x) return x + 1 end,
            {step = function(x) error('no good') end, name = 'breaks'},
            function(x) return 'never' end,
        }})
        return wf:run(1)
    """)
    assert result["status"] == "failed"
    assert "step 'breaks' failed" in result["error"] and "no good" in result["error"]
    assert [(s["name"], s["status"]) for s in result["steps"]] == [("step_1", "completed"), ("breaks", "failed")]
    assert result["steps"][0]["output"] == 2
    assert "no good" in result["steps"][1]["error"]
    assert "output" not in result  # nil in Lua
    assert lua("return 'session still works'") == "session still works"


def test_retry_reruns_a_step_and_emits_step_retry(lua):
    result = lua("""
        local tries = 0
        local wf = Workflow.sequential({name = 'flaky', steps = {
            {step = function(x) tries = tries + 1; if tries < 3 then error('try ' .. tries) end; return tries end,
             retry = 2},
        }})
        return wf:run(nil)
    """)
    assert result["status"] == "completed" and result["output"] == 3
    retries = lua.session.events.list(type="step.retry")
    assert [e.data["attempt"] for e in retries] == [1, 2]
    assert retries[0].data["workflow"] == "flaky" and "try 1" in retries[0].data["error"]
    exhausted = lua("""
        return Workflow.sequential({steps = {{step = function() error('always') end, retry = 1}}}):run(0)
    """)
    assert exhausted["status"] == "failed" and "always" in exhausted["error"]


def test_on_error_skip_passes_the_input_on(lua):
    result = lua("""
        return Workflow.sequential({steps = {
            {step = function(x) error('skip me') end, on_error = 'skip', name = 'optional'},
            function(x) return x * 10 end,
        }}):run(4)
    """)
    assert result["status"] == "completed" and result["output"] == 40
    assert result["steps"][0]["status"] == "skipped" and result["steps"][0]["output"] == 4
    assert "skip me" in result["steps"][0]["error"]
    [skip] = lua.session.events.list(type="step.skip")
    assert skip.data["step"] == "optional"


def test_step_timeout_fails_the_step_in_time(lua):
    _slow_tool(lua.session, 2.0)
    began = time.perf_counter()
    result = lua("return Workflow.sequential({steps = {{step = {tool = 'wait', args = {}}, timeout = 100}}}):run()")
    assert time.perf_counter() - began < 1.5
    assert result["status"] == "failed"
    assert "timed out after 100 ms" in result["error"]


def test_parallel_merges_as_list_map_or_function(lua):
    lua("""
        double = function(x) return x * 2 end
        square = function(x) return x * x end
    """)
    assert lua("return Workflow.parallel({steps = {double, square}}):run(5)")["output"] == [10, 25]
    as_map = lua("""
        return Workflow.parallel({merge = 'map', steps = {{step = double, name = 'd'}, {step = square, name = 's'}}}):run(3)
    """)
    assert as_map["output"] == {"d": 6, "s": 9}
    summed = lua("""
        return Workflow.parallel({steps = {double, square},
                                  merge = function(outs) return outs[1] + outs[2] end}):run(4)
    """)
    assert summed["output"] == 24
    with pytest.raises(ApiError, match="distinct step names"):
        lua("Workflow.parallel({merge = 'map', steps = {{step = double, name = 'x'}, {step = square, name = 'x'}}})")


def test_parallel_branches_overlap_and_respect_max_concurrency(lua):
    log: list[tuple[float, float]] = []
    _slow_tool(lua.session, 0.2, log)
    began = time.perf_counter()
    result = lua("""
        local steps = {}
        for i = 1, 4 do steps[i] = {tool = 'wait', args = {tag = 't' .. i}} end
        return Workflow.parallel({steps = steps}):run()
    """)
    wall = time.perf_counter() - began
    assert result["output"] == ["t1", "t2", "t3", "t4"]
    assert wall < 0.6, f"4 × 200 ms branches took {wall:.2f} s: they did not overlap"

    log.clear()
    lua("""
        local steps = {}
        for i = 1, 4 do steps[i] = {tool = 'wait', args = {}} end
        return Workflow.parallel({steps = steps, max_concurrency = 2}):run()
    """)
    points = sorted([(b, 1) for b, _ in log] + [(e, -1) for _, e in log])
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    assert peak == 2


def test_parallel_script_steps_run_under_the_engine_lock_without_deadlock(lua):
    result = lua("""
        local steps = {}
        for i = 1, 6 do steps[i] = function(x) State.update('hits', function(n) return (n or 0) + 1 end); return x + i end end
        return Workflow.parallel({steps = steps}):run(100)
    """)
    assert result["output"] == [101, 102, 103, 104, 105, 106]
    assert lua("return State.get('hits')") == 6


def test_a_failing_parallel_branch_fails_the_workflow(lua):
    result = lua("""
        return Workflow.parallel({steps = {function(x) return 1 end, {step = function() error('bad branch') end,
                                  name = 'b'}}}):run(0)
    """)
    assert result["status"] == "failed" and "step 'b' failed" in result["error"]
    assert sorted(s["status"] for s in result["steps"]) == ["completed", "failed"]


def test_conditional_takes_the_first_matching_branch_or_the_default(lua):
    lua("""
        router = Workflow.conditional({name = 'router', branches = {
            {when = function(x) return x > 100 end, step = function(x) return 'big' end},
            {when = function(x) return x > 10 end, step = function(x) return 'medium' end},
        }, default = function(x) return 'small' end})
        passthrough = Workflow.conditional({branches = {{when = function(x) return false end, step = function() return 'no' end}}})
    """)
    assert lua("return router:run(500)")["output"] == "big"
    assert lua("return router:run(50)")["output"] == "medium"
    result = lua("return router:run(5)")
    assert result["output"] == "small" and [s["name"] for s in result["steps"]] == ["step_3"]
    assert lua("return passthrough:run('as is')")["output"] == "as is"
    failed = lua("""
        return Workflow.conditional({branches = {{when = function(x) error('bad test') end,
                                                  step = function() return 1 end}}}):run(1)
    """)
    assert failed["status"] == "failed" and "condition of branch 1 failed" in failed["error"]


def test_loop_runs_until_the_condition_or_fails_at_max_iterations(lua):
    done = lua("""
        return Workflow.loop({name = 'grow', step = function(x) return x * 2 end,
                              ['until'] = function(out, i) return out >= 100 end, max_iterations = 10}):run(3)
    """)
    assert done["status"] == "completed" and done["output"] == 192
    assert [s["name"] for s in done["steps"]] == [f"step_1#{i}" for i in range(1, 7)]
    capped = lua("""
        return Workflow.loop({step = function(x) return x + 1 end, ['until'] = function(out) return out > 99 end,
                              max_iterations = 3}):run(0)
    """)
    assert capped["status"] == "failed" and "reached max_iterations (3)" in capped["error"]
    assert [s["output"] for s in capped["steps"]] == [1, 2, 3]
    fixed = lua("return Workflow.loop({step = function(x) return x .. '.' end, max_iterations = 3}):run('')")
    assert fixed["status"] == "completed" and fixed["output"] == "..."
    with pytest.raises(ApiError, match="max_iterations is required"):
        lua("Workflow.loop({step = function(x) return x end, ['until'] = function() return true end})")


def test_workflow_events_form_a_tree_down_to_the_model(lua):
    lua("Agent.create({name = 'leaf'})")
    lua("Workflow.sequential({name = 'outer', steps = {Workflow.sequential({name = 'nested', steps = {'leaf'}})}}):run('hi')")
    by_id = {e.id: e for e in lua.session.events.list()}
    request = next(e for e in by_id.values() if e.type == "llm.request")
    chain = []
    node = request
    while node.parent_id in by_id:
        node = by_id[node.parent_id]
        chain.append((node.type, node.data.get("workflow") or node.data.get("agent")))
    assert chain == [("agent.start", "leaf"), ("step.start", "nested"), ("workflow.start", "nested"),
                     ("step.start", "outer"), ("workflow.start", "outer"), ("spell.start", None)]
    [complete] = [e for e in by_id.values() if e.type == "workflow.complete" and e.data["workflow"] == "outer"]
    assert complete.duration is not None


def test_state_changes_in_a_step_name_the_workflow_as_author(lua):
    lua("Workflow.sequential({name = 'writer_flow', steps = {function(x) State.set('out', x) return x end}}):run('v')")
    [change] = lua("return State.history('out')")
    assert change["author"]["workflow"] == "writer_flow" and change["author"]["engine"] == "lua"


def test_run_async_returns_a_future_of_the_result(lua):
    result = lua("""
        local f = Workflow.sequential({steps = {function(x) return x .. ' later' end}}):run_async('done')
        return Async.await(f)
    """)
    assert result["output"] == "done later"


def test_bad_definitions_are_clear_errors(lua):
    cases = {
        "Workflow.sequential({steps = {}})": "`steps` must be a non-empty list",
        "Workflow.sequential({steps = {42}})": "step 1 must be an agent",
        "Workflow.sequential({steps = {'nobody'}})": "no agent named 'nobody'",
        "Workflow.sequential({steps = {{tool = 'nope'}}})": "unknown tool 'nope'",
        "Workflow.sequential({steps = {{step = function() end, on_error = 'ignore'}}})": 'on_error must be "fail" or "skip"',
        "Workflow.sequential({steps = {function() end}, colour = 'red'})": "unknown option",
        "Workflow.parallel({steps = {function() end}, max_concurrency = 0})": "max_concurrency",
        "Workflow.loop({step = function() end, max_iterations = 0})": "positive integer",
    }
    for code, message in cases.items():
        with pytest.raises(ApiError, match=message.replace("(", r"\(")):
            lua(code)


def test_workflow_handle_info(lua):
    info = lua("""
        local wf = Workflow.parallel({name = 'fan', steps = {{step = function() end, name = 'a'}, function() end}})
        return {wf:info(), wf.name, wf.kind}
    """)
    assert info == [{"name": "fan", "kind": "parallel", "steps": ["a", "step_2"]}, "fan", "parallel"]


def test_a_step_from_another_thread_waits_for_the_engine(lua):
    """A workflow started from Python while a Lua chunk runs: its Lua step waits its turn."""
    fn = lua("return function(x) return x + 1 end")
    workflow = lua.session.workflows.build("sequential", {"steps": [fn]})
    out: list = []
    worker = threading.Thread(target=lambda: out.append(workflow.run(1)))
    lua("Spell.sleep(10)")
    worker.start()
    worker.join(5)
    assert out and out[0]["output"] == 2
