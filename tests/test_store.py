"""Persistence: every backend passes one suite; a named session resumes; a killed writer loses nothing
whose `State.set` had returned."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
from support.guards import wait_until

from llmspell_kernel.errors import ApiError, SpellError
from llmspell_kernel.runtime.session import Session
from llmspell_kernel.runtime.store import MemoryStore, session_path
from llmspell_kernel.runtime.store.base import SCHEMA_VERSION
from llmspell_kernel.runtime.store.sqlite import SQLiteStore

REDIS_URL = os.environ.get("LLMSPELL_TEST_REDIS", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> str:
    """The test Redis (started by .ci/run, or `redis-server --daemonize yes` for development)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}: start one with `redis-server --daemonize yes`")
    return REDIS_URL


@pytest.fixture
def redis_session():
    """A fresh session name on the test Redis; its keys are deleted afterwards."""
    import uuid

    import redis

    url, name = redis_or_skip(), f"test-{uuid.uuid4().hex[:10]}"
    yield url, name
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"llmspell:{name}:*"):
        client.delete(key)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request, tmp_path):
    if request.param == "redis":
        from llmspell_kernel.runtime.store.redis import RedisStore

        url, name = request.getfixturevalue("redis_session")
        store = RedisStore(url, name)
    else:
        store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "s.sqlite3")
    yield store
    store.close()


def change(version: int, key: str, new, op: str = "set", old=None) -> dict:
    return {"version": version, "scope": "", "key": key, "op": op, "old": old, "new": new,
            "author": {"engine": "lua", "chunk": "cell[1]"}, "time": 1000.0 + version}


def test_changes_round_trip_with_every_value_kind(backend):
    values = [1, 2.5, "naïve", True, None, [1, [2]], {"a": {"b": [1, "x"]}}, b"\x00\xff"]
    for i, value in enumerate(values, 1):
        backend.save_change(change(i, f"k{i}", value))
    loaded = backend.load_changes()
    assert [c["new"] for c in loaded] == values
    assert loaded[0] == change(1, "k1", 1)


def test_events_keep_their_order_and_the_newest_n(backend):
    for i in range(5):
        backend.save_event({"id": f"ev-{i}", "type": "user.x", "time": float(i), "source": "lua", "engine": "lua",
                            "parent_id": None if i == 0 else "ev-0", "data": {"i": i}, **({"duration": 1.5} if i else {})})
    events = backend.load_events(3)
    assert [e["data"]["i"] for e in events] == [2, 3, 4]
    assert events[0]["parent_id"] == "ev-0" and events[0]["duration"] == 1.5
    assert backend.load_events(0) == []


def test_sqlite_has_a_schema_version_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = SQLiteStore(path)
    assert store.schema_version == SCHEMA_VERSION == 4
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(ApiError, match="newer llmspell"):
        SQLiteStore(path)


def test_agents_round_trip(backend):
    record = {"name": "w", "definition": {"name": "w", "model": "mock/echo", "tools": ["uuid"]},
              "conversation": [{"role": "user", "content": "hi"}], "usage": {"calls": 1, "prompt_tokens": 1}}
    backend.save_agent(record)
    backend.save_agent({**record, "conversation": []})  # a save replaces
    assert backend.load_agents() == [{**record, "conversation": []}]
    backend.delete_agent("w")
    assert backend.load_agents() == []


def test_tools_round_trip(backend):
    shout = {"name": "shout", "description": "loud", "params": {"type": "object"}, "engine": "lua",
             "source": "function(args) return args.text:upper() end"}
    backend.save_tool(shout)
    backend.save_tool({**shout, "name": "again", "engine": "js", "source": "(a) => a"})
    backend.save_tool({**shout, "description": "louder"})  # a save replaces
    assert backend.load_tools() == [{**shout, "name": "again", "engine": "js", "source": "(a) => a"},
                                    {**shout, "description": "louder"}]
    backend.delete_tool("again")
    assert [t["name"] for t in backend.load_tools()] == ["shout"]


def test_checkpoints_round_trip(backend):
    first = {"run_id": "run-1", "time": 2.0, "status": "running", "done": {"0": {"output": b"\x01"}}}
    backend.save_checkpoint({"run_id": "run-0", "time": 1.0, "status": "completed", "done": {}})
    backend.save_checkpoint(first)
    backend.save_checkpoint({**first, "status": "failed"})  # a save replaces
    assert backend.load_checkpoint("run-1") == {**first, "status": "failed"}
    assert backend.load_checkpoint("nope") is None
    assert [c["run_id"] for c in backend.list_checkpoints()] == ["run-0", "run-1"]


def test_a_version_1_file_is_migrated(tmp_path):
    from llmspell_kernel.runtime.store.sqlite import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # a file as the first release wrote it
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute("INSERT INTO changes VALUES (1, '', 'k', 'set', 'null', '1', '{}', 1.0)")
    store = SQLiteStore(path)
    assert store.schema_version == SCHEMA_VERSION == 4
    assert [c["new"] for c in store.load_changes()] == [1] and store.load_agents() == []
    assert store.load_tools() == [] and store.list_checkpoints() == []
    store.close()


