"""A third-party engine registered through the `llmspell.engines` entry point gets the API table, the limits
contract and the conformance runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmspell_kernel import engines
from llmspell_kernel.conformance import main as conformance
from llmspell_kernel.errors import ApiError, TimeLimitError

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Install the example engine's entry point the way pip would: a dist-info folder on sys.path."""
    dist = tmp_path / "site" / "llmspell_calls-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: llmspell-calls\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[llmspell.engines]\ncalls = support.calls_engine:CallsEngine\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(engines, "_loaded", {})
    return tmp_path / "site"


def test_a_plugin_engine_is_found_and_binds_the_api(plugin, session):
    assert "calls" in engines.engine_names()
    assert engines.find_engine(path="spell.calls") == "calls"
    value = session.run('State.set ["topic", "tides"]\nAgent.create [{"name": "w"}]\nAgent.list', "calls")
    assert value == ["w"]
    assert session.run("return State.get('topic')", "lua") == "tides"  # the same store as every engine
    assert session.run('Agent.get("w").run("shared")', "tengo") == "shared"
    with pytest.raises(ApiError, match="no agent named 'nobody'") as info:
        session.run('\nAgent.get ["nobody"]', "calls", chunk="cell[1]")
    assert (info.value.engine, info.value.chunk, info.value.line) == ("calls", "cell[1]", 2)


def test_a_plugin_engine_obeys_the_time_limit(plugin, session):
    code = "\n".join(['Spell.sleep [100]'] * 20)
    with pytest.raises(TimeLimitError):
        session.run(code, "calls", timeout=0.3)
    assert session.run('State.set ["still", "works"]', "calls") == 1


def test_a_plugin_engine_runs_the_conformance_suite(plugin, tmp_path, capsys):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "roundtrip.lua").write_text('State.set("k", {1, 2})\ndisplay(json.encode(State.get("k")))')
    (suite / "roundtrip.calls").write_text('State.set ["k", [1, 2]]\ndisplay ["[1, 2]"]')
    (suite / "roundtrip.out").write_text("[1, 2]\n")
    assert conformance([str(suite), "--engine", "lua", "--engine", "calls"]) == 0
    assert "| roundtrip | ✓ | ✓ |" in capsys.readouterr().out


def test_the_cli_lists_the_plugin_with_its_version(plugin, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin), str(TESTS)])}
    listing = subprocess.run([sys.executable, "-m", "llmspell_kernel", "engines"], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert any(line.startswith("calls") and "1.0" in line and ".calls" in line for line in listing.stdout.splitlines())
    (tmp_path / "hello.calls").write_text('State.set ["x", 1]\nState.get ["x"]')
    run = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", "hello.calls"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1"
