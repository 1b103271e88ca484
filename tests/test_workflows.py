"""Workflows driven through real spells in every engine, in offline mode."""

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


def _peak_concurrency(log: list[tuple[float, float]]) -> int:
    """How many logged calls were running at the same moment, at most."""
    points = sorted([(end, -1) for _, end in log] + [(began, 1) for began, _ in log])
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    return peak


def test_sequential_chains_agents_tools_functions_and_workflows(spell):
    result = spell(lua="""
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
    """, tengo="""
        Agent.create({name: "echoer"})
        inner := Workflow.sequential({name: "inner", steps: [func(x) { return x + "!" }]})
        wf := Workflow.sequential({name: "chain", steps: [
            "echoer",
            func(x) { return {expression: x} },
            {tool: "calculator"},
            func(n) { return "got " + string(n) },
            inner
        ]})
        wf.run("6*7")
    """, js="""
        await Agent.create({name: 'echoer'})
        const inner = await Workflow.sequential({name: 'inner', steps: [(x) => x + '!']})
        const wf = await Workflow.sequential({name: 'chain', steps: [
            'echoer',
            (x) => ({expression: x}),
            {tool: 'calculator'},
            (n) => 'got ' + n,
            inner,
        ]})
        await wf.run('6*7')
    """)
    assert result["status"] == "completed"
    assert result["output"] == "got 42!"
    assert [s["name"] for s in result["steps"]] == ["echoer", "step_2", "calculator", "step_4", "inner"]
    assert [s["status"] for s in result["steps"]] == ["completed"] * 5
    assert result["steps"][2]["output"] == 42
    assert all(s["duration"] >= 0 for s in result["steps"])


def test_a_failing_step_does_not_raise_and_keeps_partial_results(spell):
    result = spell(lua="""
        local wf = Workflow.sequential({steps = {
            function(x) return x + 1 end,
            {step = function(x) error('no good') end, name = 'breaks'},
            function(x) return 'never' end,
        }})
        return wf:run(1)
    """, tengo="""
        wf := Workflow.sequential({steps: [
            func(x) { return x + 1 },
            {step: func(x) { return error("no good") }, name: "breaks"},
            func(x) { return "never" }
        ]})
        wf.run(1)
    """, js="""
        const wf = await Workflow.sequential({steps: [
            (x) => x + 1,
            {step: (x) => { throw new Error('no good') }, name: 'breaks'},
            (x) => 'never',
        ]})
        await wf.run(1)
    """)
    assert result["status"] == "failed"
    assert "step 'breaks' failed" in result["error"] and "no good" in result["error"]
    assert [(s["name"], s["status"]) for s in result["steps"]] == [("step_1", "completed"), ("breaks", "failed")]
    assert result["steps"][0]["output"] == 2
    assert "no good" in result["steps"][1]["error"]
    assert result.get("output") is None  # nil in Lua (no key), undefined in Tengo
    assert spell(lua="return 'session still works'", tengo='"session still works"',
                 js="'session still works'") == "session still works"


def test_retry_reruns_a_step_and_emits_step_retry(spell):
    result = spell(lua="""
        local tries = 0
        local wf = Workflow.sequential({name = 'flaky', steps = {
            {step = function(x) tries = tries + 1; if tries < 3 then error('try ' .. tries) end; return tries end,
             retry = 2},
        }})
        return wf:run(nil)
    """, tengo="""
        tries := 0
        wf := Workflow.sequential({name: "flaky", steps: [
            {step: func(x) { tries += 1; if tries < 3 { return error("try " + string(tries)) }; return tries },
             retry: 2}
        ]})
        wf.run(undefined)
    """, js="""
        let tries = 0
        const wf = await Workflow.sequential({name: 'flaky', steps: [
            {step: (x) => { tries += 1; if (tries < 3) { throw new Error('try ' + tries) }; return tries },
             retry: 2},
        ]})
        await wf.run(null)
    """)
    assert result["status"] == "completed" and result["output"] == 3
    retries = spell.session.events.list(type="step.retry")
    assert [e.data["attempt"] for e in retries] == [1, 2]
    assert retries[0].data["workflow"] == "flaky" and "try 1" in retries[0].data["error"]
    exhausted = spell(lua="""
        return Workflow.sequential({steps = {{step = function() error('always') end, retry = 1}}}):run(0)
    """, tengo="""
        Workflow.sequential({steps: [{step: func() { return error("always") }, retry: 1}]}).run(0)
    """, js="""
        await (await Workflow.sequential({steps: [{step: () => { throw new Error('always') }, retry: 1}]})).run(0)
    """)
    assert exhausted["status"] == "failed" and "always" in exhausted["error"]