def test_agents_and_conversations_survive_a_restart(data_home):
    with Session(offline=True, session="crew") as first:
        first.run("local w = Agent.create({name = 'writer', system = 'Be brief.', tools = {'uuid'}, api_key = 'sk-secret'})\n"
                  "w:chat('first')\nw:chat('second')\nw:run('a run counts too')\n"
                  "Agent.create({name = 'gone'})\nAgent.remove('gone')", "lua")
    assert b"sk-secret" not in session_path("crew").read_bytes()  # a key never reaches the store
    with Session(offline=True, session="crew") as second:
        assert second.run("return Agent.list()", "lua") == ["writer"]
        info = second.run("return Agent.get('writer'):info()", "lua")
        assert info["system"] == "Be brief." and info["tools"] == ["uuid"] and info["usage"]["calls"] == 3
        assert [m["content"] for m in second.run("return Agent.get('writer'):history()", "lua")] == [
            "first", "first", "second", "second"]
        assert second.run('const w = await Agent.get("writer"); await w.chat("third")', "js") == "third"
        second.run("Agent.get('writer'):reset()", "lua")
    with Session(offline=True, session="crew") as third:
        assert third.run("return Agent.get('writer'):history()", "lua") == []


def test_a_named_session_resumes_history_events_and_versions(data_home):
    with Session(offline=True, session="notes") as first:
        first.run("State.set('a', 1)\nState.set('u', {name = 'Ada'})\nState.set('u.age', 36)", "lua")
        first.run('State.rollback(2)\nState.set("b", "two")', "tengo")
        expected = first.run("return State.history()", "lua")
        event_ids = [e.id for e in first.events.list()]
    assert session_path("notes").is_file() and str(session_path("notes")).startswith(str(data_home))
    with Session(offline=True, session="notes") as second:
        assert second.run("return State.history()", "lua") == expected
        assert second.run("return State.to_map()", "lua") == {"a": 1, "b": "two", "u": {"name": "Ada"}}
        assert second.run("return State.at(3):to_map()", "lua")["u"] == {"age": 36, "name": "Ada"}
        assert second.run("return State.diff(2, 3)", "lua") == {"added": ["u.age"], "changed": [], "removed": []}  # leaf paths
        assert [e.id for e in second.events.list()][: len(event_ids)] == event_ids
        assert second.state.version == 5
        assert second.run("return State.set('c', 3)", "lua") == 6  # versions go on, not restart
    with Session(offline=True) as unnamed:
        assert unnamed.state.version == 0  # an unnamed session starts empty and keeps nothing


def test_session_names_are_checked(data_home):
    for bad in ["../escape", "", ".hidden", "a/b"]:
        with pytest.raises(ApiError, match="invalid session name"):
            session_path(bad)


WRITER = """
import sys
from llmspell_kernel.runtime.session import Session
s = Session(offline=True, store=sys.argv[1])
i = s.state.version
while True:
    i += 1
    v = s.state.set("n", i)
    print(v, flush=True)
"""


def test_a_killed_writer_loses_no_returned_version(tmp_path):
    path = tmp_path / "durable.sqlite3"
    rng = random.Random(7)
    last_total = 0
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        first = proc.stdout.readline()  # it is writing
        assert first.strip()
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        returned = [int(line) for line in [first, *proc.stdout.read().splitlines()] if line.strip()]
        proc.wait()
        store = SQLiteStore(path)
        versions = [c["version"] for c in store.load_changes()]
        store.close()
        assert versions == list(range(1, len(versions) + 1)), "the history has a gap"
        assert max(returned) <= len(versions), "a version whose set had returned is missing"
        assert len(versions) > last_total
        last_total = len(versions)


def test_a_kernel_restart_keeps_a_named_session(tmp_path):
    env = {**os.environ, "LLMSPELL_SESSION": "restart-me", "XDG_DATA_HOME": str(tmp_path / "data")}
    km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path), env=env)
    try:
        from test_kernel import execute

        reply, _ = execute(kc, "State.set('kept', 'across restarts')\nEvent.emit('mark', {n = 1})")
        assert reply["status"] == "ok"
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=60)
        reply, outputs = execute(kc, "return {State.get('kept'), #Event.list({type = 'mark'}), State.version()}")
        assert reply["status"] == "ok"
        [result] = [c for kind, c in outputs if kind == "execute_result"]
        assert result["data"]["application/json"] == ["across restarts", 1, 1]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_session_magic_switches_to_a_named_session(data_home):
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()  # the process's one test shell (start_ipython gives None once it exists)
    ip.run_line_magic("load_ext", "llmspell_kernel")
    try:
        info = ip.run_line_magic("spell", "session magic-notes").value
        assert info["session"] == "magic-notes" and info["store"] == "sqlite" and info["version"] == 0
        ip.run_cell("%%spell lua\nState.set('from_magic', 1)")
        import llmspell_kernel

        assert llmspell_kernel.session().state.to_dict() == {"from_magic": 1}
        ip.run_line_magic("spell", "session other")
        assert ip.run_line_magic("spell", "session magic-notes").value["version"] == 1
    finally:
        ip.run_line_magic("unload_ext", "llmspell_kernel")
    assert Path(session_path("magic-notes")).is_file()


