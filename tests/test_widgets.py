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
from llmspell_kernel.widgets.batch import Batcher
from llmspell_kernel.widgets.history import StateHistory
from llmspell_kernel.widgets.timeline import EventTimeline
from llmspell_kernel.widgets.waterfall import Axis

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
    titles = sections(widget)
    assert '"three little words"' in titles["Prompt"] and titles["Reply"] == "three little words"
    assert '"total_tokens": 6' in titles["Usage"]
    assert opened(widget) == ["Reply"]  # the most useful section open, the others collapsed
    widget.selected = next(r for r in widget.rows if r["name"] == "double")["id"]
    titles = sections(widget)
    assert '"n": 21' in titles["Arguments"] and '"n": 42' in titles["Result"] and opened(widget) == ["Result"]
    with pytest.raises(Exception, match="kaput"):
        session.run('Tool.register({name = "bad", description = "d", params = {type = "object"},'
                    ' fn = function() error("kaput") end})\nTool.call("bad", {})', "lua")
    widget.flush()
    bad = next(r for r in widget.rows if r["name"] == "bad")
    widget.selected = bad["id"]
    assert bad["status"] == "error" and "kaput" in sections(widget)["Error"] and opened(widget) == ["Error"]
    widget.selected = ""
    assert widget.detail == {}


def sections(widget: EventTimeline) -> dict[str, str]:
    return {s["title"]: s["text"] for s in widget.detail["sections"]}


def opened(widget: EventTimeline) -> list[str]:
    return [s["title"] for s in widget.detail["sections"] if s["open"]]


def test_the_detail_parses_json_held_in_strings_and_names_an_empty_reply(session):
    widget = session.events.widget()
    call = session.events.emit("llm.request", {"model": "m", "messages": []}, source="python")
    session.events.emit("llm.response", {"text": "", "tool_calls": [
        {"name": "double", "arguments": '{"n": 21, "why": "a \\"quote\\""}'}]}, source="python",
        parent_id=call.id)
    widget.flush()
    widget.selected = call.id
    titles = sections(widget)
    assert titles["Reply"] == "(empty)" and opened(widget) == ["Reply"]
    assert '"arguments": {\n' in titles["Tool calls"] and '"n": 21' in titles["Tool calls"]
    assert '"why": "a \\"quote\\""' in titles["Tool calls"]  # parsed once: no escaped JSON left


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


def test_a_new_filter_starts_at_the_first_page_and_drops_a_hidden_selection(session):
    widget = session.events.widget(page_size=100)
    for i in range(269):
        session.events.emit("tick.error" if i % 70 == 0 else "tick", {"i": i}, source="user")
    widget.flush()
    widget.follow = False
    widget.offset = 69  # the reader paged to rows 70-169 and opened one
    widget.selected = widget.rows[5]["id"]
    assert widget.total == 269 and widget.detail["id"] == widget.selected
    widget.filter = {"status": "error"}
    assert (widget.offset, widget.total, len(widget.rows)) == (0, 4, 4)  # rows 1-4 of 4
    assert widget.selected == "" and widget.detail == {}  # its row is filtered out
    widget.selected = widget.rows[1]["id"]
    widget.filter = {"status": "error", "search": "tick"}
    assert widget.selected == widget.rows[1]["id"]  # still listed: it stays


def test_a_failing_handler_counts_as_an_error_and_ends_no_span(session):
    def failing(event):
        raise RuntimeError("handler broke")

    session.events.on("spell.start", failing)
    widget = session.events.widget()
    session.run("return 1", "lua")
    widget.flush()
    assert widget.totals["errors"] == 1 and widget.totals["spans"] == 1
    spell, report = widget.rows
    assert (spell["kind"], spell["status"], report["type"], report["status"]) == ("spell", "ok", "spell.error", "error")
    widget.filter = {"status": "error"}
    assert [r["type"] for r in widget.rows] == ["spell.start", "spell.error"]  # the match and its ancestor
    widget.selected = report["id"]
    assert "handler broke" in sections(widget)["Error"]


def test_a_type_filter_takes_comma_separated_globs(session):
    widget = session.events.widget("workflow.*, step.*")
    session.run(WORKFLOW, "lua")
    widget.flush()
    assert [r["kind"] for r in widget.rows] == ["spell", "workflow", "step", "step"]
    widget.filter = {"type": "tool.result"}  # a span's closing event matches too
    assert [r["name"] for r in widget.rows] == ["chunk", "pipe", "calc", "double"]


def test_the_axis_collapses_idle_gaps_and_keeps_a_round_scale():
    axis = Axis.of([(100.0, 100.3), (100.1, 100.2), (160.0, 160.1)])  # two cells a minute apart
    assert [b["label"] for b in axis.breaks] == ["idle 59.7 s"]
    assert [t["label"] for t in axis.ticks] == ["0", "100 ms", "200 ms", "300 ms", "400 ms", "500 ms"]
    assert axis.at(100.0) == 0 and axis.at(160.1) <= 1
    gap = axis.at(160.0) - axis.at(100.3)
    assert 0 < gap < 0.05 and abs(axis.at(100.3) - 0.6) < 1e-9  # 300 ms of a 500 ms window
    grown = Axis.of([(100.0, 100.31), (160.0, 160.1)])  # a running span grew 10 ms: same scale
    assert grown.ticks == axis.ticks


