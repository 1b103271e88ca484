"""Persistence costs: State.set and State.get latency with SQLite, and events per second into SQLite.

Run: python bench/store.py. Writes bench/store.json. Never part of the test suite.
Targets (issue 9): write ≤ 1 ms and read ≤ 0.2 ms for SQLite.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from results import save  # bench/results.py

from llmspell_kernel.runtime.session import Session


def timed_us(fn, n: int) -> float:
    samples = []
    for _ in range(5):
        began = time.perf_counter()
        for i in range(n):
            fn(i)
        samples.append((time.perf_counter() - began) / n * 1e6)
    return statistics.median(samples)


def measure(label: str, session: Session) -> dict:
    state, bus = session.state, session.events
    return {f"{label}_set_us": timed_us(lambda i: state.set("k", i), 2000),
            f"{label}_get_us": timed_us(lambda i: state.get("k"), 20000),
            f"{label}_events_per_s": 1e6 / timed_us(lambda i: bus.emit("bench.tick", {"i": i}), 5000)}


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        for store in ("memory", str(Path(folder) / "bench.sqlite3")):
            label = "memory" if store == "memory" else "sqlite"
            with Session(offline=True, store=store) as session:
                results.update(measure(label, session))
    results["targets"] = {"sqlite_set_us": 1000, "sqlite_get_us": 200}
    save(__file__, results)


if __name__ == "__main__":
    main()
