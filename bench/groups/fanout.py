"""Parallel fan-out: a Workflow.parallel of 10 agents, each answered after 200 ms by the local fake OpenAI
server (tests/support/fake_openai.py), against a Workflow.sequential of the same 10 agents.

The agents go through litellm, as a real model would; the warm-up run pays for importing it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..figures import Figure, Target
from ..measure import Options, elapsed_ms, sample

BRANCHES, DELAY = 10, 0.2
TESTS = Path(__file__).resolve().parents[2] / "tests"

SETUP = """
local steps = {{}}
for i = 1, {branches} do
    steps[i] = Agent.create({{name = 'b' .. i, model = 'openai/fake-model', api_base = '{url}'}})
end
fan_out = Workflow.parallel({{steps = steps}})
in_turn = Workflow.sequential({{steps = steps}})
"""


def run(options: Options) -> list[Figure]:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from support.fake_openai import FakeOpenAI, Reply

    from llmspell_kernel.runtime.session import Session

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-fake")
    with FakeOpenAI() as server, Session(offline=False, model=None) as session:
        session.run(SETUP.format(branches=BRANCHES, url=server.url), "lua")

        def workflow(name: str):
            def once() -> None:
                server.push(*[Reply.delayed(DELAY) for _ in range(BRANCHES)])
                result = session.run(f"return {name}:run('ping')", "lua")
                assert result["status"] == "completed", result
            return elapsed_ms(once)

        parallel, sequential = sample(workflow("fan_out"), workflow("in_turn"), runs=options.runs(5))
    return [Figure(f"{BRANCHES} parallel branches × {DELAY * 1000:g} ms, wall", "ms", parallel, sequential,
                   "the same branches in sequence", Target(300))]
