"""The widgets in a real browser, driven by Debian's chromium (playwright): JupyterLab 4 in its light, dark and
high-contrast themes, and Notebook 7 in light and dark.

Each app and theme gets its own server (127.0.0.1, a random port, a token, a temporary root and Jupyter dirs, the
theme in its settings) and notebook. The test runs a slow workflow with the timeline open and checks that spans
appear while the cell still runs, that a press selects the row pressed whatever redraws happen, the filters (a
new filter starts at the first page; comma globs; error events; an empty result; a hidden selection goes), that
stop() draws the last events, then rolls the state back from the history widget and reads the old value in the
next cell. Screenshots of each widget go to artifacts/browser/ (gitignored, never committed).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: "
                                "install Debian's chromium (`apt-get install -y chromium`, as .ci/run does)")


CELLS = [
    "display(Event.timeline())",
    # an agent, then four steps of 0.8 s: the timeline must show them while this cell still runs
    'local slow = function(x) Spell.sleep(800) return x end\n'
    'local steps = {{name = "ask", step = Agent.create({name = "writer"})}}\n'
    'for _, name in ipairs({"second", "third", "fourth", "fifth"}) do\n'
    '  steps[#steps + 1] = {name = name, step = slow}\n'
    'end\n'
    'return Workflow.sequential({name = "slowflow", steps = steps}):run("go").status',
    # 269 ticks, 4 of them errors, and a failing handler (a spell.error)
    'for i = 1, 269 do Event.emit(i % 70 == 1 and "tick.error" or "tick", {i = i}) end\n'
    'Event.on("boom", function(e) error("bad handler") end)\n'
    'Event.emit("boom", {})',
    'frozen = Event.timeline("last.*")\ndisplay(frozen)',
    'Event.emit("last.one", {})\nfrozen:stop()',  # the event just before stop() must still show
    'State.set("user", {name = "Ada", langs = {"lua"}})\nState.set("color", "red")\nState.set("color", "blue")\n'
    'State.set("user", {name = "Grace", langs = {"lua"}, age = 36})\ndisplay(State.timeline())',
    'return "color is " .. State.get("color")',
]
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark", "contrast": "JupyterLab Dark High Contrast"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": source} for i, source in enumerate(CELLS)]
    path.write_text(json.dumps({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "llmspell-lua", "display_name": "LLMSpell (Lua)", "language": "lua"}},
    }), encoding="utf-8")


def _api(base: str, token: str, path: str, method: str = "GET") -> object:
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else None


class Server:
    """A jupyter-lab or jupyter-notebook server process, started directly (no launcher in between)."""

    def __init__(self, app: str, root: Path, theme: str = "light") -> None:
        self.app, self.root, self.theme = app, root, theme
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        home = root.parent / f"{app}-jupyter"
        settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        # no news or update checks: nothing to reach, and no toast over the cells
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
        (settings / "themes.jupyterlab-settings").write_text(json.dumps({"theme": THEMES[theme]}))
        self.runtime = home / "runtime"  # kernels' connection files: their command lines name it
        env = {**os.environ, "LLMSPELL_OFFLINE": "1", "JUPYTER_CONFIG_DIR": str(home / "config"),
               "JUPYTER_RUNTIME_DIR": str(self.runtime), "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
        command = [str(BIN / f"jupyter-{app}"), "--no-browser", "--allow-root", "--ip=127.0.0.1",
                   f"--port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={root}"]
        self.log = (root.parent / f"{app}-server.log").open("wb")
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self) -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter-{self.app} exited with {self.process.returncode}")
            try:
                _api(self.base, self.token, "/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter-{self.app} did not answer within 60 s")

    def stop(self) -> None:
        """Shut the kernels down, then stop the server process itself and wait until it is gone."""
        try:
            for kernel in _api(self.base, self.token, "/api/kernels") or []:
                _api(self.base, self.token, f"/api/kernels/{kernel['id']}", method="DELETE")
        except OSError:
            pass
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()

    def leftovers(self) -> list[str]:
        """Processes still running from this server's runtime dir (its kernels), read from /proc."""
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(self.runtime) in text:
                found.append(text)
        return found


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(params=[("lab", "light"), ("lab", "dark"), ("lab", "contrast"), ("notebook", "light"), ("notebook", "dark")],
                ids=lambda p: "-".join(p))
