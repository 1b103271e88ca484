"""An API call from a script (`State.get`) against the bare engine calling a Python function, per engine.

The bare side is the least a Python-side State.get could be: a dict lookup bound into a bare lupa runtime,
a bare quickjs Context (`add_callable`) and a bare TengoRuntime (a predeclared Python function).
JavaScript's `State.get` returns a Promise, so its loop awaits each call; the cost of awaiting an
already-resolved value is reported beside it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..figures import Figure, Target
from ..measure import Options, per_call_us, sample

STORE = {"k": 42}


def _get(key: str, default: object = None) -> object:
    return STORE.get(key, default)


def _bare_lua() -> Callable[[int], object]:
    from lupa import lua54

    lua = lua54.LuaRuntime()
    lua.globals().get = _get
    return lua.eval("function(n) local v for i = 1, n do v = get('k') end return v end")


def _bare_js() -> Callable[[int], object]:
    import quickjs

    ctx = quickjs.Context()
    ctx.add_callable("get", _get)
    ctx.eval("var loop = (n) => { let v; for (let i = 0; i < n; i++) { v = get('k') } return v }")
    return ctx.get("loop")


def _bare_tengo() -> Callable[[int], object]:
    from llmspell_kernel.engines.tengo import TengoRuntime

    tengo = TengoRuntime(predeclared={"get": _get})
    tengo.run('loop := func(n) { v := 0; for i := 0; i < n; i++ { v = get("k") }; return v }', repl=True)
    return tengo.get_global("loop")


def _js_loop(session, body: str, name: str) -> Callable[[int], object]:
    session.run(f"globalThis.{name} = async (n) => {{ for (let i = 0; i < n; i++) {{ {body} }} }}", "js")
    return lambda n: session.run(f"await {name}({n})", "js")


def run(options: Options) -> list[Figure]:
    from llmspell_kernel.runtime.session import Session

    figures = []
    n = options.n(20_000)
    with Session(offline=True) as session:
        session.run("State.set('k', 42)", "lua")
        ours = {
            "lua": session.run("return function(n) local v for i = 1, n do v = State.get('k') end return v end",
                               "lua"),
            "js": _js_loop(session, "await State.get('k')", "benchStateGet"),
            "tengo": session.run('f := func(n) { v := 0; for i := 0; i < n; i++ { v = State.get("k") }; return v }'
                                 "\nf", "tengo"),
        }
        bare = {"lua": (_bare_lua(), "bare lupa → Python"), "js": (_bare_js(), "bare quickjs → Python"),
                "tengo": (_bare_tengo(), "bare TengoRuntime → Python")}
        for engine, loop in ours.items():
            count = n // 10 if engine == "js" else n
            bare_loop, bare_name = bare[engine]
            value, base = sample(per_call_us(loop, count), per_call_us(bare_loop, count), runs=options.runs(7))
            figures.append(Figure(f"{engine}: State.get", "µs", value, base, bare_name, Target(2.0, "ratio")))
        floor, base = sample(per_call_us(_js_loop(session, "await null", "benchAwait"), n // 10),
                             per_call_us(bare["js"][0], n // 10), runs=options.runs(7))
        figures.append(Figure("js: await null, no API call", "µs", floor, base, bare["js"][1],
                              note="the floor under every awaited JS API call"))
    return figures
