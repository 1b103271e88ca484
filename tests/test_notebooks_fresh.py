"""Every tutorial notebook runs top to bottom on a fresh kernel, as a reader would run it.

nbval (pyproject's addopts) compares the committed outputs cell by cell; this test checks what nbval cannot: each
notebook, stripped of its outputs, in a temporary copy of notebooks/, on a new kernel of the kernelspec its
metadata names, with no LLMSPELL_* variable inherited (each notebook sets offline mode itself), a private user
data dir (named sessions land there) and no config file. No cell may fail except those tagged
`raises-exception`, and each of those must fail; each notebook must finish within 30 s, kernel start included.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LIMIT = 180.0  # seconds per notebook, kernel start included: a guard against a hang on a busy machine
EXPECTED_TO_FAIL = "raises-exception"

pytestmark = pytest.mark.skipif(not NOTEBOOKS.is_dir(), reason="no notebooks/ beside tests/ (an installed package)")


def _names() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) if NOTEBOOKS.is_dir() else []


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """notebooks/ copied once: the notebooks write (and remove) their scratch files there, not in the checkout."""
    target = tmp_path_factory.mktemp("fresh") / "notebooks"
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


def _fresh(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    return nb


def test_every_notebook_is_collected():
    names = _names()
    assert names, "notebooks/ holds no notebook"
    assert [n[:3] for n in names] == [f"{i:02d}-" for i in range(1, len(names) + 1)], "a numbered series: 01-, 02-…"


@pytest.mark.parametrize("name", _names())
def test_notebook_runs_on_a_fresh_kernel(name, copy, tmp_path):
    nb = _fresh(copy / name)
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    assert kernel, f"{name} names no kernelspec"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMSPELL_")}
    env.update(LLMSPELL_CONFIG=os.devnull, XDG_DATA_HOME=str(tmp_path / "data"))
    client = NotebookClient(nb, kernel_name=kernel, timeout=LIMIT, startup_timeout=LIMIT, allow_errors=False,
                            resources={"metadata": {"path": str(copy)}})
    began = time.monotonic()
    client.execute(env=env)  # raises CellExecutionError on a failing cell that is not tagged raises-exception
    took = time.monotonic() - began
    assert took < LIMIT, f"{name} took {took:.1f} s (limit {LIMIT:.0f} s)"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        failed = any(out.output_type == "error" for out in cell.outputs)
        if EXPECTED_TO_FAIL in cell.metadata.get("tags", []):
            assert failed, f"{name} cell {index} is tagged {EXPECTED_TO_FAIL} but did not fail:\n{cell.source}"
    leftovers = sorted(p.name for p in (tmp_path / "data" / "llmspell" / "sessions").glob("*.sqlite3"))
    assert leftovers == [], f"{name} left named sessions behind: {leftovers}"