def server(request, tmp_path) -> Iterator[Server]:
    root = tmp_path / "root"
    root.mkdir()
    _notebook(root / "widgets.ipynb")
    started = Server(request.param[0], root, request.param[1])
    yield started
    started.stop()
    assert started.process.poll() is not None, "the server process must be gone"
    assert started.leftovers() == [], "its kernels must be gone too"


def _run_cell(page, index: int, tries: int = 1) -> None:
    """Run one cell; retried (the first cell only) while the page has not connected to its kernel yet,
    since a run requested before that is dropped."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    for _ in range(tries):
        _keep_the_lua_kernel(page)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        end = time.monotonic() + (5 if tries > 1 else 60)  # one try: a guard; the first cell retries every 5 s
        while time.monotonic() < end:
            if any(c == "*" or c.isdigit() for c in _prompt(page, index)):
                return
            time.sleep(0.2)
    raise AssertionError(f"cell {index} did not start")


def _keep_the_lua_kernel(page) -> None:
    """A run asked for before the page knew its kernel may open JupyterLab's kernel chooser: answer it
    with the notebook's own kernel (LLMSpell Lua)."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible():
        dialog.locator("select").evaluate(
            "s => { s.value = [...s.options].find(o => o.textContent.includes('Lua')).value;"
            " s.dispatchEvent(new Event('change', {bubbles: true})); }")
        dialog.locator(".jp-mod-accept").click()
        dialog.first.wait_for(state="detached", timeout=60_000)


def _prompt(page, index: int) -> str:
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt").inner_text()


def _done(page, index: int, timeout: float = 60) -> None:
    """Wait until a cell has finished (its prompt shows a number, not `*`)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        prompt = _prompt(page, index)
        if "*" not in prompt and any(c.isdigit() for c in prompt):
            return
        time.sleep(0.2)
    raise AssertionError(f"cell {index} did not finish")


def _press(page, row) -> str:
    """Press (and release) on a row with the mouse, as a user does; returns the id of the row pressed.
    The id is read from the element clicked: a live redraw may replace it first, then the press is tried again."""
    for _ in range(5):
        element = row.element_handle(timeout=60_000)
        row_id = element.get_attribute("data-id")
        try:
            element.click(position={"x": 40, "y": 8}, timeout=2_000)
            return row_id
        except playwright_api.Error:  # detached by a redraw before the press
            continue
    raise AssertionError("the row kept being redrawn under the pointer")


def _shows_detail_of(timeline, row_id: str) -> None:
    """The selected row is the one pressed, and the detail beside the list is that row's."""
    timeline.locator(f'.lls-row.lls-selected[data-id="{row_id}"]').wait_for(timeout=60_000)
    timeline.locator(f'.lls-detail .lls-detail-head[data-id="{row_id}"]').wait_for(timeout=60_000)
    assert timeline.locator(".lls-row.lls-selected").count() == 1


def _rows(timeline) -> list[dict]:
    """The rows shown, read in one go (a live redraw may replace them between two reads)."""
    return timeline.locator(".lls-row").evaluate_all(
        "rows => rows.map(r => ({id: r.dataset.id, kind: r.dataset.kind, status: r.dataset.status, type: r.title}))")


def _wait_rows(page, condition: str) -> None:
    """Wait until the first timeline's rows (as `_rows` reads them) meet a JS condition."""
    page.wait_for_function(f"""() => {{
        const rows = [...document.querySelectorAll('.lls-timeline .lls-rows')[0].querySelectorAll('.lls-row')]
          .map(r => ({{id: r.dataset.id, kind: r.dataset.kind, status: r.dataset.status, type: r.title}}));
        return rows.length > 0 && ({condition})(rows);
    }}""", timeout=60_000)


def _set_filter(timeline, selector: str, value: str) -> None:
    box = timeline.locator(f".lls-bar {selector}")
    if box.evaluate("e => e.tagName") == "SELECT":
        box.select_option(value)
    else:
        box.fill(value)


