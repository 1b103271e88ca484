"""`llmspell run`: results, exit codes, limits, parameters, through the installed command."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def llmspell(*args: str, cwd: Path, timeout: float = 60, **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "LLMSPELL_OFFLINE": "1"}
    command = shutil.which("llmspell") or sys.executable
    prefix = [] if command.endswith("llmspell") else ["-m", "llmspell_kernel"]
    return subprocess.run([command, *prefix, *args], cwd=cwd, env=env, capture_output=True, text=True, **options,
                          timeout=timeout)


def spell(tmp_path: Path, code: str, name: str = "spell.lua") -> str:
    (tmp_path / name).write_text(code)
    return name


@pytest.mark.parametrize("ext", ["lua", "tengo", "js"])
def test_seed_examples_run_unchanged(tmp_path, ext):
    for example in (f"researcher.{ext}", f"analyzer.{ext}"):
        shutil.copy(EXAMPLES / example, tmp_path)
    result = llmspell("run", f"researcher.{ext}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Research quantum computing"
    assert (tmp_path / "research.md").read_text() == "Research quantum computing"
    result = llmspell("run", f"analyzer.{ext}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"output": "{\\"data\\": \\"...\\"}"' in result.stdout


def test_params_and_prints(tmp_path):
    name = spell(tmp_path, "print('topic:', Spell.params.topic)\nreturn Spell.params.n")
    result = llmspell("run", name, "-p", "topic=tides", "-p", "n=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "topic:\ttides\n3\n"


def test_script_error_exits_3_with_the_lua_line(tmp_path):
    name = spell(tmp_path, "local x = 1\nerror('boom')\n")
    result = llmspell("run", name, cwd=tmp_path)
    assert result.returncode == 3
    assert "RuntimeError: boom" in result.stderr and "spell.lua:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_timeout_exits_4_and_stops_the_spell(tmp_path):
    name = spell(tmp_path, "for i=1,1e12 do end")  # unstopped, hours of CPU
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = llmspell("run", name, "--timeout", "1", cwd=tmp_path)  # under its 60 s guard
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == 4, result.stderr
    assert "time limit" in result.stderr
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 30  # CPU s, start-up included
    assert result.stderr.count("\n") < 10


def test_huge_allocation_is_stopped_by_the_memory_limit(tmp_path):
    name = spell(tmp_path, "local s = string.rep('x', 1024 * 1024 * 1024)\nreturn #s")
    result = llmspell("run", name, cwd=tmp_path)
    assert result.returncode == 3
    assert "memory limit" in result.stderr


def test_sandbox_violation_exits_5(tmp_path):
    name = spell(tmp_path, 'os.execute("ls")')
    result = llmspell("run", name, cwd=tmp_path)
    assert result.returncode == 5
    assert "os.execute is not available in the sandbox" in result.stderr


@pytest.mark.parametrize("args", [["run"], ["run", "missing.lua"], ["run", "x.lua", "-e", "cobol"],
                                  ["run", "x.lua", "-p", "novalue"], ["frobnicate"]])
def test_usage_errors_exit_2(tmp_path, args):
    (tmp_path / "x.lua").write_text("return 1")
    result = llmspell(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr


def test_engine_from_shebang(tmp_path):
    name = spell(tmp_path, "#!/usr/bin/env lua\nreturn Spell.engine", name="noext")
    result = llmspell("run", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lua"


def test_engines_lists_lua(tmp_path):
    result = llmspell("engines", cwd=tmp_path)
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert result.returncode == 0 and "5.4" in lines["lua"] and "QuickJS" in lines["js"]


def test_a_tengo_spell_prints_returns_and_fails_with_its_line(tmp_path):
    name = spell(tmp_path, 'fmt := import("fmt")\nfmt.println("topic:", Spell.params.topic)\nSpell.engine',
                 name="spell.tengo")
    result = llmspell("run", name, "-p", "topic=tides", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "topic:tides\ntengo\n"
    name = spell(tmp_path, "x := 1\ny := x / 0\n", name="bad.tengo")
    result = llmspell("run", name, cwd=tmp_path)
    assert result.returncode == 3
    assert "integer divide by zero" in result.stderr and "bad.tengo:2" in result.stderr
    assert "Traceback" not in result.stderr
    result = llmspell("engines", cwd=tmp_path)
    assert "tengo" in result.stdout


def test_spell_input_reads_the_terminal(tmp_path):
    name = spell(tmp_path, 'return "hi " .. Spell.input("name? ")')
    result = llmspell("run", name, cwd=tmp_path, input="Ada\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "name? hi Ada\n"
    closed = llmspell("run", name, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert closed.returncode == 3 and "no input is available" in closed.stderr
