"""Generated Python carries Tengo positions; the CLI behaves like `tengo`."""

from __future__ import annotations

import ast
import subprocess
import sys

from llmspell_kernel.engines.tengo import TengoRuntime


def test_generated_ast_carries_tengo_positions():
    src = 'a := 1\nf := func(x) {\n  return x + a\n}\nb := f(2)\n'
    unit, _ = TengoRuntime().compile(src, "p.tengo")
    nodes = [n for n in ast.walk(unit.pyast) if hasattr(n, "lineno")]
    assert nodes and all(n.lineno >= 1 for n in nodes)
    funcs = [n for n in ast.walk(unit.pyast) if isinstance(n, ast.FunctionDef) and n.name.startswith("tf_")]
    assert (funcs[0].lineno, funcs[0].col_offset + 1) == (2, 6)
    calls = [n for n in ast.walk(unit.pyast) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "g_f"]
    assert (calls[0].lineno, calls[0].col_offset + 1) == (5, 6)
    assert unit.code.co_filename == "p.tengo"


def _cli(tmp_path, src, *extra):
    f = tmp_path / "prog.tengo"
    f.write_text(src)
    return subprocess.run([sys.executable, "-m", "llmspell_kernel.engines.tengo", str(f), *extra],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_cli_runs_and_prints(tmp_path):
    r = _cli(tmp_path, '#!/usr/bin/env tengo\nfmt := import("fmt")\nfmt.println("hello", 1 + 2)\n')
    assert r.returncode == 0 and r.stdout == "hello3\n" and r.stderr == ""


def test_cli_runtime_error(tmp_path):
    r = _cli(tmp_path, 'f := func() { return 1 + "a" }\nf()\n')
    assert r.returncode == 1
    assert r.stderr == "Runtime Error: invalid operation: int + string\n\tat prog.tengo:1:22\n\tat prog.tengo:2:1\n"


def test_cli_go_panics_exit_2(tmp_path):
    """Where the reference's Go code panics (integer division by zero), the CLI does as its binary does."""
    r = _cli(tmp_path, 'f := func() { return 1 / 0 }\nf()\n')
    assert r.returncode == 2
    assert r.stderr == "panic: runtime error: integer divide by zero\n"


def test_cli_compile_error_and_imports(tmp_path):
    (tmp_path / "mod.tengo").write_text("export func(x) { return x + 1 }\n")
    r = _cli(tmp_path, 'fmt := import("fmt")\ninc := import("./mod")\nfmt.println(inc(1))\nzzz\n')
    assert r.returncode == 1
    assert r.stderr == "Compile Error: unresolved reference 'zzz'\n\tat prog.tengo:4:1\n"
    r = _cli(tmp_path, 'fmt := import("fmt")\ninc := import("./mod")\nfmt.println(inc(1))\n')
    assert r.stdout == "2\n"


def test_cli_dump_python(tmp_path):
    r = _cli(tmp_path, "a := 1 + 2\n", "--dump-python")
    assert r.returncode == 0 and "def tm_" in r.stdout and "g_a" in r.stdout
