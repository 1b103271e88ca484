"""A new session with the API bound, running a trivial spell: time and memory, per engine, against the bare engine.

Memory is the peak of Python allocations during start + spell (tracemalloc) plus the engine's own heap after
the spell (lupa's allocator count, QuickJS's `malloc_size`), which tracemalloc cannot see. Time is measured
in separate runs, without tracemalloc, which slows Python code several-fold. Imports are warm.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

from ..figures import Figure, Target
from ..measure import Options, elapsed_ms, sample

MB = 1024 * 1024
Start = Callable[[], tuple[Callable[[], object], int]]  # starts, runs the spell: (close, native heap bytes)


def _bare_lua() -> tuple[Callable[[], object], int]:
    from lupa import lua54

    lua = lua54.LuaRuntime(max_memory=2**40)  # a limit far away: only so that lupa counts its heap
    lua.execute("return 1+1")
    return (lambda: None), lua.get_memory_used() or 0


def _bare_js() -> tuple[Callable[[], object], int]:
    import quickjs

    ctx = quickjs.Context()
    ctx.eval("1+1")
    return (lambda: None), ctx.memory()["malloc_size"]


def _bare_tengo() -> tuple[Callable[[], object], int]:
    from llmspell_kernel.engines.tengo import TengoRuntime

    TengoRuntime().run("x := 1 + 1", repl=True)
    return (lambda: None), 0


def _native_heap(session, engine: str) -> int:
    live = session.engine(engine)
    if engine == "lua":
        return live.lua.get_memory_used() or 0
    if engine == "js":
        return live.ctx.memory()["malloc_size"]
    return 0  # Tengo is Python objects: tracemalloc sees all of it


def _ours(engine: str, spell: str) -> Start:
    def start() -> tuple[Callable[[], object], int]:
        from llmspell_kernel.runtime.session import Session

        session = Session(offline=True)
        session.run(spell, engine)
        return session.close, _native_heap(session, engine)
    return start


def _time(start: Start) -> Callable[[], None]:
    def once() -> None:
        close, _ = start()
        close()
    return once


def _memory_mb(start: Start) -> Callable[[], float]:
    def once() -> float:
        tracemalloc.start()
        try:
            close, native = start()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        close()
        return (peak + native) / MB
    return once


# engine, spell, the bare start, what the bare start is, time target (ms), memory target (MB)
ENGINES = [
    ("lua", "return 1+1", _bare_lua, "bare lupa LuaRuntime", 1.0, 1.0),
    ("js", "1+1", _bare_js, "bare quickjs Context", 2.0, 2.0),
    ("tengo", "x := 1 + 1\nx", _bare_tengo, "bare TengoRuntime", 1.0, 2.0),
]


def run(options: Options) -> list[Figure]:
    figures = []
    for engine, spell, bare, bare_name, time_ms, memory_mb in ENGINES:
        ours = _ours(engine, spell)
        t_ours, t_bare = sample(elapsed_ms(_time(ours)), elapsed_ms(_time(bare)), runs=options.runs(50))
        m_ours, m_bare = sample(_memory_mb(ours), _memory_mb(bare), runs=options.runs(7))
        figures += [
            Figure(f"{engine}: session start + trivial spell, time", "ms", t_ours, t_bare, bare_name,
                   Target(time_ms)),
            Figure(f"{engine}: session start + trivial spell, memory", "MB", m_ours, m_bare, bare_name,
                   Target(memory_mb)),
        ]
    return figures
