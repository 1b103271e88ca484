"""Fuzz the Tengo lexer, parser and compiler (and run a share of the programs) with a million inputs.

Not part of the test suite (tests/reliability/test_fuzz.py runs a fast sample of the same checks).
Inputs come from a grammar-aware generator (tests/support/tengo_fuzz.py), mutations of its programs,
and mutations of the repository's own .tengo files. The only acceptable failure is a SpellError;
anything else (another exception, a hang past --hang seconds) is recorded with its input.

Run: nice -n 19 python bench/fuzz_tengo.py [--count 1000000] [--workers 2] [--seed 1] [--run-every 8]
     [--out bench/fuzz_tengo.json]
Progress is written to the output file every 30 s, so a partial run still reports.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import queue
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support.tengo_fuzz import Outcome, check, inputs  # noqa: E402


def seeds() -> list[str]:
    files = sorted(REPO.glob("tests/conformance/*.tengo")) + sorted(REPO.glob("examples/*.tengo"))
    return [f.read_text(encoding="utf-8") for f in files]


def merge(parts: list[Outcome]) -> Outcome:
    total = Outcome()
    for part in parts:
        for name in ("count", "compiled", "spell_errors", "ran", "resource_stops", "failure_count"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        total.failures += [f for f in part.failures if len(total.failures) < 50]
        if part.slowest > total.slowest:
            total.slowest, total.slowest_input = part.slowest, part.slowest_input
    return total


def report(outcome: Outcome, args: argparse.Namespace, began: float, done: bool) -> dict:
    spent = time.perf_counter() - began
    return {
        "what": "Tengo lexer/parser/compiler fuzzing (grammar generator + mutation); a share of inputs also run",
        "finished": done, "seed": args.seed, "workers": args.workers, "target": args.count, "count": outcome.count,
        "compiled": outcome.compiled, "ran": outcome.ran, "spell_errors": outcome.spell_errors,
        "resource_stops": outcome.resource_stops, "failure_count": outcome.failure_count,
        "failures": outcome.failures, "seconds": round(spent, 1),
        "inputs_per_second": round(outcome.count / spent, 1) if spent else None,
        "slowest_cpu_seconds": round(outcome.slowest, 3), "slowest_input": outcome.slowest_input,
        "python": platform.python_version(),
    }


def work(worker: int, args: argparse.Namespace, progress: Any) -> Outcome:
    """One process's share: its own seed, `count / workers` inputs; progress goes to the shared array."""
    warnings.simplefilter("ignore")  # Python's SyntaxWarnings about generated code are not findings
    cap = args.max_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # a runaway program gets a MemoryError, not the machine
    outcome = Outcome()
    share = args.count // args.workers + (1 if worker < args.count % args.workers else 0)
    for i, src in enumerate(inputs(args.seed * 1000 + worker, seeds())):
        if i >= share:
            break
        check(src, outcome, run=bool(args.run_every) and i % args.run_every == 0, hang_after=args.hang)
        if i % 5_000 == 0 and progress is not None:
            progress.put((worker, outcome))
    if progress is not None:
        progress.put((worker, outcome))
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="processes, each with its own seed")
    parser.add_argument("--run-every", type=int, default=8, help="run every Nth compiled input (0: never)")
    parser.add_argument("--hang", type=float, default=10.0, help="CPU seconds after which an input counts as a hang")
    parser.add_argument("--max-memory-mb", type=int, default=2048, help="address-space cap per process")
    parser.add_argument("--out", default=str(REPO / "bench" / "fuzz_tengo.json"))
    args = parser.parse_args()
    out = Path(args.out)
    began = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    progress = ctx.Queue()
    procs = [ctx.Process(target=work, args=(w, args, progress), daemon=True) for w in range(args.workers)]
    for proc in procs:
        proc.start()
    latest: dict[int, Outcome] = {}
    last_write = 0.0
    while any(proc.is_alive() for proc in procs) or not progress.empty():
        try:
            worker, outcome = progress.get(timeout=1)
        except queue.Empty:
            continue
        latest[worker] = outcome
        if time.monotonic() - last_write > 30:
            out.write_text(json.dumps(report(merge(list(latest.values())), args, began, False), indent=2))
            last_write = time.monotonic()
    for proc in procs:
        proc.join()
    total = merge(list(latest.values()))
    result = report(total, args, began, total.count >= args.count)
    out.write_text(json.dumps(result, indent=2))
    print(f"{total.count} inputs, {total.compiled} compiled, {total.ran} ran, "
          f"{total.failure_count} failures, {result['seconds']} s -> {out}")
    return 1 if total.failure_count or total.count < args.count else 0


if __name__ == "__main__":
    sys.exit(main())
