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


def test_every_package_is_listed_in_pyproject():
    """A non-editable install ships only the listed packages; a forgotten one breaks CI, not the checkout."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    root = SHARE.parent.parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(p.parent.relative_to(root).parts) for p in (root / "llmspell_kernel").rglob("__init__.py")
    }
    on_disk.add("llmspell_kernel.magics")
    assert set(config["packages"]) == on_disk
