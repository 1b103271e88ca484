"""The benchmark harness runs: two cheap groups in quick mode write a valid results file and table.

Only a smoke test: no figure is held to its target here (bench/ measures; tests never time anything).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_harness_writes_results_for_chosen_groups_in_quick_mode(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "bench", "--list"], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert {"session", "agent", "store", "tengo", "kernel"} <= {line.split()[0] for line in listed.stdout.splitlines()}

    done = subprocess.run([sys.executable, "-m", "bench", "agent", "store", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    results = json.loads((tmp_path / "results.json").read_text())
    assert list(results["groups"]) == ["agent", "store"]
    assert results["machine"]["cores"] and results["machine"]["packages"]["lupa"]
    figures = [f for g in results["groups"].values() for f in g["figures"]]
    assert all(g["quick"] for g in results["groups"].values())
    measured = [f for f in figures if f["value"] is not None]
    assert len(measured) >= 5, figures  # the agent rows, and memory and SQLite at least
    for figure in measured:
        value = figure["value"]
        assert value["runs"] >= 5 and len(value["samples"]) == value["runs"]
        assert value["min"] <= value["median"] <= value["max"]
        assert figure["met"] in (True, False, None)
    assert not [f for f in figures if "failed" in f["name"]], figures
    assert results["summary"]["targets"] == sum(1 for f in figures if f["met"] is not None)

    table = (tmp_path / "RESULTS.md").read_text()
    assert "| group | figure | value (min–max) | baseline | ratio | target | met? |" in table
    assert "| agent | agent:run from Lua, mock/echo |" in table and "| store | sqlite: state write |" in table