def _no_overflow(widget) -> bool:
    """Nothing sticks out sideways: the widget fits its output area."""
    return widget.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def test_timeline_and_state_history_in_the_browser(browser, server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = f"{server.app}-{server.theme}"
    shot = lambda what: page.screenshot(path=str(ARTIFACTS / f"{name}-{what}.png"), full_page=True)  # noqa: E731
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    path = "lab/tree" if server.app == "lab" else "notebooks"
    page.goto(f"{server.base}/{path}/widgets.ipynb?token={server.token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    dark = page.locator("body").get_attribute("data-jp-theme-light") == "false"
    assert dark == (server.theme != "light"), "the theme from the settings applies"
    try:
        # the timeline renders
        _run_cell(page, 0, tries=12)
        timeline = page.locator(".lls-timeline").first
        timeline.wait_for(timeout=60_000)  # includes the kernel's start
        assert server.leftovers(), "the kernel should be found by its runtime dir (checked again after the stop)"
        heads = timeline.locator(".lls-head").inner_text()
        assert all(h in heads.upper() for h in ("NAME", "STATUS", "DURATION", "START", "TOKENS"))

        # live: step spans appear while the workflow cell is still running, with a running duration counting up
        _run_cell(page, 1)
        timeline.locator('.lls-row[data-kind="step"]').first.wait_for(timeout=60_000)
        assert "*" in _prompt(page, 1), "the workflow cell should still be running"
        running = timeline.locator('.lls-row[data-kind="workflow"][data-status="running"] .lls-dur')
        first = running.evaluate_all("cells => cells.map(c => c.textContent)")
        time.sleep(0.6)
        later = running.evaluate_all("cells => cells.map(c => c.textContent)")
        if first and later:  # still running: its duration has moved on
            assert later != first
        shot("timeline-live")
        # a press held while the live rows redraw (a step ends every 0.8 s) still selects its row
        agent_id, x, y = timeline.locator('.lls-row[data-kind="agent"]').evaluate(
            "e => { const r = e.getBoundingClientRect(); return [e.dataset.id, r.x + 40, r.y + r.height / 2]; }")
        page.mouse.move(x, y)
        page.mouse.down()
        time.sleep(1.2)
        page.mouse.up()
        _shows_detail_of(timeline, agent_id)
        assert "writer" in timeline.locator(".lls-detail-head").inner_text()
        # presses while the rows redraw: each shows the detail of the row pressed, never a neighbour's
        for kind in ("llm", "agent", "llm"):
            _shows_detail_of(timeline, _press(page, timeline.locator(f'.lls-row[data-kind="{kind}"]')))
        timeline.locator('.lls-row[data-kind="workflow"][data-status="ok"]').wait_for(timeout=60_000)
        assert timeline.locator('.lls-row[data-kind="step"][data-status="ok"]').count() == 5

        # the model call's detail: prompt and reply, the reply open, the rest collapsed
        llm_id = _press(page, timeline.locator('.lls-row[data-kind="llm"]'))
        _shows_detail_of(timeline, llm_id)
        head = timeline.locator(".lls-detail .lls-detail-head")
        assert "mock/echo" in head.inner_text() and "llm.request → llm.response" in head.inner_text()
        sections = timeline.locator(".lls-detail details")
        titles = [sections.nth(i).locator("summary").inner_text() for i in range(sections.count())]
        assert "Prompt" in titles and "Reply" in titles and "Usage" in titles
        reply = sections.nth(titles.index("Reply"))
        assert reply.get_attribute("open") is not None and reply.locator("pre").inner_text() == "go"
        assert sections.nth(titles.index("Prompt")).get_attribute("open") is None
        assert _no_overflow(timeline)
        page.mouse.move(0, 0)  # no hover tint in the picture
        timeline.screenshot(path=str(ARTIFACTS / f"{name}-timeline.png"))
        _shows_detail_of(timeline, _press(page, timeline.locator('.lls-row[data-kind="step"]').nth(1)))
        assert "second" in head.inner_text() and "step.start → step.complete" in head.inner_text()

        # 269 ticks, 4 errors, a failing handler: errors counted, and a new filter starts at the first page
        _run_cell(page, 2)
        _done(page, 2)
        timeline.locator(".lls-totals", has_text="5 errors").wait_for(timeout=60_000)
        timeline.locator(".lls-follow input").uncheck()
        last_page = timeline.locator(".lls-range").inner_text()
        timeline.locator(".lls-earlier").click()
        page.wait_for_function("t => document.querySelector('.lls-timeline .lls-range').textContent !== t", arg=last_page)
        assert not timeline.locator(".lls-range").inner_text().startswith("rows 1–")  # a page in the middle
        _shows_detail_of(timeline, _press(page, timeline.locator('.lls-row[title="tick"]').nth(3)))
        _set_filter(timeline, ".lls-status-filter", "error")
        _wait_rows(page, "rows => rows.every(r => r.status === 'error' || r.kind === 'spell' || r.type === 'boom')")
        types = [r["type"] for r in _rows(timeline)]
        assert types.count("tick.error") == 4 and "spell.error" in types
        assert timeline.locator(".lls-range").inner_text() == f"rows 1–{len(types)} of {len(types)}"
        timeline.locator(".lls-detail .lls-placeholder", has_text="Select a row").wait_for()  # its row is hidden
        _set_filter(timeline, ".lls-status-filter", "")
        _set_filter(timeline, ".lls-type", "workflow.*,step.*")  # comma globs
        _wait_rows(page, "rows => rows.every(r => ['spell', 'workflow', 'step'].includes(r.kind))")
        assert {r["kind"] for r in _rows(timeline)} == {"spell", "workflow", "step"}
        _set_filter(timeline, ".lls-type", "nothing.*")
        timeline.locator(".lls-empty", has_text="No rows match").wait_for(timeout=60_000)
        _set_filter(timeline, ".lls-type", "")
        _wait_rows(page, "rows => rows.some(r => r.kind === 'llm')")  # every row again

        # stop() draws the last events first
        _run_cell(page, 3)
        frozen = page.locator(".lls-timeline").nth(1)
        frozen.wait_for(timeout=60_000)
        _run_cell(page, 4)
        _done(page, 4)
        frozen.locator('.lls-row[title="last.one"]').wait_for(timeout=60_000)

        # the state history: nested diffs, the current version, roll back behind a confirmation
        _run_cell(page, 5)
        history = page.locator(".lls-history")
        history.locator('.lls-version[data-version="4"].lls-current').wait_for(timeout=60_000)
        history.locator('.lls-version[data-version="4"]').click()
        diff = history.locator("table.lls-diff")
        diff.wait_for(timeout=60_000)
        assert "Changes since v3" in history.locator(".lls-pane").inner_text()
        assert history.locator('tr.lls-changed[data-path="user.name"]').count() == 1
        assert history.locator('tr.lls-added[data-path="user.age"]').count() == 1
        assert history.locator(".lls-rollback").count() == 0, "no rollback to the current version"
        page.mouse.move(0, 0)  # no hover tint in the picture
        history.screenshot(path=str(ARTIFACTS / f"{name}-history-diff.png"))
        history.locator('.lls-version[data-version="3"]').click()
        history.locator('tr.lls-changed[data-path="color"]').wait_for(timeout=60_000)
        assert '"red"' in diff.inner_text() and '"blue"' in diff.inner_text()
        history.locator('.lls-version[data-version="2"]').click()
        history.locator(".lls-pane-head", has_text="v2").wait_for(timeout=60_000)
        history.locator(".lls-rollback").click()
        confirm = history.locator(".lls-confirm")
        assert confirm.is_visible() and "v2" in confirm.inner_text()
        assert history.locator('.lls-version[data-version="5"]').count() == 0  # nothing happens before confirming
        shot("history-confirm")
        assert _no_overflow(history)
        page.mouse.move(0, 0)  # no hover tint in the picture
        history.screenshot(path=str(ARTIFACTS / f"{name}-history.png"))
        history.locator(".lls-confirm-yes").click()
        newest = history.locator('.lls-version[data-version="5"]')
        newest.wait_for(timeout=60_000)
        assert "rollback to v2" in newest.inner_text() and "lls-current" in newest.get_attribute("class")
        history.locator(".lls-message", has_text="rolled back to v2").wait_for(timeout=60_000)
        history.locator('.lls-version[data-version="1"]').click()  # the next action clears the message
        history.locator(".lls-pane-head", has_text="v1").wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelector('.lls-history .lls-message').textContent === ''")

        # the next cell reads the old value
        _run_cell(page, 6)
        output = page.locator(".jp-Notebook .jp-Cell").nth(6).locator(".jp-OutputArea-output")
        output.wait_for(timeout=60_000)
        assert output.inner_text().strip() == "color is red"

        if server.app == "notebook":  # a narrow notebook: the detail goes under the list and nothing sticks out
            page.set_viewport_size({"width": 620, "height": 1000})
            timeline.scroll_into_view_if_needed()
            page.wait_for_function("() => document.querySelector('.lls-timeline').clientWidth <= 600")
            assert _no_overflow(timeline) and _no_overflow(history)
            detail, rows_box = timeline.locator(".lls-detail").bounding_box(), timeline.locator(".lls-rows").bounding_box()
            assert detail["y"] > rows_box["y"] + rows_box["height"]
            timeline.screenshot(path=str(ARTIFACTS / f"{name}-timeline-narrow.png"))
    except Exception:
        shot("failure")
        raise
    finally:
        page.close()
