"""Spell API overhead: agent runs beyond the provider, State.get against bare lupa, a parallel workflow.

Run: python bench/api_overhead.py. Writes bench/api_overhead.json. Never part of the test suite.
Targets (issue 3): agent run ≤ 1 ms beyond the provider; State.get ≤ 2× a bare lupa call into
Python; 10 parallel agent steps of 200 ms each ≤ 300 ms wall.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("LLMSPELL_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fake OpenAI server

from results import per_call_us, save  # bench/results.py

from llmspell_kernel.runtime.llm import LLMRequest
from llmspell_kernel.runtime.session import Session

N = 2000


def agent_overhead() -> dict:
    with Session(offline=True) as session:
        session.run("bench_agent = Agent.create({name = 'bench', model = 'mock/echo'})", "lua")
        loop = session.run("return function(n) for i = 1, n do bench_agent:run('hello world') end end", "lua")
        run_us = per_call_us(loop, N // 4, repeats=7)

        def provider_only(n: int) -> None:
            for _ in range(n):
                session.llm.call(LLMRequest(model="mock/echo", messages=[{"role": "user", "content": "hello world"}]))

        provider_us = per_call_us(provider_only, N // 4, repeats=7)
    return {"agent_run_us": run_us, "provider_call_us": provider_us, "overhead_us": run_us - provider_us,
            "target_overhead_us": 1000}


def state_get_vs_lupa() -> dict:
    from lupa import lua54

    store = {"k": 42}

    def get(key, default=None):  # the least a Python-side State.get could be
        return store.get(key, default)

    bare = lua54.LuaRuntime()
    bare.globals().get = get
    bare_loop = bare.eval("function(n) local v for i = 1, n do v = get('k') end return v end")
    bare_us = per_call_us(bare_loop, N * 10, repeats=7)
    with Session(offline=True) as session:
        session.run("State.set('k', 42)", "lua")
        loop = session.run("return function(n) local v for i = 1, n do v = State.get('k') end return v end", "lua")
        ours_us = per_call_us(loop, N * 10, repeats=7)
    return {"bare_lupa_call_us": bare_us, "state_get_us": ours_us, "ratio": ours_us / bare_us, "target_ratio": 2.0}


def parallel_workflow(runs: int = 5) -> dict:
    from support.fake_openai import FakeOpenAI, Reply

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-fake")
    walls = []
    with FakeOpenAI() as server, Session(offline=False, model=None) as session:
        session.run(f"""
            local steps = {{}}
            for i = 1, 10 do
                steps[i] = Agent.create({{name = 'p' .. i, model = 'openai/fake-model', api_base = '{server.url}'}})
            end
            fan_out = Workflow.parallel({{steps = steps}})
        """, "lua")
        for i in range(runs + 1):
            server.push(*[Reply.delayed(0.2) for _ in range(10)])
            began = time.perf_counter()
            result = session.run("return fan_out:run('ping')", "lua")
            if i:  # the first run pays for importing litellm
                walls.append((time.perf_counter() - began) * 1000)
            assert result["status"] == "completed", result
    return {"median_wall_ms": statistics.median(walls), "min_wall_ms": min(walls), "max_wall_ms": max(walls),
            "target_ms": 300}


def main() -> None:
    save(__file__, {"agent_run": agent_overhead(), "state_get": state_get_vs_lupa(),
                    "parallel_workflow_10x200ms": parallel_workflow()})


if __name__ == "__main__":
    main()
