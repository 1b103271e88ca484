"""The event timeline and state history widgets at the Python level: models, live updates, rollback, batching.

The look and the clicks are tested in a real browser by tests/test_widgets_browser.py.
"""

from __future__ import annotations

import threading
import time

import comm
import pytest
from comm.base_comm import BaseComm
from support.guards import GUARD

from llmspell_kernel.runtime.render import mime_bundle
from llmspell_kernel.widgets.history import StateHistory, diff_paths
from llmspell_kernel.widgets.timeline import EventTimeline

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def wait_for(predicate, timeout: float = GUARD):
    """Poll without flushing: the widget must get there through its own timer."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the widget")


def by_kind(widget: EventTimeline, kind: str) -> list[dict]:
    return [r for r in widget.rows if r["kind"] == kind]


WORKFLOW = """
Tool.register({name = "double", description = "x2", params = {type = "object"},
               fn = function(a) return {n = a.n * 2} end})
local writer = Agent.create({name = "writer", model = "mock/echo"})
local wf = Workflow.sequential({name = "pipe", steps = {
  {name = "ask", step = writer},
  {name = "calc", step = function(x) return Tool.call("double", {n = 21}).n end},
}})
return wf:run("three little words")
"""


# the event timeline ----------------------------------------------------------------------------
def test_timeline_builds_the_span_tree_live(session):
    widget = session.events.widget(interval=0.05)
    session.run(WORKFLOW, "lua")
    wait_for(lambda: by_kind(widget, "workflow") and by_kind(widget, "workflow")[0]["status"] == "ok")
    rows = {r["name"]: r for r in widget.rows}
    spell, wf, ask, calc = rows["chunk"], rows["pipe"], rows["ask"], rows["calc"]
    assert (spell["depth"], wf["depth"], ask["depth"], calc["depth"]) == (0, 1, 2, 2)
    assert rows["writer"]["depth"] == 3 and rows["mock/echo"]["depth"] == 4  # step → agent → llm
    assert rows["double"]["kind"] == "tool" and rows["double"]["depth"] == 3
    assert all(r["status"] == "ok" and r["duration"] >= 0 for r in (spell, wf, ask, calc, rows["double"]))
    # mock usage counts words: 3 prompt + 3 reply tokens, rolled up to every ancestor
    assert rows["mock/echo"]["tokens"] == rows["writer"]["tokens"] == wf["tokens"] == spell["tokens"] == 6
    assert widget.totals["tokens"] == 6 and widget.totals["running"] == 0 and widget.totals["engines"] == ["lua"]
    # the waterfall: fractions of the page's time window, the spell's bar first and widest
    assert spell["left"] == 0 and wf["left"] >= 0 and 0 < wf["width"] <= spell["width"] <= 1


def test_spans_show_as_running_while_the_cell_still_runs(session):
    widget = session.events.widget(interval=0.05)
    done = threading.Event()
    code = 'Workflow.sequential({name = "slow", steps = {function(x) Spell.sleep(600) return x end}}):run(1)'
    runner = threading.Thread(target=lambda: (session.run(code, "lua"), done.set()))
    runner.start()
    running = wait_for(lambda: [r for r in by_kind(widget, "workflow") if r["status"] == "running"])
    assert not done.is_set(), "the row must show before the workflow ends"
    assert running[0]["duration"] is None and running[0]["width"] > 0  # the bar grows up to now
    runner.join()
    wait_for(lambda: by_kind(widget, "workflow")[0]["status"] == "ok")


def test_filters_keep_matches_and_their_ancestors(session):
    widget = session.events.widget("tool.*")
    session.run(WORKFLOW, "lua")
    widget.flush()
    assert [r["name"] for r in widget.rows] == ["chunk", "pipe", "calc", "double"]
    widget.filter = {"search": "WRITER"}
    assert [r["name"] for r in widget.rows] == ["chunk", "pipe", "ask", "writer"]
    widget.filter = {"engine": "tengo"}
    assert widget.rows == [] and widget.total == 0
    session.run('Event.emit("job.done", {})', "tengo")
    widget.filter = {"engine": "tengo", "type": "job.*"}
    widget.flush()
    assert [(r["kind"], r["name"]) for r in widget.rows] == [("spell", "chunk"), ("user", "job.done")]
    widget.filter = {"status": "error"}
    with pytest.raises(Exception, match="boom"):
        session.run('error("boom")', "lua")
    widget.flush()
    assert [(r["kind"], r["status"]) for r in widget.rows] == [("spell", "error")]


def test_a_click_shows_the_spans_data(session):
    widget = session.events.widget()
    session.run(WORKFLOW, "lua")
    widget.flush()
    llm = by_kind(widget, "llm")[0]
    widget.selected = llm["id"]
    titles = dict(widget.detail["sections"])
    assert '"three little words"' in titles["Prompt"] and titles["Reply"] == "three little words"
    assert '"total_tokens": 6' in titles["Usage"]
    widget.selected = next(r for r in widget.rows if r["name"] == "double")["id"]
    titles = dict(widget.detail["sections"])
    assert '"n": 21' in titles["Arguments"] and '"n": 42' in titles["Result"]
    with pytest.raises(Exception, match="kaput"):
        session.run('Tool.register({name = "bad", description = "d", params = {type = "object"},'
                    ' fn = function() error("kaput") end})\nTool.call("bad", {})', "lua")
    widget.flush()
    bad = next(r for r in widget.rows if r["name"] == "bad")
    widget.selected = bad["id"]
    assert bad["status"] == "error" and "kaput" in dict(widget.detail["sections"])["Error"]
    widget.selected = ""
    assert widget.detail == {}


def test_long_lists_are_paged(session):
    widget = session.events.widget(page_size=100)
    for i in range(250):
        session.events.emit("tick", {"i": i}, source="user")
    widget.flush()
    assert widget.total == 250 and widget.offset == 150 and len(widget.rows) == 100  # follows the newest
    widget.follow = False
    widget.offset = 0
    assert [r["name"] for r in widget.rows[:1]] == ["tick"] and widget.rows[0]["time"]
    session.events.emit("tick", {"i": 250}, source="user")
    widget.flush()
    assert widget.offset == 0 and widget.total == 251  # a reader who paged back stays put


def test_old_rows_are_dropped_past_max_rows(session):
    widget = session.events.widget(max_rows=50)
    for i in range(120):
        session.events.emit("tick", {"i": i}, source="user")
    widget.flush()
    assert widget.total == 50 and widget.totals["events"] == 120


def test_a_bad_filter_is_an_api_error(lua):
    with pytest.raises(Exception, match="unknown timeline filter field"):
        lua('return Event.timeline({kind = "x"})')


# batching: count the comm messages -----------------------------------------------------------
class CountingComm(BaseComm):
    """A comm that records what ipywidgets sends through it, instead of sending it to a frontend."""

    def __init__(self, **kwargs):
        self.sent: list[dict] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        self.sent.append({"msg_type": msg_type, "data": data or {}})


@pytest.fixture
def counting_comms(monkeypatch):
    comms: list[CountingComm] = []

    def create(*args, **kwargs):
        comms.append(CountingComm(**kwargs))
        return comms[-1]

    monkeypatch.setattr(comm, "create_comm", create)
    return comms


def _burst_from_python(session):
    for i in range(10_000):
        session.events.emit("burst", {"i": i}, source="user")


def _burst_from_lua(session):
    session.run('for i = 1, 10000 do Event.emit("burst", {i = i}) end', "lua")


def _burst_from_paced(session):
    """10,000 events spread over about a second: batches are cut by the timer, not by the burst's end."""
    for _ in range(100):
        for i in range(100):
            session.events.emit("burst", {"i": i}, source="user")
        time.sleep(0.01)


