"""`python -m bench.profile SCENARIO [--repeat N]`: where the time goes in a figure that misses its target.

Prints a pyinstrument call tree (a dev tool: `pip install pyinstrument`). Import costs are another matter:
`python -X importtime -c "import llmspell_kernel.magics"` shows what a kernel pays before its first cell.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def _session_start(engine: str, spell: str) -> Callable[[int], None]:
    def scenario(repeat: int) -> None:
        from llmspell_kernel.runtime.session import Session

        for _ in range(repeat):
            with Session(offline=True) as session:
                session.run(spell, engine)
    return scenario


def _js_state_get(repeat: int) -> None:
    from llmspell_kernel.runtime.session import Session

    with Session(offline=True) as session:
        session.run("await State.set('k', 42)\nglobalThis.loop = async (n) => { for (let i = 0; i < n; i++) "
                    "{ await State.get('k') } }", "js")
        session.run(f"await loop({repeat * 100})", "js")


def _lua_to_js(repeat: int) -> None:
    from llmspell_kernel.runtime.session import Session

    with Session(offline=True) as session:
        session.engine("lua").set_global("f", session.run("(x) => x + 1", "js"))
        session.run(f"local v = 0 for i = 1, {repeat * 100} do v = f(v) end", "lua")


SCENARIOS: dict[str, Callable[[int], None]] = {
    "lua-session": _session_start("lua", "return 1+1"),
    "js-session": _session_start("js", "1+1"),
    "tengo-session": _session_start("tengo", "x := 1 + 1\nx"),
    "js-state-get": _js_state_get,
    "lua-to-js": _lua_to_js,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--repeat", type=int, default=300, help="how many times the scenario runs (default 300)")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.exit(2, "pyinstrument is not installed: pip install pyinstrument\n")
    scenario = SCENARIOS[args.scenario]
    scenario(1)  # imports and caches, outside the profile
    profiler = Profiler(interval=0.0001)
    profiler.start()
    scenario(args.repeat)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