def test_on_error_skip_passes_the_input_on(spell):
    result = spell(lua="""
        return Workflow.sequential({steps = {
            {step = function(x) error('skip me') end, on_error = 'skip', name = 'optional'},
            function(x) return x * 10 end,
        }}):run(4)
    """, tengo="""
        Workflow.sequential({steps: [
            {step: func(x) { return error("skip me") }, on_error: "skip", name: "optional"},
            func(x) { return x * 10 }
        ]}).run(4)
    """, js="""
        await (await Workflow.sequential({steps: [
            {step: (x) => { throw new Error('skip me') }, on_error: 'skip', name: 'optional'},
            (x) => x * 10,
        ]})).run(4)
    """)
    assert result["status"] == "completed" and result["output"] == 40
    assert result["steps"][0]["status"] == "skipped" and result["steps"][0]["output"] == 4
    assert "skip me" in result["steps"][0]["error"]
    [skip] = spell.session.events.list(type="step.skip")
    assert skip.data["step"] == "optional"


def test_step_timeout_fails_the_step_in_time(spell):
    ran: list[tuple[float, float]] = []
    _slow_tool(spell.session, 30.0, ran)
    result = spell(lua="return Workflow.sequential({steps = {{step = {tool = 'wait', args = {}}, timeout = 100}}}):run()",
                   tengo='Workflow.sequential({steps: [{step: {tool: "wait", args: {}}, timeout: 100}]}).run()',
                   js="await (await Workflow.sequential({steps: [{step: {tool: 'wait', args: {}}, timeout: 100}]})).run()")
    assert ran == []  # the workflow returned while the 30 s tool still ran: it did not wait for the step
    assert result["status"] == "failed"
    assert "timed out after 100 ms" in result["error"]


def test_parallel_merges_as_list_map_or_function(spell):
    spell(lua="""
        double = function(x) return x * 2 end
        square = function(x) return x * x end
    """, tengo="""
        double := func(x) { return x * 2 }
        square := func(x) { return x * x }
    """, js="""
        const double = (x) => x * 2
        const square = (x) => x * x
    """)
    assert spell(lua="return Workflow.parallel({steps = {double, square}}):run(5)",
                 tengo="Workflow.parallel({steps: [double, square]}).run(5)",
                 js="await (await Workflow.parallel({steps: [double, square]})).run(5)")["output"] == [10, 25]
    as_map = spell(lua="""
        return Workflow.parallel({merge = 'map', steps = {{step = double, name = 'd'}, {step = square, name = 's'}}}):run(3)
    """, tengo="""
        Workflow.parallel({merge: "map", steps: [{step: double, name: "d"}, {step: square, name: "s"}]}).run(3)
    """, js="""
        await (await Workflow.parallel({merge: 'map', steps: [{step: double, name: 'd'}, {step: square, name: 's'}]})).run(3)
    """)
    assert as_map["output"] == {"d": 6, "s": 9}
    summed = spell(lua="""
        return Workflow.parallel({steps = {double, square},
                                  merge = function(outs) return outs[1] + outs[2] end}):run(4)
    """, tengo="""
        Workflow.parallel({steps: [double, square],
                           merge: func(outs) { return outs[0] + outs[1] }}).run(4)
    """, js="""
        await (await Workflow.parallel({steps: [double, square],
                                        merge: (outs) => outs[0] + outs[1]})).run(4)
    """)
    assert summed["output"] == 24
    with pytest.raises(ApiError, match="distinct step names"):
        spell(lua="Workflow.parallel({merge = 'map', steps = {{step = double, name = 'x'}, {step = square, name = 'x'}}})",
              tengo='Workflow.parallel({merge: "map", steps: [{step: double, name: "x"}, {step: square, name: "x"}]})',
              js="await Workflow.parallel({merge: 'map', steps: [{step: double, name: 'x'}, {step: square, name: 'x'}]})")


