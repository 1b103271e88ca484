"""Differential testing of our Tengo against the real one: run a program both ways and compare.

A fixture is `tests/tengo/oracle/NAME.tengo` with `NAME.expected`, what the real `tengo` CLI did with it
(stdout, stderr, exit status), recorded by `bench/tengo_oracle.py record` with TENGO_BIN set. CI compares
our CLI with the fixtures (tests/tengo/test_oracle.py) without Go; the long job (`bench/tengo_oracle.py fuzz`)
generates programs and runs both implementations.

What is compared: stdout and the exit status exactly; stderr exactly, except where the Go VM panics (exit
status 2): there only its first line (`panic: ...` or `runtime: ...`), since the rest is a Go stack trace.
Paths under the program's directory are written `$DIR`, so fixtures do not depend on the checkout's place.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ORACLE_DIR = Path(__file__).resolve().parents[1] / "tengo" / "oracle"


@dataclass(frozen=True)
class Outcome:
    stdout: str
    stderr: str
    exit: int


def fixtures(directory: Path = ORACLE_DIR) -> list[Path]:
    """Every fixture program (helper modules live in subdirectories and are not fixtures)."""
    return sorted(directory.glob("*.tengo"))


def normalise(stdout: bytes, stderr: bytes, status: int, directory: Path) -> Outcome:
    out = stdout.decode("utf-8", "backslashreplace")
    err = stderr.decode("utf-8", "backslashreplace")
    if status == 2:  # a Go panic: its first line, not the goroutine dump
        err = err.split("\n", 1)[0] + "\n" if err else ""
    real = str(directory.resolve())
    return Outcome(out.replace(real, "$DIR"), err.replace(real, "$DIR"), status)


def run_real(tengo_bin: str, program: Path, timeout: float = 60) -> Outcome:
    proc = subprocess.run([tengo_bin, program.name], cwd=program.parent, capture_output=True, timeout=timeout)
    return normalise(proc.stdout, proc.stderr, proc.returncode, program.parent)


def run_ours(program: Path) -> Outcome:
    """Our CLI (`python -m llmspell_kernel.engines.tengo`), in this process for speed."""
    from llmspell_kernel.engines.tengo.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(program.parent)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main([program.name])
            except SystemExit as stop:  # os.exit
                status = stop.code if isinstance(stop.code, int) else 1
    finally:
        os.chdir(cwd)
    enc = "utf-8", "surrogateescape"
    return normalise(out.getvalue().encode(*enc), err.getvalue().encode(*enc), status, program.parent)


def run_ours_subprocess(program: Path, timeout: float = 120) -> Outcome:
    proc = subprocess.run([sys.executable, "-m", "llmspell_kernel.engines.tengo", program.name], cwd=program.parent,
                          capture_output=True, timeout=timeout)
    return normalise(proc.stdout, proc.stderr, proc.returncode, program.parent)


def expected_path(program: Path) -> Path:
    return program.with_suffix(".expected")


def load_expected(program: Path) -> Outcome:
    return Outcome(**json.loads(expected_path(program).read_text(encoding="utf-8")))


def save_expected(program: Path, outcome: Outcome) -> None:
    text = json.dumps(asdict(outcome), indent=1, ensure_ascii=False) + "\n"
    expected_path(program).write_text(text, encoding="utf-8")


def diff(want: Outcome, got: Outcome) -> str:
    """A short description of how two outcomes differ ('' when they agree)."""
    parts = []
    for name in ("exit", "stdout", "stderr"):
        a, b = getattr(want, name), getattr(got, name)
        if a != b:
            parts.append(f"{name}: real {a!r}\n{' ' * len(name)}  ours {b!r}")
    return "\n".join(parts)
