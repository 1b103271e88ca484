"""`python -m bench [GROUP ...] [--list] [--quick] [--out DIR]`: run the benchmark groups, write the table.

Never part of the test suite (tests/test_bench_smoke.py only checks that the harness runs).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from . import report
from .figures import Figure, note
from .machine import load_average, machine
from .measure import Options

HERE = Path(__file__).resolve().parent

# name: what it measures (the module bench/groups/<name>.py), in the order a full run takes them
GROUPS = {
    "session": "session start plus a trivial spell, time and memory, per engine",
    "api": "State.get from a script against a bare engine → Python call, per engine",
    "polyglot": "a cross-engine call (Lua → JS, Lua → Tengo) against a Lua → Lua call",
    "agent": "agent run overhead over the mock provider",
    "store": "state write and read on memory, SQLite and Redis; events per second",
    "timeline": "EventTimeline: applying 10,000 events, and the comm messages they cost",
    "fanout": "10 parallel branches × 200 ms at the fake OpenAI server, against the sequential run",
    "batch": "a spell over 16 inputs × 200 ms model calls on Dask: 1 vs 2 workers, concurrency 1 vs 8",
    "tengo": "Tengo programs against CPython (and the tengo binary when TENGO_BIN is set)",
    "magic": "a %%spell lua cell against a Python cell, in a real IPython kernel",
    "kernel": "kernel start to first result, per kernelspec, against a plain ipykernel",
    "startup": "fresh processes: llmspell run, Tengo start, first tool call, model errors, first token (CPU time)",
}


def _isolate() -> None:
    """Figures must not depend on the user's config file or session settings (kernels inherit this)."""
    os.environ["LLMSPELL_CONFIG"] = os.devnull
    for name in ("LLMSPELL_SESSION", "LLMSPELL_STORE", "LLMSPELL_MODEL", "LLMSPELL_TIMEOUT", "LLMSPELL_OFFLINE"):
        os.environ.pop(name, None)


def run_group(name: str, options: Options) -> list[Figure]:
    try:
        figures = importlib.import_module(f"bench.groups.{name}").run(options)
    except Exception as exc:  # one broken group must not lose the others' figures
        traceback.print_exc()
        figures = [note("(group failed)", f"{type(exc).__name__}: {exc}")]
    for figure in figures:
        figure.group = name
    return figures


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help="groups to run (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.add_argument("--quick", action="store_true", help="the minimum runs and tiny iteration counts")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.json and RESULTS.md go (default: bench/)")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        for name, what in GROUPS.items():
            print(f"{name:10s} {what}")
        return 0
    _isolate()
    options = Options(quick=args.quick)
    chosen = args.groups or list(GROUPS)
    records, where = {}, machine()
    for name in chosen:
        began, started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), time.perf_counter()
        at_start = {**where, "load_average": load_average()}
        print(f"== {name}: {GROUPS[name]}", flush=True)
        figures = run_group(name, options)
        records[name] = report.group_record(figures, began, time.perf_counter() - started, args.quick, at_start)
        for figure in records[name]["figures"]:
            print(report.row(figure), flush=True)
    results = report.merge(report.load(args.out / "results.json"), records, where, list(GROUPS))
    data, table = report.write(args.out, results)
    summary = results["summary"]
    print(f"{summary['met']} of {summary['targets']} targets met; wrote {data} and {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