def test_parallel_branches_overlap_and_respect_max_concurrency(spell):
    log: list[tuple[float, float]] = []
    _slow_tool(spell.session, 0.2, log)
    result = spell(lua="""
        local steps = {}
        for i = 1, 4 do steps[i] = {tool = 'wait', args = {tag = 't' .. i}} end
        return Workflow.parallel({steps = steps}):run()
    """, tengo="""
        steps := []
        for i := 1; i <= 4; i++ { steps = append(steps, {tool: "wait", args: {tag: "t" + string(i)}}) }
        Workflow.parallel({steps: steps}).run()
    """, js="""
        const steps = []
        for (let i = 1; i <= 4; i++) { steps.push({tool: 'wait', args: {tag: 't' + i}}) }
        await (await Workflow.parallel({steps: steps})).run()
    """)
    assert result["output"] == ["t1", "t2", "t3", "t4"]
    # Overlap is read from when each call ran, not from wall time, which a loaded CI machine stretches.
    assert _peak_concurrency(log) == 4, "the four branches did not all run at once"

    log.clear()
    spell(lua="""
        local steps = {}
        for i = 1, 4 do steps[i] = {tool = 'wait', args = {}} end
        return Workflow.parallel({steps = steps, max_concurrency = 2}):run()
    """, tengo="""
        untagged := []
        for i := 1; i <= 4; i++ { untagged = append(untagged, {tool: "wait", args: {}}) }
        Workflow.parallel({steps: untagged, max_concurrency: 2}).run()
    """, js="""
        const untagged = []
        for (let i = 1; i <= 4; i++) { untagged.push({tool: 'wait', args: {}}) }
        await (await Workflow.parallel({steps: untagged, max_concurrency: 2})).run()
    """)
    assert _peak_concurrency(log) == 2


def test_parallel_script_steps_run_under_the_engine_lock_without_deadlock(spell):
    result = spell(lua="""
        local steps = {}
        for i = 1, 6 do steps[i] = function(x) State.update('hits', function(n) return (n or 0) + 1 end); return x + i end end
        return Workflow.parallel({steps = steps}):run(100)
    """, tengo="""
        step := func(i) {
            return func(x) { State.update("hits", func(n) { return is_undefined(n) ? 1 : n + 1 }); return x + i }
        }
        steps := []
        for i := 1; i <= 6; i++ { steps = append(steps, step(i)) }
        Workflow.parallel({steps: steps}).run(100)
    """, js="""
        const steps = []
        for (let i = 1; i <= 6; i++) {
            steps.push(async (x) => { await State.update('hits', (n) => (n ?? 0) + 1); return x + i })
        }
        await (await Workflow.parallel({steps: steps})).run(100)
    """)
    assert result["output"] == [101, 102, 103, 104, 105, 106]
    assert spell(lua="return State.get('hits')", tengo='State.get("hits")', js="await State.get('hits')") == 6


def test_a_failing_parallel_branch_fails_the_workflow(spell):
    result = spell(lua="""
        return Workflow.parallel({steps = {function(x) return 1 end, {step = function() error('bad branch') end,
                                  name = 'b'}}}):run(0)
    """, tengo="""
        Workflow.parallel({steps: [func(x) { return 1 }, {step: func() { return error("bad branch") },
                           name: "b"}]}).run(0)
    """, js="""
        await (await Workflow.parallel({steps: [(x) => 1, {step: () => { throw new Error('bad branch') },
                                        name: 'b'}]})).run(0)
    """)
    assert result["status"] == "failed" and "step 'b' failed" in result["error"]
    assert sorted(s["status"] for s in result["steps"]) == ["completed", "failed"]


def test_conditional_takes_the_first_matching_branch_or_the_default(spell):
    spell(lua="""
        router = Workflow.conditional({name = 'router', branches = {
            {when = function(x) return x > 100 end, step = function(x) return 'big' end},
            {when = function(x) return x > 10 end, step = function(x) return 'medium' end},
        }, default = function(x) return 'small' end})
        passthrough = Workflow.conditional({branches = {{when = function(x) return false end, step = function() return 'no' end}}})
    """, tengo="""
        router := Workflow.conditional({name: "router", branches: [
            {when: func(x) { return x > 100 }, step: func(x) { return "big" }},
            {when: func(x) { return x > 10 }, step: func(x) { return "medium" }}
        ], default: func(x) { return "small" }})
        passthrough := Workflow.conditional({branches: [{when: func(x) { return false }, step: func() { return "no" }}]})
    """, js="""
        const router = await Workflow.conditional({name: 'router', branches: [
            {when: (x) => x > 100, step: (x) => 'big'},
            {when: (x) => x > 10, step: (x) => 'medium'},
        ], default: (x) => 'small'})
        const passthrough = await Workflow.conditional({branches: [{when: (x) => false, step: () => 'no'}]})
    """)
    assert spell(lua="return router:run(500)", tengo="router.run(500)", js="await router.run(500)")["output"] == "big"
    assert spell(lua="return router:run(50)", tengo="router.run(50)", js="await router.run(50)")["output"] == "medium"
    result = spell(lua="return router:run(5)", tengo="router.run(5)", js="await router.run(5)")
    assert result["output"] == "small" and [s["name"] for s in result["steps"]] == ["step_3"]
    assert spell(lua="return passthrough:run('as is')", tengo='passthrough.run("as is")',
                 js="await passthrough.run('as is')")["output"] == "as is"
    failed = spell(lua="""
        return Workflow.conditional({branches = {{when = function(x) error('bad test') end,
                                                  step = function() return 1 end}}}):run(1)
    """, tengo="""
        Workflow.conditional({branches: [{when: func(x) { return error("bad test") },
                                          step: func() { return 1 }}]}).run(1)
    """, js="""
        await (await Workflow.conditional({branches: [{when: (x) => { throw new Error('bad test') },
                                                       step: () => 1}]})).run(1)
    """)
    assert failed["status"] == "failed" and "condition of branch 1 failed" in failed["error"]


