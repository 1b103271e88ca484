"""Shared fixtures: every test gets a fresh offline session rooted in its own temp folder."""

from __future__ import annotations

import os

import pytest

os.environ["LLMSPELL_OFFLINE"] = "1"  # tests never reach a real provider
os.environ.setdefault("LLMSPELL_CONFIG", os.devnull)  # ignore the developer's config file

from llmspell_kernel.runtime.session import Session


@pytest.fixture
def session(tmp_path):
    with Session(offline=True, root=str(tmp_path)) as s:
        yield s


@pytest.fixture
def lua(session):
    """Run Lua code in the test's session and return its value."""

    def run(code: str, **kwargs):
        return session.run(code, "lua", chunk=kwargs.pop("chunk", "test"), **kwargs)

    run.session = session
    return run
