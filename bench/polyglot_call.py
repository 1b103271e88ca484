"""The cost of a cross-engine call (Lua calling a Tengo function) against a same-engine call.

Run: python bench/polyglot_call.py. Writes bench/polyglot_call.json. Never part of the test suite.
When the JavaScript engine is present, Lua → JS is measured too.
"""

from __future__ import annotations

from results import per_call_us, save  # bench/results.py

from llmspell_kernel.engines import engine_names
from llmspell_kernel.runtime.session import Session

CALLS = 20_000
TARGETS = {"tengo": "func(x) { return x + 1 }", "js": "(x) => x + 1"}


def main() -> None:
    results: dict = {}
    with Session(offline=True) as session:
        lua = session.engine("lua")
        loop_code = "return function(n) local v = 0 for i = 1, n do v = f(v) end return v end"
        lua.set_global("f", session.run("return function(x) return x + 1 end", "lua"))
        results["lua_to_lua_us"] = per_call_us(session.run(loop_code, "lua"), CALLS, warmup=100)
        for engine, source in TARGETS.items():
            if engine not in engine_names():
                continue
            lua.set_global("f", session.run(source, engine))
            results[f"lua_to_{engine}_us"] = per_call_us(session.run(loop_code, "lua"), CALLS, warmup=100)
            results[f"lua_to_{engine}_ratio"] = results[f"lua_to_{engine}_us"] / results["lua_to_lua_us"]
    save(__file__, results)


if __name__ == "__main__":
    main()
