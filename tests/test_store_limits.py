"""The store holds on any input and under concurrent use: several processes on one SQLite session,
bounded keys, values JSON can carry, and bytes that no user map can imitate."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import threading

import pytest
from test_store import bump_together

from llmspell_kernel.errors import SpellError
from llmspell_kernel.runtime.session import Session
from llmspell_kernel.runtime.store import session_path
from llmspell_kernel.runtime.store.base import decode, encode
from llmspell_kernel.runtime.store.sqlite import MIGRATIONS, SQLiteStore

BUMP = "for i = 1, {n} do State.update('count', function(v) return (v or 0) + 1 end) end\nEvent.emit('done', {{}})"


def _strict(text: str) -> object:
    """Standard JSON only: NaN and Infinity are not JSON."""
    def refuse(name: str) -> object:
        raise ValueError(f"not standard JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "LLMSPELL_OFFLINE": "1", "XDG_DATA_HOME": str(tmp_path / "data")}


# several processes on one SQLite session (two kernels: test_store.py::test_two_kernels_share_one_session) ----

def test_two_cli_runs_on_one_session_lose_no_update(tmp_path, env, data_home):
    (tmp_path / "bump.lua").write_text(BUMP.format(n=500))
    runs = [subprocess.Popen([sys.executable, "-m", "llmspell_kernel", "run", "bump.lua", "--session", "s"],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    store = SQLiteStore(tmp_path / "data" / "llmspell" / "sessions" / "s.sqlite3")
    try:
        changes = store.load_changes()
        assert [c["version"] for c in changes] == list(range(1, 1001))
        assert changes[-1]["new"] == 1000  # exactly: no update lost, none applied twice
        events = store.load_events(10**6)
        assert sum(e["type"] == "state.change" for e in events) == 1000  # both processes' events are stored
        assert sum(e["type"] == "done" for e in events) == 2
        assert len({e["id"].split("-")[2] for e in events if e["type"] == "done"}) == 2  # from two buses
    finally:
        store.close()


def test_two_sessions_in_one_file_see_each_other(data_home):
    with Session(offline=True, session="both") as a, Session(offline=True, session="both") as b:
        heard = threading.Event()
        b.events.on("ping", lambda event: heard.set())
        a.run("State.set('from_a', 1)\nEvent.emit('ping', {})\n"
              "Tool.register({name = 'shout', fn = function(x) return string.upper(x.text) end})", "lua")
        assert b.run("return State.get('from_a')", "lua") == 1  # B reads what A committed
        assert b.run("return State.set('from_b', 2)", "lua") == 2  # versions continue across processes
        assert a.run('State.history()[0].key + State.history()[1].key', "tengo") == "from_afrom_b"
        assert b.run("await Tool.call('shout', {text: 'hi'})", "js") == "HI"  # A's tool, compiled in B
        assert heard.wait(60)  # A's event reached B's subscribers, live
        for value, engine, read in [(2, "tengo", 'State.get("from_a")'), (3, "js", "await State.get('from_a')")]:
            a.state.set("from_a", value)  # each engine's fast read catches up too
            assert b.run(read, engine) == value
        a.state.set("from_a", 1)
        bump_together((a, b), 200)
        assert a.state.get("n") == b.state.get("n") == 400
    with Session(offline=True, session="both") as again:
        assert again.state.version == 405 and again.state.get("n") == 400


# bounded keys ------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine, code", [
    ("lua", "return State.set(string.rep('a.', 4999) .. 'a', 1)"),
    ("js", "await State.set(Array(5000).fill('a').join('.'), 1)"),
    ("tengo", 'text := import("text")\nState.set(text.repeat("a.", 4999) + "a", 1)'),
])
def test_a_too_deep_key_is_refused_and_writes_nothing(data_home, engine, code):
    with Session(offline=True, session="keys") as session:
        session.state.set("kept", 1)
        with pytest.raises(SpellError, match=r"state key too (long|deep)"):
            session.run(code, engine)
        assert session.state.version == 1
    with Session(offline=True, session="keys") as again:
        assert again.state.to_dict() == {"kept": 1}


def test_key_and_value_bounds_are_exact(data_home):
    from llmspell_kernel.runtime.state import MAX_DEPTH, MAX_KEY_LENGTH

    with Session(offline=True) as session:
        deepest = ".".join(["k"] * MAX_DEPTH)
        session.state.set(deepest, 1)
        assert session.state.get(deepest) == 1
        with pytest.raises(SpellError, match="state key too deep"):
            session.state.set(deepest + ".k", 1)
        with pytest.raises(SpellError, match="state key too long"):
            session.state.set("x" * (MAX_KEY_LENGTH + 1), 1)
        session.state.set("x" * MAX_KEY_LENGTH, 1)
        nested: object = 1
        for _ in range(MAX_DEPTH):
            nested = [nested]
        with pytest.raises(SpellError, match="nests too deep"):  # a key part plus 64 lists
            session.state.set("v", nested)
        session.state.set("v", nested[0])
        with pytest.raises(SpellError, match="nests too deep"):  # a deep update is refused the same way
            session.state.update("v", lambda old: [old])
        assert session.state.get("v") == nested[0]


def test_a_session_written_before_the_bounds_still_reads(data_home, tmp_path, capfd):
    path = session_path("old")
    store = SQLiteStore(path)
    for version, key in enumerate(["first", ".".join(["a"] * 5000), "last"], start=1):
        store.commit({"version": version, "scope": "", "key": key, "op": "set", "old": None, "new": version,
                      "author": {"engine": "lua"}, "time": 1.0})
    store.close()
    with Session(offline=True, session="old") as session:
        assert session.state.to_dict() == {"first": 1, "last": 3}  # the deep version is kept but not applied
        assert session.state.version == 3 and len(session.state.history()) == 3
        assert session.run("return State.set('more', 4)", "lua") == 4
    assert "state version 2 is not applied: state key too long" in capfd.readouterr().err
    shown = subprocess.run([sys.executable, "-m", "llmspell_kernel", "state", "old"], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "XDG_DATA_HOME": str(data_home)})
    assert shown.returncode == 0 and json.loads(shown.stdout) == {"first": 1, "last": 3, "more": 4}


# values JSON can carry ---------------------------------------------------------------------------

@pytest.mark.parametrize("engine, code", [
    ("lua", "return State.set('x', 0/0)"),
    ("lua", "return State.set('x', {a = {math.huge}})"),
    ("js", "await State.set('x', NaN)"),
    ("js", "await State.update('x', (v) => -Infinity)"),
    ("tengo", 'math := import("math")\nState.set("x", math.inf(1))'),
])
def test_nan_and_infinity_are_refused(data_home, engine, code):
    with Session(offline=True, session="nan") as session:
        with pytest.raises(SpellError, match="JSON has no NaN or infinity"):
            session.run(code, engine)
        assert session.state.version == 0


def test_an_event_with_nan_exports_as_standard_json(data_home, env, tmp_path):
    with Session(offline=True, session="nanev") as session:
        session.run("Event.emit('odd', {x = 0/0, y = -math.huge})", "lua")
    store = SQLiteStore(session_path("nanev"))
    [event] = [e for e in store.load_events(100) if e["type"] == "odd"]
    store.close()
    assert event["data"] == {"x": "NaN", "y": "-Infinity"}
    exported = subprocess.run([sys.executable, "-m", "llmspell_kernel", "session", "export", "nanev"],
                              capture_output=True, text=True, timeout=120, env=env)
    assert exported.returncode == 0, exported.stderr
    _strict(exported.stdout)


# bytes that no user map can imitate --------------------------------------------------------------

USER_MAPS = [{"__bytes__": "aGk="}, {"__llmspell__": "bytes", "base64": "aGk="},
             {"__llmspell__": {"__llmspell__": "map", "items": []}}, [{"__llmspell__": "map"}, b"\x00\xff"]]


@pytest.mark.parametrize("value", [*USER_MAPS, b"hi", {"b": b""}])
def test_every_value_reads_back_as_itself(value):
    text = encode(value)
    assert decode(text) == value and type(decode(text)) is type(value)
    _strict(text)


def test_a_user_map_like_the_old_bytes_tag_survives_a_restart(data_home):
    with Session(offline=True, session="tags") as session:
        session.run("State.set('m', {__bytes__ = 'aGk='})", "lua")
        session.run("await State.set('n', {__llmspell__: 'bytes', base64: 'aGk='})", "js")
    with Session(offline=True, session="tags") as again:
        assert again.state.to_dict() == {"m": {"__bytes__": "aGk="}, "n": {"__llmspell__": "bytes", "base64": "aGk="}}
        assert again.run("return State.get('m').__bytes__", "lua") == "aGk="


def test_a_schema_3_file_reads_its_bytes_and_is_retagged(tmp_path):
    path = tmp_path / "v3.sqlite3"
    with sqlite3.connect(path) as db:  # a file as schema 3 wrote it: bytes as {"__bytes__": base64}
        for step in MIGRATIONS[:3]:
            db.executescript(step)
        db.execute("PRAGMA user_version = 3")
        db.execute("INSERT INTO changes VALUES (1, '', 'blob', 'set', 'null', ?, '{}', 1.0)",
                   (json.dumps({"__bytes__": base64.b64encode(b"hi").decode()}),))
        db.execute("INSERT INTO events (id, type, time, source, data) VALUES ('e1', 'x', 1.0, 'lua', ?)",
                   (json.dumps({"raw": {"__bytes__": "AA=="}}),))
    store = SQLiteStore(path)
    assert store.schema_version == 4
    assert store.load_changes()[0]["new"] == b"hi" and store.load_events(5)[0]["data"] == {"raw": b"\x00"}
    store.close()
    with sqlite3.connect(path) as db:  # rewritten in the new tag: a later user map {"__bytes__"} is a map
        assert "__bytes__" not in db.execute("SELECT new FROM changes").fetchone()[0]


def test_an_old_export_imports_its_bytes(env, tmp_path):
    old = {"format": "llmspell-session", "format_version": 2, "session": "old",
           "changes": [{"version": 1, "scope": "", "key": "blob", "op": "set", "old": None,
                        "new": {"__bytes__": "aGk="}, "author": {}, "time": 1.0}], "events": []}
    (tmp_path / "old.json").write_text(json.dumps(old))
    cli = [sys.executable, "-m", "llmspell_kernel"]
    imported = subprocess.run([*cli, "session", "import", "old.json"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    store = SQLiteStore(tmp_path / "data" / "llmspell" / "sessions" / "old.sqlite3")
    assert store.load_changes()[0]["new"] == b"hi"
    store.close()
