"""Real Tengo as the oracle: record fixtures, and the long differential fuzzing job.

  TENGO_BIN=/path/to/tengo python bench/tengo_oracle.py record [NAME ...]
      re-record tests/tengo/oracle/NAME.expected (all fixtures without names) from the real CLI.
  TENGO_BIN=/path/to/tengo python bench/tengo_oracle.py check
      run every fixture program in both implementations and list the disagreements.
  TENGO_BIN=/path/to/tengo python bench/tengo_oracle.py fuzz [--count 2000] [--seed 1] [--save N]
      generate programs (tests/support/tengo_oracle_gen.py), run both, report disagreements in
      bench/tengo_oracle.json; --save keeps N agreeing programs as new fixtures `gen_*` (a CI sample).

Not part of the test suite: tests/tengo/test_oracle.py checks the recorded fixtures without Go.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support.tengo_oracle import (  # noqa: E402
    ORACLE_DIR,
    diff,
    fixtures,
    run_ours,
    run_real,
    save_expected,
)


def tengo_bin() -> str:
    path = os.environ.get("TENGO_BIN")
    if not path:
        sys.exit("set TENGO_BIN to the real tengo CLI")
    return path


def record(names: list[str]) -> int:
    binary = tengo_bin()
    programs = [ORACLE_DIR / f"{n.removesuffix('.tengo')}.tengo" for n in names] if names else fixtures()
    unstable = []
    for program in programs:
        outcome = run_real(binary, program)
        if any(run_real(binary, program) != outcome for _ in range(2)):  # e.g. prints a map: Go's order varies
            unstable.append(program.name)
            continue
        save_expected(program, outcome)
    print(f"recorded {len(programs) - len(unstable)} fixtures")
    if unstable:
        print("not recorded, real Tengo's output varies between runs:", *unstable)
    return 1 if unstable else 0


def check() -> int:
    binary = tengo_bin()
    bad = 0
    for program in fixtures():
        d = diff(run_real(binary, program), run_ours(program))
        if d:
            bad += 1
            print(f"== {program.name}\n{d}")
    print(f"{bad} of {len(fixtures())} disagree")
    return 1 if bad else 0


def generate(count: int, seed: int) -> list[str]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed
    from support.tengo_oracle_gen import programs

    out: list[str] = []

    @hseed(seed)
    @settings(max_examples=count, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def collect(src: str) -> None:
        out.append(src)

    collect()
    return out


def fuzz(count: int, seed: int, save: int) -> int:
    binary = tengo_bin()
    began = time.perf_counter()
    sources = generate(count, seed)
    failures, saved = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(sources):
            program = Path(tmp) / f"p{i}.tengo"
            program.write_text(src, encoding="utf-8")
            real, ours = run_real(binary, program), run_ours(program)
            d = diff(real, ours)
            if d:
                failures.append({"program": src, "diff": d})
            elif saved < save:
                dest = ORACLE_DIR / f"gen_{seed}_{i:04d}.tengo"
                dest.write_text(src, encoding="utf-8")
                save_expected(dest, run_real(binary, dest))  # recorded under its own name
                saved += 1
    report = {"what": "differential fuzzing of our Tengo against the real CLI", "seed": seed,
              "programs": len(sources), "disagreements": len(failures), "failures": failures[:50],
              "seconds": round(time.perf_counter() - began, 1)}
    (REPO / "bench" / "tengo_oracle.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"{len(sources)} programs, {len(failures)} disagree, {saved} saved as fixtures")
    for f in failures[:5]:
        print("==", f["program"], f["diff"], sep="\n")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("names", nargs="*")
    sub.add_parser("check")
    fz = sub.add_parser("fuzz")
    fz.add_argument("--count", type=int, default=2000)
    fz.add_argument("--seed", type=int, default=1)
    fz.add_argument("--save", type=int, default=0)
    args = ap.parse_args(argv)
    if args.cmd == "record":
        return record(args.names)
    if args.cmd == "check":
        return check()
    return fuzz(args.count, args.seed, args.save)


if __name__ == "__main__":
    sys.exit(main())
