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


def runner(session, engine: str):
    """A function that runs code of one engine in the test's session and returns its value."""

    def run(code: str, **kwargs):
        return session.run(code, engine, chunk=kwargs.pop("chunk", "test"), **kwargs)

    run.session = session
    run.engine = session.engine(engine)
    return run


@pytest.fixture
def lua(session):
    return runner(session, "lua")


@pytest.fixture
def tengo(session):
    return runner(session, "tengo")


@pytest.fixture
def js(session):
    return runner(session, "js")


ENGINES = ["lua", "tengo", "js"]


@pytest.fixture(params=ENGINES)
def spell(request, session):
    """Run a spell in the test's session: the code given for this engine (`lua=..., tengo=..., js=...`); returns its value.

    An API failure raises in Lua; in Tengo it is an error value, and a chunk whose value is an
    error value raises it, so the same `pytest.raises` holds in every engine.
    """
    engine = request.param

    def run(*, chunk: str = "test", timeout: float | None = None, **code: str):
        if engine not in code:  # a test not yet written for this engine says so, rather than failing
            pytest.skip(f"no {engine} code in this test yet")
        return session.run(code[engine], engine, chunk=chunk, timeout=timeout)

    run.engine = engine
    run.session = session
    return run


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Real-provider tests: a fake API key, no user config file, no offline mode or default model."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fake")
    monkeypatch.setenv("LLMSPELL_CONFIG", str(tmp_path / "no-config.toml"))
    for var in ("LLMSPELL_OFFLINE", "LLMSPELL_MODEL"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture
def server():
    """The local OpenAI-compatible server (tests/support/fake_openai.py)."""
    from support.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def ip():
    """The process's one IPython shell, with the extension loaded for the module's tests."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()  # start_ipython gives None once a shell exists
    shell.run_line_magic("load_ext", "llmspell_kernel")
    yield shell
    shell.run_line_magic("unload_ext", "llmspell_kernel")


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """platformdirs' user data dir (where named sessions live), moved into the test's folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"
