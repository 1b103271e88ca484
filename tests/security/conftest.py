"""Fixtures for the escape tests (the layout is described in escapes.py)."""

from __future__ import annotations

import pytest
from escapes import ENV_NAME, ENV_SECRET, SECRET_TEXT, Jail

from llmspell_kernel.runtime.session import Session


@pytest.fixture
def jail(tmp_path, monkeypatch) -> Jail:
    monkeypatch.setenv(ENV_NAME, ENV_SECRET)
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET_TEXT)
    (outside / "mod.tengo").write_text(f'export "{SECRET_TEXT}"\n')
    (outside / "mod.lua").write_text(f'return "{SECRET_TEXT}"\n')
    (outside / "mod.js").write_text(f'module.exports = "{SECRET_TEXT}";\n')
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "pw").symlink_to("/etc/passwd")
    (root / "secretlink").symlink_to(outside / "secret.txt")
    (root / "adir").mkdir()
    (root / "inside.txt").write_text("fine")
    return Jail(tmp_path, root, outside)


@pytest.fixture
def jailed(jail):
    """A session rooted in the jail, no network allowed, os off."""
    with Session(offline=True, root=str(jail.root)) as s:
        yield s
