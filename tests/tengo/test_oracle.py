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


def test_there_are_fixtures_for_every_module_and_builtin():
    names = {p.stem.split("_", 1)[0] for p in PROGRAMS}
    for module in ("fmt", "text", "math", "times", "json", "base64", "hex", "enum", "rand", "os", "builtin",
                   "sem", "err", "gen"):
        assert module in names, module
    assert len(PROGRAMS) >= 200


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
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
