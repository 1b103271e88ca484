"""A workflow run in a notebook cell shows a progress bar (ipywidgets) that ends cleanly."""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel
from support.guards import GUARD

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    km, client = start_new_kernel(kernel_name="llmspell-lua", cwd=str(folder))
    client.folder = folder  # the kernel's sandbox root: a test answers a running cell through a file there
    yield client
    client.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc, code: str) -> tuple[dict, dict[str, dict], list[str]]:
    """Execute; returns the reply, the final state of every widget model, and the widgets displayed."""
    msg_id = kc.execute(code)
    models: dict[str, dict] = {}
    shown: list[str] = []
    while True:
        msg = kc.get_iopub_msg(timeout=GUARD)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open":
            models[content["comm_id"]] = dict(content["data"]["state"])
        elif kind == "comm_msg" and content["data"].get("method") == "update":
            models.setdefault(content["comm_id"], {}).update(content["data"]["state"])
        elif kind == "display_data" and WIDGET_VIEW in content["data"]:
            shown.append(content["data"][WIDGET_VIEW]["model_id"])
        elif kind == "status" and content["execution_state"] == "idle" and msg["parent_header"].get("msg_id") == msg_id:
            break
    return kc.get_shell_msg(timeout=GUARD)["content"], models, shown


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
        msg = kc.get_iopub_msg(timeout=GUARD)
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
        msg = kc.get_iopub_msg(timeout=GUARD)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            chunks.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert "".join(chunks) == "one two three fourfive six"
    assert len(chunks) >= 6  # one message per chunk, as each arrived, not one at the end


def streamed(kc, engine: str, code: str, answer_on: str) -> list[str]:
    """Run a spell cell that waits for the file `seen`; create it when a stream message holds `answer_on`.

    The cell cannot end before the test saw that output, so the output reached the client while the cell
    ran, however busy the machine. Returns the stream texts in order."""
    (kc.folder / "seen").unlink(missing_ok=True)
    msg_id = kc.execute(f"%%spell {engine}\n{code}")
    texts: list[str] = []
    while True:
        msg = kc.get_iopub_msg(timeout=GUARD)  # never answered, the cell would wait for ever: the guard fails
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])
            if answer_on in "".join(texts) and not (kc.folder / "seen").exists():
                (kc.folder / "seen").write_text("yes")
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return texts


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_printed_lines_reach_the_cell_while_it_runs_a_few_messages_at_a_time(kc, engine):
    code = {"lua": "for i = 1, 2000 do print('line ' .. i) end\n"
                   "while not fs.exists('seen') do Spell.sleep(20) end\nprint('after')",
            "js": "for (let i = 1; i <= 2000; i++) console.log('line ' + i)\n"
                  "while (!(await fs.exists('seen'))) await Spell.sleep(20)\nconsole.log('after')",
            "tengo": 'fmt := import("fmt")\nfor i := 1; i <= 2000; i++ { fmt.println("line ", i) }\n'
                     'for !fs.exists("seen") { Spell.sleep(20) }\nfmt.println("after")'}[engine]
    texts = streamed(kc, engine, code, answer_on="line 2000\n")
    text = "".join(texts)
    assert text.count("line ") == 2000 and text.endswith("after\n")  # every line came before the cell ended
    assert len(texts) < 50  # batched by ipykernel's stream, not one message per line


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_a_print_before_a_busy_loop_shows_while_the_loop_runs(kc, engine):
    code = {"lua": "print('start')\nwhile not fs.exists('seen') do end\nreturn 'end'",
            "js": "console.log('start')\nwhile (!(await fs.exists('seen'))) {}\n'end'",
            "tengo": 'fmt := import("fmt")\nfmt.println("start")\nfor !fs.exists("seen") {}\n"end"'}[engine]
    assert streamed(kc, engine, code, answer_on="start") == ["start\n"]  # the loop held the engine, not the stream
