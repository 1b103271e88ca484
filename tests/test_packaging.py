"""The committed kernelspecs match their generator, and the package data is where it should be."""

from __future__ import annotations

import filecmp
from pathlib import Path

from llmspell_kernel.kernelspecs import KERNELS, write_specs

SHARE = Path(__file__).resolve().parent.parent / "share" / "jupyter" / "kernels"


def test_share_kernelspecs_are_up_to_date(tmp_path):
    write_specs(tmp_path)
    for name in KERNELS:
        generated, committed = tmp_path / name, SHARE / name
        files = sorted(p.name for p in generated.iterdir())
        assert sorted(p.name for p in committed.iterdir()) == files
        _, mismatch, errors = filecmp.cmpfiles(generated, committed, files, shallow=False)
        assert not mismatch and not errors, f"run `python -m llmspell_kernel.kernelspecs` ({mismatch})"


def test_magics_are_importable_as_a_subpackage():
    import llmspell_kernel.magics as magics

    assert callable(magics.load_ipython_extension)
