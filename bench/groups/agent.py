"""Agent run overhead: `agent:run` from Lua with the mock provider, against a bare provider call.

The target is on the difference (the agent's own cost: events, the message list, the script boundary);
the provider layer (LLMClient.call: routing, retry, usage events) is shown as a step in between.
"""

from __future__ import annotations

from ..figures import Figure, Target
from ..measure import Options, per_call_us, sample

BARE = "bare MockProvider.complete"


def run(options: Options) -> list[Figure]:
    from llmspell_kernel.runtime.llm import LLMRequest, MockProvider
    from llmspell_kernel.runtime.session import Session

    n = options.n(1_000)
    request = LLMRequest(model="mock/echo", messages=[{"role": "user", "content": "hello world"}])
    provider = MockProvider()

    def bare(count: int) -> None:
        for _ in range(count):
            provider.complete(request)

    with Session(offline=True) as session:
        session.run("bench_agent = Agent.create({name = 'bench', model = 'mock/echo'})", "lua")
        agent_loop = session.run("return function(n) for i = 1, n do bench_agent:run('hello world') end end", "lua")

        def client(count: int) -> None:
            for _ in range(count):
                session.llm.call(request)

        agent, layer, base = sample(per_call_us(agent_loop, n), per_call_us(client, n), per_call_us(bare, n),
                                    runs=options.runs(7))
    return [
        Figure("agent:run from Lua, mock/echo", "µs", agent, base, BARE, Target(1000, "overhead")),
        Figure("LLM client call (the provider layer), mock/echo", "µs", layer, base, BARE),
    ]