@pytest.mark.parametrize("burst_from", [_burst_from_python, _burst_from_lua, _burst_from_paced],
                         ids=["python", "lua", "paced"])
def test_a_burst_of_10000_events_costs_a_few_comm_messages(session, counting_comms, capsys, burst_from):
    widget = session.events.widget("burst", interval=0.2)
    channel = next(c for c in counting_comms if c.comm_id == widget.comm.comm_id)
    before = len(channel.sent)
    began = time.monotonic()
    burst_from(session)
    burst = time.monotonic() - began
    spell_events = 2 if burst_from is _burst_from_lua else 0  # spell.start and spell.complete
    wait_for(lambda: widget.totals["events"] == 10_000 + spell_events)
    time.sleep(0.3)  # any trailing batch
    updates = [m for m in channel.sent[before:] if m["data"].get("method") == "update"]
    assert len(channel.sent) - before == len(updates)  # nothing else was sent
    # one update per batch interval at most, plus the trailing one
    assert 1 <= len(updates) <= burst / 0.2 + 2
    assert all(len(m["data"]["state"].get("rows", [])) <= 100 for m in updates)  # a page, never the whole list
    assert widget.total == 10_000 + (burst_from is _burst_from_lua)  # and the spell's own span
    with capsys.disabled():
        print(f"\n10,000 events from {burst_from.__name__[12:]} in {burst:.2f} s -> {len(updates)} comm messages")


def test_state_history_batches_too(session, counting_comms):
    widget = session.state.widget(interval=0.2)
    channel = next(c for c in counting_comms if c.comm_id == widget.comm.comm_id)
    before = len(channel.sent)
    began = time.monotonic()
    for i in range(2_000):
        session.state.set("n", i)
    burst = time.monotonic() - began
    wait_for(lambda: widget.current == 2_000)
    time.sleep(0.3)
    assert 1 <= len(channel.sent) - before <= burst / 0.2 + 2  # one per batch interval at most, and the last
    assert len(widget.versions) == 500 and widget.versions[0]["version"] == 2_000  # newest first, capped