def bump_together(sessions, times: int) -> None:
    """Each session, from a thread of its own and all at once, adds 1 to state `n` `times` times."""
    def bump(session):
        for _ in range(times):
            session.state.update("n", lambda v: (v or 0) + 1)

    threads = [threading.Thread(target=bump, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_sessions_share_one_redis_store(redis_session):
    url, name = redis_session
    with Session(offline=True, store=url, session=name) as a, Session(offline=True, store=url, session=name) as b:
        heard = []
        b.run("Event.on('ping', function(e) heard_n = e.data.n end)", "lua")
        b.events.on("ping", lambda event: heard.append(event.data["n"]))
        a.run("State.set('from_a', 1)\nEvent.emit('ping', {n = 7})", "lua")
        assert b.run("return State.get('from_a')", "lua") == 1  # B reads what A committed
        wait_until(lambda: heard, "A's event at B")
        assert heard == [7]  # A's event reached B's subscribers, live
        assert b.run("return State.set('from_b', 2)", "lua") == 2  # versions continue across kernels
        assert a.run("return State.history()[2].key", "lua") == "from_b"
        bump_together((a, b), 300)
        assert a.state.get("n") == b.state.get("n") == 600  # no update lost between the two processes
        history = [c.version for c in b.state.history()]
        assert history == list(range(1, len(history) + 1))


def test_agents_and_tools_made_after_a_kernel_started_are_found_there(redis_session):
    url, name = redis_session
    with Session(offline=True, store=url, session=name) as a, Session(offline=True, store=url, session=name) as b:
        b.run("return 1", "lua")  # B is running before A makes anything
        assert b.run("return Tool.list()", "lua") == b.tools.names()
        a.run("Tool.register({name = 'shout', description = 'upper case', "
              "fn = function(args) return string.upper(args.text) end})\n"
              "Agent.create({name = 'caller', model = 'mock/script', tools = {'shout'}, responses = {"
              "{tool = 'shout', args = {text = 'hi'}}, 'done'}})", "lua")
        a.run("await Tool.register({name: 'twice', fn: (args) => args.n * 2})", "js")
        assert b.run('Tool.call("shout", {text: "from tengo"})', "tengo") == "FROM TENGO"
        assert b.run("await Tool.call('twice', {n: 21})", "js") == 42
        assert {"shout", "twice"} <= set(b.run("await Tool.list()", "js"))
        assert "caller" in b.run("return Agent.list()", "lua")
        assert b.run("const c = await Agent.get('caller')\nawait c.run('go')", "js") == "done"
        assert [e.data["result"] for e in b.events.list(type="tool.result")][-1] == "HI"  # B ran A's Lua tool
        with pytest.raises(SpellError, match="already exists"):  # A's agent is B's too
            b.run("Agent.create({name = 'caller'})", "lua")
        with pytest.raises(SpellError, match="unknown tool 'nothing'"):
            b.run("return Tool.call('nothing', {})", "lua")


@pytest.mark.parametrize("store", ["redis", "sqlite"])
def test_two_kernels_share_one_session(store, request, tmp_path):
    from test_kernel import execute

    if store == "redis":
        url, name = request.getfixturevalue("redis_session")
        env = {**os.environ, "LLMSPELL_STORE": url, "LLMSPELL_SESSION": name}
    else:  # a named session's SQLite file, in this test's data dir
        env = {**os.environ, "LLMSPELL_SESSION": "shared", "XDG_DATA_HOME": str(tmp_path / "data")}
    kernels = [start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path), env=env) for _ in range(2)]
    try:
        (_, kc_a), (_, kc_b) = kernels
        loop = "for i = 1, 1000 do State.update('count', function(n) return (n or 0) + 1 end) end\nEvent.emit('done', {})"
        ids = [kc.execute(loop) for kc in (kc_a, kc_b)]  # both run at once
        for kc, msg_id in zip((kc_a, kc_b), ids, strict=True):
            while True:
                reply = kc.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg_id:
                    assert reply["content"]["status"] == "ok", reply["content"]
                    break
        for kc in (kc_a, kc_b):  # each sees the other's versions, and its `done` event (which comes live)
            reply, outputs = execute(kc, "local n = 0\nfor i = 1, 600 do n = #Event.list({type = 'done'}) "
                                         "if n == 2 then break end Spell.sleep(100) end\n"
                                         "return {State.get('count'), State.version(), n}")
            [result] = [c for kind, c in outputs if kind == "execute_result"]
            assert result["data"]["application/json"] == [2000, 2000, 2]
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
