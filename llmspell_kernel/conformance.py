"""The conformance runner: the same spell, written once per engine, must print the same output.

A suite is a folder of spells: `NAME.lua`, `NAME.js`, `NAME.tengo` (one file per engine,
by the engine's first file extension), ONE `NAME.out` with the expected output, and maybe
`NAME.in`, the text that `Spell.input` reads. Each
spell runs in a fresh offline session rooted in a temporary folder; what it prints is its
output, and an error that escapes the spell adds a line `uncaught <Kind>: <message>`.

    python -m llmspell_kernel.conformance tests/conformance [--engine lua --engine tengo]

prints the engine × spell table and exits 1 on any difference. Plugin engines run the
same suite by adding their own `NAME.<ext>` files.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .engines import engine_class
from .errors import SpellError
from .runtime.session import Session


@dataclass
class Outcome:
    spell: str
    engine: str
    status: str  # "pass", "fail" or "missing"
    output: str = ""
    expected: str = ""

    def diff(self) -> str:
        lines = difflib.unified_diff(self.expected.splitlines(), self.output.splitlines(),
                                     f"{self.spell}.out", f"{self.spell} ({self.engine})", lineterm="")
        return "\n".join(lines)


def spell_names(suite: Path) -> list[str]:
    return sorted(p.stem for p in suite.glob("*.out"))


def spell_file(suite: Path, name: str, engine: str) -> Path:
    return suite / f"{name}{engine_class(engine).file_extensions[0]}"


def run_spell(path: Path, engine: str, stdin: str = "") -> str:
    """Run one spell file in a fresh offline session, with `stdin` as its input; returns what it printed."""
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as root, contextlib.redirect_stdout(out), _stdin(stdin):
        with Session(offline=True, root=root, model=None) as session:
            try:
                session.run(path.read_text(encoding="utf-8"), engine, chunk=path.name)
            except SpellError as exc:
                print(f"uncaught {exc.kind}: {exc.message}")
    return normalise(out.getvalue())


@contextlib.contextmanager
def _stdin(text: str):
    saved, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def check(suite: Path, name: str, engine: str) -> Outcome:
    expected = normalise((suite / f"{name}.out").read_text(encoding="utf-8"))
    path = spell_file(suite, name, engine)
    if not path.is_file():
        return Outcome(name, engine, "missing", expected=expected)
    given = suite / f"{name}.in"
    output = run_spell(path, engine, given.read_text(encoding="utf-8") if given.is_file() else "")
    return Outcome(name, engine, "pass" if output == expected else "fail", output, expected)


def table(outcomes: list[Outcome], engines: list[str]) -> str:
    """A Markdown table: one row per spell, one column per engine, and the agreement per engine."""
    marks = {"pass": "✓", "fail": "✗", "missing": "–"}
    by_key = {(o.spell, o.engine): o for o in outcomes}
    names = sorted({o.spell for o in outcomes})
    rows = ["| spell | " + " | ".join(engines) + " |", "|---|" + "---|" * len(engines)]
    rows += [f"| {n} | " + " | ".join(marks[by_key[n, e].status] for e in engines) + " |" for n in names]
    totals = [sum(by_key[n, e].status == "pass" for n in names) for e in engines]
    rows.append("| **agreement** | " + " | ".join(f"{t}/{len(names)}" for t in totals) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llmspell_kernel.conformance", description=__doc__.split("\n")[0])
    parser.add_argument("suite", type=Path, nargs="?", default=Path("tests/conformance"))
    parser.add_argument("--engine", action="append", dest="engines", help="an engine to run (repeatable)")
    args = parser.parse_args(argv)
    engines = args.engines or ["lua", "js", "tengo"]
    outcomes = [check(args.suite, name, engine) for name in spell_names(args.suite) for engine in engines]
    print(table(outcomes, engines))
    for outcome in outcomes:
        if outcome.status == "fail":
            print(f"\n{outcome.diff()}")
    return 0 if all(o.status == "pass" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