# the state history ------------------------------------------------------------------------------
def test_state_history_follows_the_store(session):
    session.run('State.set("user", {name = "Ada", langs = {"lua"}})', "lua")
    widget = session.state.widget(interval=0.05)
    assert [v["version"] for v in widget.versions] == [1, 0]
    session.run('State.set("user.name", "Grace")\nState.set("color", "red")', "tengo")
    wait_for(lambda: widget.current == 3)
    newest = widget.versions[0]
    assert [v["version"] for v in widget.versions] == [3, 2, 1, 0]
    assert newest["summary"] == "set color" and newest["author"].startswith("tengo/") and newest["time"]
    widget.key_filter = "user.*"
    assert [v["version"] for v in widget.versions] == [2, 1, 0] and widget.total == 3
    widget.selected = 2
    assert widget.diff == [{"path": "user.name", "kind": "changed", "old": '"Ada"', "new": '"Grace"'}]
    assert widget.snapshot == {"user": {"name": "Grace", "langs": ["lua"]}}
    widget.selected = 3
    assert widget.diff == [{"path": "color", "kind": "added", "new": '"red"'}]


def test_rollback_from_the_widget_changes_the_store(session):
    session.state.set("color", "red")
    session.state.set("color", "blue")
    widget = session.state.widget()
    widget.selected = 1
    # what the browser sends after the user confirmed
    widget._handle_custom_msg({"action": "rollback", "version": 1}, [])
    assert session.state.get("color") == "red" and session.state.version == 3
    assert widget.current == 3 and widget.versions[0]["summary"] == "rollback to v1"
    assert widget.versions[0]["author"] == "python/state widget"
    assert widget.selected == 3 and widget.message == "rolled back to v1: the store is now v3"
    assert widget.diff == [{"path": "color", "kind": "changed", "old": '"blue"', "new": '"red"'}]
    widget._handle_custom_msg({"action": "rollback", "version": 99}, [])
    assert widget.message.startswith("rollback failed: no state version 99") and session.state.version == 3


def test_diff_paths_reach_into_maps():
    old = {"a": 1, "m": {"x": 1, "y": {"z": [1]}}, "gone": True}
    new = {"a": 1, "m": {"x": 2, "y": {"z": [1, 2]}}, "new": None}
    assert diff_paths(old, new) == [
        {"path": "gone", "kind": "removed", "old": "true"},
        {"path": "m.x", "kind": "changed", "old": "1", "new": "2"},
        {"path": "m.y.z", "kind": "changed", "old": "[1]", "new": "[1, 2]"},
        {"path": "new", "kind": "added", "new": "null"},
    ]


def test_stop_ends_the_live_updates(session):
    widget = session.state.widget(interval=0.05)
    widget.stop()
    session.state.set("x", 1)
    time.sleep(0.2)
    assert widget.current == 0


# opening the widgets from spells, Python and the magic -----------------------------------------
@pytest.mark.parametrize("engine,code,show", [
    ("lua", 'return Event.timeline("tool.*")', "display(State.timeline())"),
    ("tengo", 'State.timeline("user.*")', "display(Event.timeline())"),
    ("js", 'await Event.timeline({status: "error"})', "display(await State.timeline())"),
])
def test_a_spell_returns_a_widget_handle_that_displays_as_the_widget(session, engine, code, show):
    widget = session.run(code, engine)
    assert isinstance(widget, (EventTimeline, StateHistory))
    bundle = mime_bundle(widget)
    assert bundle[WIDGET_VIEW]["model_id"] == widget.model_id and bundle["text/plain"].startswith("<")
    shown = []
    session.display_hook = lambda value, mime: shown.append(mime_bundle(value, mime))
    session.run(show, engine)
    assert WIDGET_VIEW in shown[0] and shown[0]["text/plain"].startswith("<")


def test_without_a_notebook_display_prints_the_summary(session, capsys):
    session.run('State.set("a", 1)\ndisplay(State.timeline("a"))', "lua")
    assert capsys.readouterr().out.strip() == (
        "<StateHistory {'kind': 'state', 'key': 'a', 'versions': 2, 'current': 1, 'selected': -1}>")


@pytest.fixture
def magics(session):
    from types import SimpleNamespace

    from llmspell_kernel.magics import SpellMagics

    from llmspell_kernel.runtime import current

    previous = current._current  # without making one
    # a bare shell: the process's one IPython test shell belongs to tests/test_magics.py
    yield SpellMagics(SimpleNamespace(configurables=[], execution_count=1, user_ns={}), session=session)
    current.set_current_session(previous)  # the magics made the test's session the current one


def test_the_line_magic_opens_both_widgets(magics):

    timeline = magics.spell_line("events tool.*")
    history = magics.spell_line("state user.*")
    assert isinstance(timeline, EventTimeline) and timeline.filter == {"type": "tool.*"}
    assert isinstance(history, StateHistory) and history.key_filter == "user.*"
    assert WIDGET_VIEW in timeline._repr_mimebundle_()[0]  # what IPython shows for the magic's value
    result = magics.spell("lua", "State.set('user', {name = 'Ada'})\nreturn State.timeline()")
    assert isinstance(result._repr_mimebundle_()[WIDGET_VIEW], dict)  # a cell returning a widget renders it
    history.flush()
    assert history.current == 1 and history.versions[0]["summary"] == "set user"
