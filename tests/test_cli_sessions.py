"""`llmspell run --session/--watch` and `llmspell session|state|events`, as a user types them."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmspell_kernel.runtime.store.base import SCHEMA_VERSION


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "LLMSPELL_OFFLINE": "1", "XDG_DATA_HOME": str(tmp_path / "data")}

    def run(*args: str, **options) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "llmspell_kernel", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60, **options)

    run.env = env
    return run


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sessions_from_the_command_line(cli, tmp_path):
    (tmp_path / "count.lua").write_text(
        "State.update('runs', function(n) return (n or 0) + 1 end)\nState.set('user', {name = 'Ada', runs = State.get('runs')})\n"
        "Event.emit('note.made', {n = State.get('runs')})\nreturn State.get('runs')")
    assert ok(cli("run", "count.lua", "--session", "work")).strip() == "1"
    assert ok(cli("run", "count.lua", "--session", "work")).strip() == "2"  # the session resumed
    listing = ok(cli("session", "list"))
    assert listing.startswith("work") and "4 versions" in listing
    shown = json.loads(ok(cli("session", "show", "work")))
    assert shown["version"] == 4 and shown["keys"] == ["runs", "user"] and shown["schema_version"] == SCHEMA_VERSION
    assert json.loads(ok(cli("state", "work"))) == {"runs": 2, "user": {"name": "Ada", "runs": 2}}
    assert json.loads(ok(cli("state", "work", "--at", "2"))) == {"runs": 1, "user": {"name": "Ada", "runs": 1}}
    assert json.loads(ok(cli("state", "work", "--diff", "1", "4"))) == {"added": ["user"], "changed": ["runs"],
                                                                        "removed": []}
    notes = [json.loads(line) for line in ok(cli("events", "work", "--type", "note.*")).splitlines()]
    assert [e["data"]["n"] for e in notes] == [1, 2]
    assert len(ok(cli("events", "work", "--type", "note.*", "--limit", "1")).splitlines()) == 1
    bad = cli("state", "nowhere")
    assert bad.returncode == 2 and "no session named 'nowhere'; sessions: work" in bad.stderr


def test_export_import_and_delete(cli, tmp_path):
    ok(cli("run", "-e", "lua", "/dev/stdin", "--session", "src", input=(
        "State.set('blob', 'x')\nState.set('n', 1)\nAgent.create({name = 'scribe'})\n"
        "Tool.register({name = 'shout', fn = function(a) return a.text:upper() end})\n"
        "Workflow.sequential({steps = {'scribe'}}):run('hi', {checkpoint = true, run_id = 'r'})")))
    ok(cli("session", "export", "src", "-o", "src.json"))
    document = json.loads((tmp_path / "src.json").read_text())
    assert document["format"] == "llmspell-session" and document["format_version"] == 3
    assert [c["key"] for c in document["changes"]] == ["blob", "n"]
    assert [a["name"] for a in document["agents"]] == ["scribe"] and [t["name"] for t in document["tools"]] == ["shout"]
    assert "imported 2 versions" in ok(cli("session", "import", "src.json", "--name", "copy"))
    assert json.loads(ok(cli("state", "copy"))) == {"blob": "x", "n": 1}
    copied = ok(cli("run", "-e", "lua", "/dev/stdin", "--session", "copy", input=(
        "return {Tool.call('shout', {text = 'a'}), Agent.get('scribe').name, Workflow.resume('r').output}")))
    assert json.loads(copied) == ["A", "scribe", "hi"]
    again = cli("session", "import", "src.json")
    assert again.returncode == 2 and "a session named 'src' exists" in again.stderr
    assert "deleted 'copy'" in ok(cli("session", "delete", "copy", "--yes"))
    assert cli("session", "delete", "src", input="n\n").returncode == 1  # asked, and declined
    assert not Path(tmp_path / "data" / "llmspell" / "sessions" / "copy.sqlite3").exists()
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    assert "not an llmspell session export" in cli("session", "import", "bad.json").stderr


def test_events_follow_prints_new_events_as_they_are_saved(cli, tmp_path):
    ok(cli("run", "-e", "lua", "/dev/stdin", "--session", "live", input="Event.emit('tick', {n = 0})"))
    follower = subprocess.Popen([sys.executable, "-m", "llmspell_kernel", "events", "live", "--type", "tick",
                                 "--follow"], cwd=tmp_path, env=cli.env, stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(follower.stdout.readline())["data"] == {"n": 0}
        ok(cli("run", "-e", "lua", "/dev/stdin", "--session", "live", input="Event.emit('tick', {n = 1})"))
        assert json.loads(follower.stdout.readline())["data"] == {"n": 1}  # arrived while following
    finally:
        follower.terminate()
        follower.wait(10)


def test_watch_reruns_on_change_and_keeps_the_session(cli, tmp_path):
    spell = tmp_path / "watched.lua"
    spell.write_text("runs = (runs or 0) + 1\nreturn 'first ' .. runs")
    proc = subprocess.Popen([sys.executable, "-m", "llmspell_kernel", "run", "--watch", "watched.lua"],
                            cwd=tmp_path, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "first 1"
        time.sleep(0.1)
        spell.write_text("runs = (runs or 0) + 1\nreturn 'second ' .. runs")
        assert proc.stdout.readline().strip() == "second 2"  # globals survived: the same session
        (tmp_path / "helper.lua").write_text("return 1")  # a module beside it changes
        assert proc.stdout.readline().strip() == "second 3"
        errors: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [errors.put(line) for line in proc.stderr], daemon=True).start()
        spell.write_text("error('broken edit')")
        while "broken edit" not in errors.get(timeout=60):  # reported (however slow the machine), not fatal
            pass
        spell.write_text("return 'fixed ' .. runs")
        assert proc.stdout.readline().strip() == "fixed 3"
    finally:
        proc.terminate()
        proc.wait(60)


def test_the_cli_state_diff_and_the_widget_agree_on_leaf_paths(cli, tmp_path, monkeypatch):
    """One diff everywhere: `State.diff` in the spell, `llmspell state --diff` and the state widget."""
    (tmp_path / "nested.lua").write_text(
        'State.set("user", {name = "Ada", langs = {"lua"}, address = {city = "Paris", zip = "75"}})\n'
        'State.set("color", "red")\n'
        'State.set("user", {name = "Ada", langs = {"lua", "js"}, address = {city = "Lyon"}, age = 36})\n'
        'return json.encode(State.diff(2, 3))')
    expected = {"added": ["user.age"], "changed": ["user.address.city", "user.langs"],
                "removed": ["user.address.zip"]}
    assert json.loads(ok(cli("run", "nested.lua", "--session", "nested"))) == expected
    assert json.loads(ok(cli("state", "nested", "--diff", "2", "3"))) == expected
    monkeypatch.setenv("XDG_DATA_HOME", cli.env["XDG_DATA_HOME"])
    from llmspell_kernel.cli_sessions import _open, _state
    from llmspell_kernel.widgets.history import StateHistory

    store = _open("nested")
    try:
        widget = StateHistory(_state(store))
        widget.selected = 3
        assert {k: sorted(d["path"] for d in widget.diff if d["kind"] == k) for k in expected} == expected
        widget.close()
    finally:
        store.close()
