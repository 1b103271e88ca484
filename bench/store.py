"""Persistence costs: State.set and State.get latency with SQLite, and events per second into SQLite.

Run: python bench/store.py. Writes bench/store.json. Never part of the test suite.
Targets (issue 9): write ≤ 1 ms and read ≤ 0.2 ms for SQLite; Redis (when one answers on
LLMSPELL_BENCH_REDIS, default redis://127.0.0.1:6379/14) is measured too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from results import per_call_us, save  # bench/results.py

from llmspell_kernel.runtime.session import Session


def measure(label: str, session: Session) -> dict:
    state, bus = session.state, session.events

    def sets(n: int) -> None:
        for i in range(n):
            state.set("k", i)

    def gets(n: int) -> None:
        for _ in range(n):
            state.get("k")

    def emits(n: int) -> None:
        for i in range(n):
            bus.emit("bench.tick", {"i": i})

    return {f"{label}_set_us": per_call_us(sets, 2000, warmup=0),
            f"{label}_get_us": per_call_us(gets, 20000, warmup=0),
            f"{label}_events_per_s": 1e6 / per_call_us(emits, 5000, warmup=0)}


def _reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.RedisError:
        return False


def _forget(url: str, session: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"llmspell:{session}:*"):
        client.delete(key)


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        stores = {"memory": "memory", "sqlite": str(Path(folder) / "bench.sqlite3")}
        redis_url = os.environ.get("LLMSPELL_BENCH_REDIS", "redis://127.0.0.1:6379/14")
        if _reachable(redis_url):
            stores["redis"] = redis_url
        for label, store in stores.items():
            with Session(offline=True, store=store, session=f"bench-{os.getpid()}") as session:
                results.update(measure(label, session))
            if label == "redis":
                _forget(redis_url, f"bench-{os.getpid()}")
    results["targets"] = {"sqlite_set_us": 1000, "sqlite_get_us": 200}
    save(__file__, results)


if __name__ == "__main__":
    main()