def test_loop_runs_until_the_condition_or_fails_at_max_iterations(spell):
    done = spell(lua="""
        return Workflow.loop({name = 'grow', step = function(x) return x * 2 end,
                              ['until'] = function(out, i) return out >= 100 end, max_iterations = 10}):run(3)
    """, tengo="""
        Workflow.loop({name: "grow", step: func(x) { return x * 2 },
                       until: func(out, i) { return out >= 100 }, max_iterations: 10}).run(3)
    """, js="""
        await (await Workflow.loop({name: 'grow', step: (x) => x * 2,
                                    until: (out, i) => out >= 100, max_iterations: 10})).run(3)
    """)
    assert done["status"] == "completed" and done["output"] == 192
    assert [s["name"] for s in done["steps"]] == [f"step_1#{i}" for i in range(1, 7)]
    capped = spell(lua="""
        return Workflow.loop({step = function(x) return x + 1 end, ['until'] = function(out) return out > 99 end,
                              max_iterations = 3}):run(0)
    """, tengo="""
        Workflow.loop({step: func(x) { return x + 1 }, until: func(out) { return out > 99 },
                       max_iterations: 3}).run(0)
    """, js="""
        await (await Workflow.loop({step: (x) => x + 1, until: (out) => out > 99,
                                    max_iterations: 3})).run(0)
    """)
    assert capped["status"] == "failed" and "reached max_iterations (3)" in capped["error"]
    assert [s["output"] for s in capped["steps"]] == [1, 2, 3]
    fixed = spell(lua="return Workflow.loop({step = function(x) return x .. '.' end, max_iterations = 3}):run('')",
                  tengo='Workflow.loop({step: func(x) { return x + "." }, max_iterations: 3}).run("")',
                  js="await (await Workflow.loop({step: (x) => x + '.', max_iterations: 3})).run('')")
    assert fixed["status"] == "completed" and fixed["output"] == "..."
    with pytest.raises(ApiError, match="max_iterations is required"):
        spell(lua="Workflow.loop({step = function(x) return x end, ['until'] = function() return true end})",
              tengo="Workflow.loop({step: func(x) { return x }, until: func() { return true }})",
              js="await Workflow.loop({step: (x) => x, until: () => true})")


def test_workflow_events_form_a_tree_down_to_the_model(spell):
    spell(lua="Agent.create({name = 'leaf'})", tengo='Agent.create({name: "leaf"})', js="await Agent.create({name: 'leaf'})")
    spell(lua="Workflow.sequential({name = 'outer', steps = {Workflow.sequential({name = 'nested', steps = {'leaf'}})}}):run('hi')",
          tengo='Workflow.sequential({name: "outer", steps: [Workflow.sequential({name: "nested", steps: ["leaf"]})]}).run("hi")',
          js="await (await Workflow.sequential({name: 'outer', steps: [await Workflow.sequential({name: 'nested', steps: ['leaf']})]})).run('hi')")
    by_id = {e.id: e for e in spell.session.events.list()}
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


def test_state_changes_in_a_step_name_the_workflow_as_author(spell):
    spell(lua="Workflow.sequential({name = 'writer_flow', steps = {function(x) State.set('out', x) return x end}}):run('v')",
          tengo='Workflow.sequential({name: "writer_flow", steps: [func(x) { State.set("out", x); return x }]}).run("v")',
          js="await (await Workflow.sequential({name: 'writer_flow', steps: [async (x) => { await State.set('out', x); return x }]})).run('v')")
    [change] = spell(lua="return State.history('out')", tengo='State.history("out")', js="await State.history('out')")
    assert change["author"]["workflow"] == "writer_flow" and change["author"]["engine"] == spell.engine


