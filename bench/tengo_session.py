"""Tengo session start plus a trivial spell, against a bare TengoRuntime (issue 5: at most 1 ms after the first import).

Run: python bench/tengo_session.py [runs]. Writes bench/tengo_session.json. Never part of the test suite.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from results import save  # bench/results.py

os.environ.setdefault("LLMSPELL_OFFLINE", "1")


def measure(fn, runs: int) -> dict:
    fn()  # warm imports and the compile cache, which counts (a chunk compiles once per source)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


def bare_runtime() -> None:
    from llmspell_kernel.engines.tengo import TengoRuntime

    TengoRuntime().run("x := 1 + 1", repl=True)


def llmspell_session() -> None:
    from llmspell_kernel.runtime.session import Session

    session = Session(offline=True)
    session.run("x := 1 + 1\nx", "tengo")
    session.close()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    results = {"bare_tengo_runtime": measure(bare_runtime, runs),
               "llmspell_tengo_session": measure(llmspell_session, runs)}
    save(__file__, results)


if __name__ == "__main__":
    main()
