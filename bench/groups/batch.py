"""Batch throughput on a Dask LocalCluster (worker processes): 16 inputs, each one model call answered after
200 ms by the local fake OpenAI server (tests/support/fake_openai.py), through litellm as a real model would be.
1 worker against 2 workers (1 thread each), and concurrency 1 against 8 on one worker; all in one run.
The clusters start before the figures (their start and the workers' litellm import are not counted).
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from ..figures import Figure, Target
from ..measure import Options, elapsed_ms, sample

ITEMS, DELAY = 16, 0.2
TESTS = Path(__file__).resolve().parents[2] / "tests"
SPELL = "return LLM.complete(Spell.params.q, {model = 'openai/fake-model', api_base = Spell.params.url})\n"


def run(options: Options) -> list[Figure]:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from distributed import Client, LocalCluster
    from support.fake_openai import FakeOpenAI, Reply

    from llmspell_kernel.batch import run_batch

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-fake")  # before the workers start: they inherit it
    with FakeOpenAI() as server, ExitStack() as stack:
        inputs = [{"id": n, "q": f"question {n}", "url": server.url} for n in range(ITEMS)]

        def client(workers: int, threads: int) -> Client:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                                                       dashboard_address=":0", silence_logs=logging.CRITICAL))
            return stack.enter_context(Client(cluster))

        def batch(dask: Client):
            def once() -> None:
                server.push(*[Reply.delayed(DELAY) for _ in range(ITEMS)])
                result = run_batch("ask.lua", inputs, source=SPELL, engine="lua", cluster=dask,
                                   settings={"offline": False, "model": None})
                assert not result.failed, result.failed[0]["error"]
            return elapsed_ms(once)

        one, two, eight = client(1, 1), client(2, 1), client(1, 8)
        one_worker, two_workers, concurrent = sample(batch(one), batch(two), batch(eight), runs=options.runs(5))
    per_item = f"{ITEMS} inputs × {DELAY * 1000:g} ms model call"
    return [
        Figure(f"{per_item}, 2 workers × 1 thread, wall", "ms", two_workers, one_worker, "1 worker × 1 thread",
               Target(0.55, on="ratio"), note="goal: ≥ 1.8× the throughput of one worker"),
        Figure(f"{per_item}, 1 worker, concurrency 8, wall", "ms", concurrent, one_worker, "concurrency 1",
               Target(1 / 5, on="ratio"), note="goal: near-linear, ≥ 5× the throughput of concurrency 1"),
    ]
