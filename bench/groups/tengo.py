"""Tengo: seven programs on our Tengo (compiled to Python) against the same algorithms in CPython, and
against the real `tengo` binary when TENGO_BIN names one.

Our side runs each program in a fresh TengoRuntime with the compile cache warm (a chunk compiles once per
source). The binary's side is measured inside its process (`times.since` around the program's code): no process
start, no compile, like ours. Targets are on the geometric means over the programs.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..figures import Figure, Target
from ..measure import Options, Stat, elapsed_ms, sample
from .tengo_programs import PROGRAMS, Program


def _ours(program: Program, n: int) -> Callable[[], float]:
    from llmspell_kernel.engines.tengo import TengoRuntime

    source = program.source(n)
    expected = program.python(n)

    def once() -> float:
        runtime = TengoRuntime()
        runtime.compile(source)  # the cache is warm: compiling is not timed
        began = time.perf_counter()
        runtime.run(source)
        took = (time.perf_counter() - began) * 1e3
        assert runtime.get_global("out") == expected, (program.name, runtime.get_global("out"), expected)
        return took
    return once


def _binary(tengo: str, folder: Path, program: Program, n: int) -> Callable[[], float]:
    """The real binary's time for the program's own code, measured inside the process: the script
    reads `times.now()` before the program and prints `times.since()` of it after, so neither process
    start nor compiling counts (our side leaves compiling out too)."""
    script = folder / f"{program.name}.tengo"
    script.write_text('fmt := import("fmt")\ntimes := import("times")\nbench_began := times.now()\n'
                      + program.source(n) + "\nbench_ns := times.since(bench_began)\n"
                      "fmt.println(out)\nfmt.println(bench_ns)\n")
    expected = str(program.python(n))

    def once() -> float:
        done = subprocess.run([tengo, str(script)], capture_output=True, text=True, check=True)
        printed, ns = done.stdout.split()
        assert printed == expected, (program.name, printed, expected)
        return int(ns) / 1e6
    return once


def _geomean(ours: list[Stat], base: list[Stat]) -> Stat:
    """Per run, the geometric mean over the programs of ours / base (the two were taken side by side)."""
    def geomean(values: list[float]) -> float:
        return math.exp(sum(math.log(v) for v in values) / len(values))
    runs = min(s.runs for s in ours + base)
    return Stat.of([geomean([o.samples[i] / b.samples[i] for o, b in zip(ours, base, strict=True)])
                    for i in range(runs)])


def run(options: Options) -> list[Figure]:
    tengo = os.environ.get("TENGO_BIN")
    runs = options.runs(5)
    figures, ours_all, python_all, binary_all = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for program in PROGRAMS:
            n = program.quick_n if options.quick else program.n
            samplers = [_ours(program, n), elapsed_ms(lambda p=program, k=n: p.python(k))]
            if tengo:
                samplers.append(_binary(tengo, Path(folder), program, n))
            stats = sample(*samplers, runs=runs)
            ours_all.append(stats[0])
            python_all.append(stats[1])
            figures.append(Figure(program.name, "ms", stats[0], stats[1], "CPython", note=f"n = {n:,}"))
            if tengo:
                binary_all.append(stats[2])
                figures.append(Figure(f"{program.name} vs the tengo binary", "ms", stats[0], stats[2], "tengo",
                                      target=Target(1.0, on="ratio")))
            else:
                figures.append(Figure(f"{program.name} vs the tengo binary", "", None, note="unmeasured"))
    figures.append(Figure("geometric mean of the ratios to CPython", "×", _geomean(ours_all, python_all),
                          target=Target(1.5)))
    if tengo:
        figures.append(Figure("geometric mean of the ratios to the tengo binary", "×",
                              _geomean(ours_all, binary_all), target=Target(1.0)))
    else:
        figures.append(Figure("geometric mean of the ratios to the tengo binary", "", None,
                              note="unmeasured: set TENGO_BIN to a tengo binary"))
    return figures
