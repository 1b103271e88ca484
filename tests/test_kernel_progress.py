"""A workflow run in a notebook cell shows a progress bar (ipywidgets) that ends cleanly."""

from __future__ import annotations

import time

import pytest
from jupyter_client.manager import start_new_kernel

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    km, client = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path_factory.mktemp("progress")))
    yield client
    client.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc, code: str) -> tuple[dict, dict[str, dict], list[str]]:
    """Execute; returns the reply, the final state of every widget model, and the widgets displayed."""
    msg_id = kc.execute(code)
    models: dict[str, dict] = {}
    shown: list[str] = []
    while True:
        msg = kc.get_iopub_msg(timeout=20)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open":
            models[content["comm_id"]] = dict(content["data"]["state"])
        elif kind == "comm_msg" and content["data"].get("method") == "update":
            models.setdefault(content["comm_id"], {}).update(content["data"]["state"])
        elif kind == "display_data" and WIDGET_VIEW in content["data"]:
            shown.append(content["data"][WIDGET_VIEW]["model_id"])
        elif kind == "status" and content["execution_state"] == "idle" and msg["parent_header"].get("msg_id") == msg_id:
            break
    return kc.get_shell_msg(timeout=10)["content"], models, shown


def bar_of(models: dict[str, dict], shown: list[str]) -> tuple[dict, dict]:
    [box] = [models[m] for m in shown]
    progress, label = (models[ref.removeprefix("IPY_MODEL_")] for ref in box["children"])
    assert progress["_model_name"] == "IntProgressModel"
    return progress, label


def test_a_workflow_shows_a_bar_that_ends_in_success(kc):
    reply, models, shown = run(kc, """
        local step = function(x) Spell.sleep(50) return x + 1 end
        local inner = Workflow.sequential({name = 'inner', steps = {step, step}})
        return Workflow.sequential({name = 'three steps', steps = {step, inner, step}}):run(0).output
    """)
    assert reply["status"] == "ok"
    progress, label = bar_of(models, shown)  # one bar: the nested workflow is a step of its parent
    assert progress["description"] == "three steps" and progress["max"] == 3
    assert progress["value"] == 3 and progress["bar_style"] == "success" and label["value"] == "done"


def test_a_failing_workflow_ends_its_bar_in_red(kc):
    reply, models, shown = run(kc, """
        return Workflow.sequential({name = 'doomed', steps = {function(x) return x end,
            {step = function(x) error('bad step') end, name = 'breaks'}, function(x) return x end}}):run(1).status
    """)
    assert reply["status"] == "ok"
    progress, label = bar_of(models, shown)
    assert progress["value"] == 1 and progress["bar_style"] == "danger"
    assert label["value"].startswith("failed: step 'breaks' failed") and "bad step" in label["value"]


def test_a_loop_that_ends_early_fills_its_bar(kc):
    _, models, shown = run(kc, """
        return Workflow.loop({name = 'early', step = function(x) return x + 1 end, max_iterations = 10,
                              ['until'] = function(out) return out >= 2 end}):run(0).output
    """)
    progress, _ = bar_of(models, shown)
    assert progress["max"] == 10 and progress["value"] == 10 and progress["bar_style"] == "success"


def test_display_of_an_agent_is_a_card(kc):
    msg_id = kc.execute("local a = Agent.create({name = 'carded', tools = {'uuid'}})\na:run('one two')\ndisplay(a)")
    while True:
        msg = kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "display_data":
            data = msg["content"]["data"]
            break
    assert data["text/plain"] == "<Agent carded (mock/echo), tools: uuid>"
    card = data["text/markdown"]
    assert "**Agent `carded`**" in card and "model `mock/echo`" in card and "`uuid`" in card
    assert "| 1 | 2 | 2 | $0.0000 |" in card


def test_streamed_text_reaches_the_cell_chunk_by_chunk(kc):
    msg_id = kc.execute("LLM.stream('one two three four')\nAgent.create({name = 'streamer'}):stream('five six')")
    chunks = []
    while True:
        msg = kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            chunks.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert "".join(chunks) == "one two three fourfive six"
    assert len(chunks) >= 6  # one message per chunk, as each arrived, not one at the end


def streamed(kc, engine: str, code: str) -> tuple[list[tuple[float, str]], float]:
    """Run a spell cell; its stream messages as (seconds since the request, text), and when it went idle."""
    began = time.monotonic()
    msg_id = kc.execute(f"%%spell {engine}\n{code}")
    arrivals = []
    while True:
        msg = kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            arrivals.append((time.monotonic() - began, msg["content"]["text"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return arrivals, time.monotonic() - began


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_printed_lines_reach_the_cell_while_it_runs_a_few_messages_at_a_time(kc, engine):
    code = {"lua": "for i = 1, 2000 do print('line ' .. i) end\nSpell.sleep(1500)\nprint('after')",
            "js": "for (let i = 1; i <= 2000; i++) console.log('line ' + i)\nawait Spell.sleep(1500)\nconsole.log('after')",
            "tengo": 'fmt := import("fmt")\nfor i := 1; i <= 2000; i++ { fmt.println("line ", i) }\n'
                     'Spell.sleep(1500)\nfmt.println("after")'}[engine]
    arrivals, _ = streamed(kc, engine, code)
    text = "".join(t for _, t in arrivals)
    assert text.count("line ") == 2000 and text.endswith("after\n")
    last_line_at = next(at for at, t in arrivals if "line 2000" in t)
    assert arrivals[-1][0] - last_line_at > 1.0  # the lines came before the sleep ended, "after" after it
    assert len(arrivals) < 50  # batched by ipykernel's stream, not one message per line


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_a_print_before_a_busy_loop_shows_while_the_loop_runs(kc, engine):
    code = {"lua": "print('start')\nlocal t = os.clock()\nwhile os.clock() - t < 1.5 do end\nreturn 'end'",
            "js": "console.log('start')\nconst t = Date.now()\nwhile (Date.now() - t < 1500) {}\n'end'",
            "tengo": 'fmt := import("fmt")\ntimes := import("times")\nfmt.println("start")\nt := times.now()\n'
                     'for times.since(t) < 1500000000 {}\n"end"'}[engine]
    arrivals, ended = streamed(kc, engine, code)
    assert arrivals and ended - arrivals[0][0] > 1.0, (arrivals, ended)  # the loop held the engine, not the stream
