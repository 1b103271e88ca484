"""Our Tengo CLI against what the real `tengo` CLI did with each fixture program (tests/tengo/oracle/).

The fixtures were recorded from real Tengo (d5/tengo 8daf696) by `bench/tengo_oracle.py record`; every one
must agree exactly: stdout, stderr (error text and position) and exit status. Deliberate differences are not
fixtures; they are listed in docs/tengo.md.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from support.tengo_oracle import diff, fixtures, load_expected, run_ours, run_real

PROGRAMS = fixtures()

# Where we differ from real Tengo on purpose or by a known limit (docs/tengo.md says why). Each one is a
# strict xfail: the day ours agrees, the test fails and the entry must go.
KNOWN = {
    "enum_chunk_neg": "no frames inside the enum module (real Tengo shows enum:44:31)",
    "enum_fn_arity": "no frames inside the enum module",
    "enum_fn_error": "no frames inside the enum module",
    "math_log10_exact": "log comes from the C library, not Go's own: the last digit can differ",
    "math_logs": "log comes from the C library, not Go's own: the last digit can differ",
    "math_trig": "tan and acos come from the C library: the last digit can differ",
    "math_special": "no Bessel functions (j0, j1, jn, y0, y1, yn)",
    "os_files": "bytes are values: file.read(buf) cannot fill the caller's buffer",
    "sem_recursion_deep": "a limit of 1024 calls (stack overflow), not Go's 2048-slot value stack (a panic)",
    "sem_recursion_deeper": "a limit of 1024 calls (stack overflow), not Go's 2048-slot value stack (a panic)",
    "sem_slice_shares": "a slice of an array is a copy, not a view of the same storage",
    "sem_slice_of_slice": "a slice of an array is a copy, not a view of the same storage",
    "sem_slice_append": "a slice of an array is a copy: append never writes into the original",
}


def test_there_are_fixtures_for_every_module_and_builtin():
    names = {p.stem.split("_", 1)[0] for p in PROGRAMS}
    for module in ("fmt", "text", "math", "times", "json", "base64", "hex", "enum", "rand", "os", "builtin",
                   "sem", "err", "gen"):
        assert module in names, module
    assert len(PROGRAMS) >= 200


def _param(p: Path) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[p.stem])] if p.stem in KNOWN else []
    return pytest.param(p, id=p.stem, marks=marks)


def test_known_differences_are_fixtures():
    assert set(KNOWN) <= {p.stem for p in PROGRAMS}


@pytest.mark.parametrize("program", [_param(p) for p in PROGRAMS])
def test_agrees_with_real_tengo(program: Path):
    want = load_expected(program)
    got = run_ours(program)
    assert not diff(want, got), diff(want, got)


TENGO_BIN = os.environ.get("TENGO_BIN") or shutil.which("tengo")


@pytest.mark.skipif(not TENGO_BIN, reason="the real tengo CLI is not installed (set TENGO_BIN)")
def test_fixtures_are_what_real_tengo_does_now():
    """With the real binary at hand, a sample of fixtures is re-run against it (fixtures stay true)."""
    sample = random.Random(19).sample(PROGRAMS, min(20, len(PROGRAMS)))
    for program in sample:
        assert not diff(load_expected(program), run_real(TENGO_BIN, program)), program.name


@pytest.mark.skipif(not TENGO_BIN, reason="the real tengo CLI is not installed (set TENGO_BIN)")
def test_generated_programs_agree(tmp_path: Path):
    """A short run of the differential fuzzer (bench/tengo_oracle.py fuzz runs the long one)."""
    from hypothesis import HealthCheck, given, settings
    from support.tengo_oracle_gen import programs

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(programs())
    def agree(src: str) -> None:
        program = tmp_path / "gen.tengo"
        program.write_text(src, encoding="utf-8")
        assert not diff(run_real(TENGO_BIN, program), run_ours(program)), src

    agree()

