"""Lua session start plus a trivial spell, against a bare lupa runtime (the design card's first target).

Run: python bench/lua_session.py [runs]. Writes bench/lua_session.json. Never part of the test suite.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc

from results import save  # bench/results.py

os.environ.setdefault("LLMSPELL_OFFLINE", "1")


def measure(fn, runs: int) -> dict:
    fn()  # warm imports and caches
    times, peaks = [], []
    for _ in range(runs):  # time without tracemalloc, which slows Python code several-fold
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    for _ in range(max(5, runs // 10)):  # Python-side allocations only; Lua's own heap is small (about 30 KB)
        tracemalloc.start()
        fn()
        peaks.append(tracemalloc.get_traced_memory()[1] / 1024)
        tracemalloc.stop()
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "median_peak_kb": statistics.median(peaks)}


def bare_lupa() -> None:
    from lupa import lua54

    lua54.LuaRuntime().execute("return 1+1")


def llmspell_session() -> None:
    from llmspell_kernel.runtime.session import Session

    session = Session(offline=True)
    session.run("return 1+1", "lua")
    session.close()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    results = {"bare_lupa": measure(bare_lupa, runs), "llmspell_lua_session": measure(llmspell_session, runs)}
    results["ratio_time"] = results["llmspell_lua_session"]["median_ms"] / results["bare_lupa"]["median_ms"]
    save(__file__, results)


if __name__ == "__main__":
    main()