def test_run_async_returns_a_future_of_the_result(spell):
    result = spell(lua="""
        local f = Workflow.sequential({steps = {function(x) return x .. ' later' end}}):run_async('done')
        return Async.await(f)
    """, tengo="""
        f := Workflow.sequential({steps: [func(x) { return x + " later" }]}).run_async("done")
        Async.await(f)
    """, js="""
        const f = (await Workflow.sequential({steps: [(x) => x + ' later']})).run_async('done')
        await Async.await(f)
    """)
    assert result["output"] == "done later"


BAD_DEFINITIONS = [  # (the definition per engine, the error's message)
    ({"lua": "Workflow.sequential({steps = {}})", "tengo": "Workflow.sequential({steps: []})",
      "js": "await Workflow.sequential({steps: []})"},
     "`steps` must be a non-empty list"),
    ({"lua": "Workflow.sequential({steps = {42}})", "tengo": "Workflow.sequential({steps: [42]})",
      "js": "await Workflow.sequential({steps: [42]})"},
     "step 1 must be an agent"),
    ({"lua": "Workflow.sequential({steps = {'nobody'}})", "tengo": 'Workflow.sequential({steps: ["nobody"]})',
      "js": "await Workflow.sequential({steps: ['nobody']})"},
     "no agent named 'nobody'"),
    ({"lua": "Workflow.sequential({steps = {{tool = 'nope'}}})", "tengo": 'Workflow.sequential({steps: [{tool: "nope"}]})',
      "js": "await Workflow.sequential({steps: [{tool: 'nope'}]})"},
     "unknown tool 'nope'"),
    ({"lua": "Workflow.sequential({steps = {{step = function() end, on_error = 'ignore'}}})",
      "tengo": 'Workflow.sequential({steps: [{step: func() {}, on_error: "ignore"}]})',
      "js": "await Workflow.sequential({steps: [{step: () => {}, on_error: 'ignore'}]})"},
     'on_error must be "fail" or "skip"'),
    ({"lua": "Workflow.sequential({steps = {function() end}, colour = 'red'})",
      "tengo": 'Workflow.sequential({steps: [func() {}], colour: "red"})',
      "js": "await Workflow.sequential({steps: [() => {}], colour: 'red'})"},
     "unknown option"),
    ({"lua": "Workflow.parallel({steps = {function() end}, max_concurrency = 0})",
      "tengo": "Workflow.parallel({steps: [func() {}], max_concurrency: 0})",
      "js": "await Workflow.parallel({steps: [() => {}], max_concurrency: 0})"},
     "max_concurrency"),
    ({"lua": "Workflow.loop({step = function() end, max_iterations = 0})",
      "tengo": "Workflow.loop({step: func() {}, max_iterations: 0})",
      "js": "await Workflow.loop({step: () => {}, max_iterations: 0})"},
     "positive integer"),
]


def test_bad_definitions_are_clear_errors(spell):
    for code, message in BAD_DEFINITIONS:
        with pytest.raises(ApiError, match=message.replace("(", r"\(")):
            spell(**code)


def test_workflow_handle_info(spell):
    info = spell(lua="""
        local wf = Workflow.parallel({name = 'fan', steps = {{step = function() end, name = 'a'}, function() end}})
        return {wf:info(), wf.name, wf.kind}
    """, tengo="""
        wf := Workflow.parallel({name: "fan", steps: [{step: func() {}, name: "a"}, func() {}]})
        [wf.info(), wf.name, wf.kind]
    """, js="""
        const wf = await Workflow.parallel({name: 'fan', steps: [{step: () => {}, name: 'a'}, () => {}]})
        const info = [await wf.info(), wf.name, wf.kind]
        info
    """)
    assert info == [{"name": "fan", "kind": "parallel", "steps": ["a", "step_2"]}, "fan", "parallel"]


def test_a_step_from_another_thread_waits_for_the_engine(spell):
    """A workflow started from Python while a chunk runs: its script step waits its turn."""
    fn = spell(lua="return function(x) return x + 1 end", tengo="func(x) { return x + 1 }", js="(x) => x + 1")
    workflow = spell.session.workflows.build("sequential", {"steps": [fn]})
    out: list = []
    worker = threading.Thread(target=lambda: out.append(workflow.run(1)))
    spell(lua="Spell.sleep(10)", tengo="Spell.sleep(10)", js="await Spell.sleep(10)")
    worker.start()
    worker.join(5)
    assert out and out[0]["output"] == 2
