"""Persistence: State.set and State.get latency (from Python) and events per second, on each store backend.

Redis is the one at LLMSPELL_TEST_REDIS (default redis://127.0.0.1:6379/15, the tests' database); its rows
are skipped with a note when it does not answer. The bench's keys are deleted afterwards.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..figures import Figure, Target, note
from ..measure import Options, Stat, per_call_us, sample

REDIS = os.environ.get("LLMSPELL_TEST_REDIS", "redis://127.0.0.1:6379/15")
ROWS = [("state write", "µs"), ("state read", "µs"), ("events", "events/s")]
TARGETS = {"sqlite": {"state write": Target(1000), "state read": Target(200)}}  # issue 9


def _redis_error(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _forget(url: str, session: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"llmspell:{session}:*"):
        client.delete(key)


def _measure(store: str, name: str, options: Options) -> tuple[Stat, Stat, Stat]:
    from llmspell_kernel.runtime.session import Session

    with Session(offline=True, store=store, session=name) as session:
        state, bus = session.state, session.events

        def writes(n: int) -> None:
            for i in range(n):
                state.set("k", i)

        def reads(n: int) -> None:
            for _ in range(n):
                state.get("k")

        def emits(n: int) -> None:
            for i in range(n):
                bus.emit("bench.tick", {"i": i})

        rate = per_call_us(emits, options.n(5_000))
        return tuple(sample(per_call_us(writes, options.n(2_000)), per_call_us(reads, options.n(20_000)),
                            lambda: 1e6 / rate(), runs=options.runs(5)))


def run(options: Options) -> list[Figure]:
    name = f"bench-{os.getpid()}"
    with tempfile.TemporaryDirectory() as folder:
        stores = {"memory": "memory", "sqlite": str(Path(folder) / "bench.sqlite3"), "redis": REDIS}
        figures: list[Figure] = []
        memory: tuple[Stat, ...] = ()
        for backend, store in stores.items():
            if backend == "redis" and (unreachable := _redis_error(store)):
                figures.append(note(f"redis: skipped, nothing answers at {store}", unreachable))
                continue
            try:
                stats = _measure(store, name, options)
            finally:
                if backend == "redis":
                    _forget(store, name)
            memory = memory or stats
            targets = TARGETS.get(backend, {})
            for (what, unit), stat, base in zip(ROWS, stats, memory, strict=True):
                figures.append(Figure(f"{backend}: {what}", unit, stat, None if backend == "memory" else base,
                                      "memory store", targets.get(what)))
    return figures
