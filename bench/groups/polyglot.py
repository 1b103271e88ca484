"""A cross-engine call: a Lua loop calling a JS (and a Tengo) function, against calling a Lua function."""

from __future__ import annotations

from collections.abc import Callable

from ..figures import Figure
from ..measure import Options, per_call_us, sample

LOOP = "return function(n) local v = 0 for i = 1, n do v = f(v) end return v end"  # `f` is a global
FUNCTIONS = {"lua": "return function(x) return x + 1 end", "js": "(x) => x + 1", "tengo": "func(x) { return x + 1 }"}
NAMES = {"lua": "Lua", "js": "JS", "tengo": "Tengo"}


def run(options: Options) -> list[Figure]:
    from llmspell_kernel.runtime.session import Session

    n = options.n(20_000)
    with Session(offline=True) as session:
        lua = session.engine("lua")
        loop = session.run(LOOP, "lua")
        functions = {engine: session.run(source, engine) for engine, source in FUNCTIONS.items()}

        def calling(engine: str) -> Callable[[int], object]:
            def batch(count: int) -> object:
                lua.set_global("f", functions[engine])
                return loop(count)
            return batch

        figures = []
        for engine in ("js", "tengo"):
            value, base = sample(per_call_us(calling(engine), n), per_call_us(calling("lua"), n), runs=options.runs(7))
            figures.append(Figure(f"Lua → {NAMES[engine]} function call", "µs", value, base, "Lua → Lua call"))
    return figures
