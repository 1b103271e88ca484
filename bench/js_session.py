"""JavaScript session start plus a trivial spell, the cost of an API call from JS, and fib(30).

Run: python bench/js_session.py [runs]. Writes bench/js_session.json. Never part of the test suite.
Targets (issue 4): session start + trivial spell ≤ 2 ms and ≤ 2 MB with the API bound.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc

from results import per_call_us, save  # bench/results.py

os.environ.setdefault("LLMSPELL_OFFLINE", "1")


def measure(fn, runs: int) -> dict:
    fn()  # warm imports and caches
    times, peaks, heaps = [], [], []
    for _ in range(runs):  # time without tracemalloc, which slows Python code several-fold
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    for _ in range(max(5, runs // 10)):
        tracemalloc.start()
        heaps.append(fn() or 0)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1024)
        tracemalloc.stop()
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "python_peak_kb": statistics.median(peaks), "quickjs_heap_kb": statistics.median(heaps) / 1024,
            "total_kb": statistics.median(peaks) + statistics.median(heaps) / 1024}


def bare_quickjs() -> int:
    import quickjs

    ctx = quickjs.Context()
    ctx.eval("1+1")
    return ctx.memory()["malloc_size"]


def llmspell_session() -> int:
    from llmspell_kernel.runtime.session import Session

    session = Session(offline=True)
    session.run("1+1", "js")
    heap = session.engine("js").ctx.memory()["malloc_size"]  # QuickJS's heap, invisible to tracemalloc
    session.close()
    return heap


def api_call_us(session, code: str, n: int) -> float:
    """Microseconds per iteration of an async loop of `n` awaited calls (median of 5)."""
    session.run(f"globalThis.bench = async (n) => {{ for (let i = 0; i < n; i++) {{ {code} }} }}", "js")
    return per_call_us(lambda count: session.run(f"await bench({count})", "js"), n)


def api_calls(n: int = 2000) -> dict:
    from llmspell_kernel.runtime.session import Session

    with Session(offline=True) as session:
        session.run("await State.set('k', 42)\nglobalThis.agentForBench = new Agent({model: 'mock/echo'})", "js")
        return {
            "empty_await_us": api_call_us(session, "await null", n),
            "state_get_us": api_call_us(session, "await State.get('k')", n),
            "json_encode_us": api_call_us(session, "await json.encode({a: [1, 2, 3]})", n),
            "agent_run_mock_us": api_call_us(session, "await agentForBench.run('hello world')", n // 10),
            "spell_sleep_0_us": api_call_us(session, "await Spell.sleep(0)", n // 10),
        }


def fib30() -> dict:
    import quickjs

    from llmspell_kernel.runtime.session import Session

    fib = "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }"
    bare = quickjs.Context()
    bare.eval(fib)
    began = time.perf_counter()
    bare.eval("fib(30)")
    bare_s = time.perf_counter() - began
    with Session(offline=True) as session:
        session.run(fib, "js")
        began = time.perf_counter()
        assert session.run("fib(30)", "js") == 832040
        ours_s = time.perf_counter() - began
    return {"bare_quickjs_s": bare_s, "llmspell_s": ours_s}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    results = {"bare_quickjs": measure(bare_quickjs, runs), "llmspell_js_session": measure(llmspell_session, runs),
               "targets": {"median_ms": 2.0, "total_kb": 2048}}
    results["api_calls"] = api_calls()
    results["fib30"] = fib30()
    save(__file__, results)


if __name__ == "__main__":
    main()