def test_a_running_span_has_its_elapsed_time(session):
    widget = session.events.widget()
    session.events.emit("workflow.start", {"workflow": "w"}, source="python")
    widget.flush()
    row = widget.rows[0]
    assert row["status"] == "running" and row["duration"] is None and row["elapsed"] >= 0


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
    widget.selected = 3  # not in the list: the filter keeps its diff to user.*
    assert widget.diff == [] and widget.base == 2
    widget.key_filter = ""
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


NESTED = {  # v1, v2 (another key), v3: the user map rewritten, one leaf at a time different
    "lua": 'State.set("user", {name = "Ada", langs = {"lua"}, address = {city = "Paris", zip = "75"}})\n'
           'State.set("color", "red")\n'
           'State.set("user", {name = "Ada", langs = {"lua", "js"}, address = {city = "Lyon"}, age = 36})\n'
           'return State.diff(2, 3)',
    "tengo": 'State.set("user", {name: "Ada", langs: ["lua"], address: {city: "Paris", zip: "75"}})\n'
             'State.set("color", "red")\n'
             'State.set("user", {name: "Ada", langs: ["lua", "js"], address: {city: "Lyon"}, age: 36})\n'
             'State.diff(2, 3)',
    "js": 'await State.set("user", {name: "Ada", langs: ["lua"], address: {city: "Paris", zip: "75"}})\n'
          'await State.set("color", "red")\n'
          'await State.set("user", {name: "Ada", langs: ["lua", "js"], address: {city: "Lyon"}, age: 36})\n'
          'await State.diff(2, 3)',
}
NESTED_DIFF = {"added": ["user.age"], "removed": ["user.address.zip"], "changed": ["user.address.city", "user.langs"]}


def test_state_diff_and_the_widget_show_the_same_leaf_paths(spell):
    assert spell(**NESTED) == NESTED_DIFF
    widget = spell.session.state.widget()
    widget.selected = 3
    assert widget.base == 2
    shown = {kind: [d["path"] for d in widget.diff if d["kind"] == kind] for kind in NESTED_DIFF}
    assert shown == NESTED_DIFF
    assert {"path": "user.address.city", "kind": "changed", "old": '"Paris"', "new": '"Lyon"'} in widget.diff
    assert {"path": "user.age", "kind": "added", "new": "36"} in widget.diff


def test_with_a_key_filter_the_diff_starts_at_the_version_above_in_the_list(session):
    session.state.set("user", {"name": "Ada"})
    session.state.set("color", "red")
    session.state.set("user.name", "Grace")
    widget = session.state.widget("user.*")
    assert [v["version"] for v in widget.versions] == [3, 1, 0]
    widget.selected = 3
    assert widget.base == 1  # v2 (color) is not in the list
    assert widget.diff == [{"path": "user.name", "kind": "changed", "old": '"Ada"', "new": '"Grace"'}]


def test_the_rollback_message_clears_on_the_next_action(session):
    session.state.set("color", "red")
    session.state.set("color", "blue")
    widget = session.state.widget()
    assert widget.rollback(1) == 3 and widget.message.startswith("rolled back to v1")
    widget.selected = 2
    assert widget.message == ""
    widget.rollback(1)
    widget.key_filter = "color"
    assert widget.message == ""


def test_stop_flushes_the_pending_batch(session):
    """The last events of a run arrive: a span closed just before stop() does not stay running."""
    widget = session.events.widget(interval=3600)  # no timer will fire during the test
    session.run(WORKFLOW, "lua")
    assert widget.totals["running"] == 0 and widget.totals["spans"] == 0  # nothing drawn yet
    widget.stop()
    assert widget.totals["spans"] == 7 and widget.totals["running"] == 0
    assert all(r["status"] == "ok" for r in widget.rows)
    session.events.emit("later", {}, source="user")
    time.sleep(0.1)
    assert widget.totals["events"] == widget._tree.events and "later" not in [r["name"] for r in widget.rows]


def test_a_stopped_batcher_runs_its_pending_flush_once_and_then_nothing():
    flushed = []
    batcher = Batcher(lambda: flushed.append(1), interval=3600)
    batcher.stop()
    assert flushed == []  # nothing pending: stop does not draw
    batcher = Batcher(lambda: flushed.append(1), interval=3600)
    batcher.poke()
    batcher.poke()
    batcher.stop()
    assert flushed == [1]
    batcher.poke()
    time.sleep(0.05)
    assert flushed == [1] and batcher._timer is None


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


def test_a_workflow_bar_is_shown_only_for_this_process_s_workflows(data_home):
    """Two processes on one named session see each other's events; a bar belongs to the one that runs the
    workflow, or it would land in whatever cell the other process's events arrive during (notebook 08)."""
    from support.guards import wait_until

    from llmspell_kernel.runtime.session import Session
    from llmspell_kernel.widgets.progress import WorkflowProgress

    flow = "return Workflow.sequential({name = 'w', steps = {function(x) return x end}}):run('go')"
    with Session(offline=True, session="bars") as here, Session(offline=True, session="bars") as there:
        shown = []
        here.events.add_sink(WorkflowProgress(shown.append, own=here.events.is_own))
        there.run(flow, "lua")
        wait_until(lambda: here.events.list(type="workflow.complete"), "the other process's workflow at this bus")
        assert shown == []
        here.run(flow, "lua")
        assert len(shown) == 1
