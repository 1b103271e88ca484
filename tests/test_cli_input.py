"""Bad input to the CLI gets a usage error (exit 2) that says what is wrong, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from llmspell_kernel.errors import ApiError
from llmspell_kernel.runtime.session import Session

BOM = b"\xef\xbb\xbf"
SPELLS = {"lua": b"return 6 * 7\n", "js": b"6 * 7\n", "tengo": b"x := 6 * 7\nx\n"}


@pytest.fixture
def cli(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "LLMSPELL_OFFLINE": "1", "XDG_DATA_HOME": str(tmp_path / "data")}
        return subprocess.run([sys.executable, "-m", "llmspell_kernel", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    return run


def usage_error(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("engine", sorted(SPELLS))
def test_a_spell_file_that_is_not_utf8_is_a_usage_error(cli, tmp_path, engine):
    (tmp_path / f"bad.{engine}").write_bytes(b"\n" + SPELLS[engine].replace(b"6", b"\xff"))
    usage_error(cli("run", f"bad.{engine}"), f"bad.{engine} is not UTF-8 text (byte 0xff on line 2)")


@pytest.mark.parametrize("engine", sorted(SPELLS))
def test_a_utf8_bom_is_accepted_in_every_engine(cli, tmp_path, engine):
    (tmp_path / f"bom.{engine}").write_bytes(BOM + SPELLS[engine])
    result = cli("run", f"bom.{engine}")
    assert result.returncode == 0 and result.stdout.strip() == "42", result.stderr


def test_modules_with_a_bom_load_and_modules_not_utf8_are_named(cli, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "good.lua").write_bytes(BOM + b"return {x = 5}\n")
    (tmp_path / "lib" / "bad.lua").write_bytes(b"return {x = '\xff'}\n")
    (tmp_path / "use.lua").write_text("return require('lib.good').x")
    assert cli("run", "use.lua").stdout.strip() == "5"
    (tmp_path / "use_bad.lua").write_text("return require('lib.bad').x")
    failed = cli("run", "use_bad.lua")
    assert failed.returncode == 3 and "lib/bad.lua is not UTF-8 text" in failed.stderr
    assert "Traceback" not in failed.stderr
    (tmp_path / "read.js").write_text("fs.read('lib/bad.lua')")
    failed = cli("run", "read.js")
    assert failed.returncode == 3 and "lib/bad.lua is not UTF-8 text" in failed.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-0"])
def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(cli, tmp_path, value):
    (tmp_path / "s.lua").write_text("return 1")
    usage_error(cli("run", "s.lua", "--timeout", value), "is not a positive number of seconds")


def test_a_positive_timeout_is_taken(cli, tmp_path):
    (tmp_path / "s.lua").write_text("return 1")
    assert cli("run", "s.lua", "--timeout", "0.5e3").stdout.strip() == "1"


BAD_NAMES = ["a.b", "a b", "x" * 65, "é", "-dash", "_under", "../up", ".hidden", "a/b", ""]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_session_name_outside_the_documented_set_is_refused(cli, tmp_path, name):
    (tmp_path / "s.lua").write_text("return 1")
    usage_error(cli("run", "s.lua", "--session", name), "use 1 to 64 letters, digits, '-' and '_'")
    usage_error(cli("state", "--", name), "invalid session name")
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("*.sqlite3"))


def test_the_longest_valid_session_name_works(cli, tmp_path):
    (tmp_path / "s.lua").write_text("return State.set('k', 1)")
    name = "A-1_" + "z" * 60
    assert cli("run", "s.lua", "--session", name).stdout.strip() == "1"
    assert cli("state", name).returncode == 0


@pytest.mark.parametrize("name", ["a.b", "x" * 65])
def test_sessions_refuse_bad_names_in_python_and_on_redis(data_home, name):
    with pytest.raises(ApiError, match="invalid session name"):
        Session(offline=True, session=name)
    with pytest.raises(ApiError, match="invalid session name"):
        Session(offline=True, session=name, store="redis://127.0.0.1:6379/15")


@pytest.mark.parametrize("value", ["nan", "-1", "inf"])
def test_a_configured_timeout_must_be_a_number_of_seconds(cli, tmp_path, monkeypatch, value):
    (tmp_path / "s.lua").write_text("return 1")
    monkeypatch.setenv("LLMSPELL_TIMEOUT", value)
    result = cli("run", "s.lua")
    assert result.returncode != 0 and "config setting 'timeout' takes a number of seconds >= 0" in result.stderr
    assert "Traceback" not in result.stderr
    monkeypatch.delenv("LLMSPELL_TIMEOUT")
    with Session(offline=True) as session, pytest.raises(ApiError, match="takes a number of seconds >= 0"):
        session.configure({"timeout": value})  # `%spell config timeout=...`
