"""The widgets in a real browser: JupyterLab 4 and Notebook 7, driven by Debian's chromium through playwright.

Each app gets its own server (127.0.0.1, a random port, a token, a temporary root and Jupyter dirs) and
notebook. The test runs a slow workflow with the timeline open and checks that spans appear while the
cell still runs, opens a span's detail, then rolls the state back from the history widget and reads
the old value in the next cell. Screenshots go to artifacts/browser/ (gitignored, never committed).
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
    'State.set("color", "red")\nState.set("color", "blue")\ndisplay(State.timeline("color"))',
    'return "color is " .. State.get("color")',
]


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

    def __init__(self, app: str, root: Path) -> None:
        self.app, self.root = app, root
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        home = root.parent / f"{app}-jupyter"
        settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        # no news or update checks: nothing to reach, and no toast over the cells
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
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


@pytest.fixture(params=["lab", "notebook"])
def server(request, tmp_path) -> Iterator[Server]:
    root = tmp_path / "root"
    root.mkdir()
    _notebook(root / "widgets.ipynb")
    started = Server(request.param, root)
    yield started
    started.stop()
    assert started.process.poll() is not None, "the server process must be gone"
    assert started.leftovers() == [], "its kernels must be gone too"


def _run_cell(page, index: int, tries: int = 1) -> None:
    """Run one cell; retried (the first cell only) while the page has not connected to its kernel yet,
    since a run requested before that is dropped."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    for _ in range(tries):
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        end = time.monotonic() + (5 if tries > 1 else 60)  # one try: a guard; the first cell retries every 5 s
        while time.monotonic() < end:
            if any(c == "*" or c.isdigit() for c in _prompt(page, index)):
                return
            time.sleep(0.2)
    raise AssertionError(f"cell {index} did not start")


def _prompt(page, index: int) -> str:
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt").inner_text()


def test_timeline_and_state_history_in_the_browser(browser, server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"{server.app}-{name}.png"), full_page=True)  # noqa: E731
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    path = "lab/tree" if server.app == "lab" else "notebooks"
    page.goto(f"{server.base}/{path}/widgets.ipynb?token={server.token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    try:
        # the timeline renders
        _run_cell(page, 0, tries=12)
        timeline = page.locator(".lls-timeline")
        timeline.wait_for(timeout=60_000)  # includes the kernel's start
        assert server.leftovers(), "the kernel should be found by its runtime dir (checked again after the stop)"

        # live: step spans appear while the workflow cell is still running
        _run_cell(page, 1)
        timeline.locator('.lls-row[data-kind="step"]').first.wait_for(timeout=60_000)
        assert timeline.locator('.lls-row[data-kind="workflow"][data-status="running"]').count() == 1
        assert "*" in _prompt(page, 1), "the workflow cell should still be running"
        shot("timeline-live")
        # a press held while the live rows redraw (a step ends every 0.8 s) still selects its row:
        # a click would be lost, since its press and release land on different (redrawn) elements
        box = timeline.locator('.lls-row[data-kind="agent"]').bounding_box()
        page.mouse.move(box["x"] + box["width"] / 4, box["y"] + box["height"] / 2)
        page.mouse.down()
        time.sleep(1.2)
        page.mouse.up()
        timeline.locator(".lls-detail .lls-detail-head", has_text="writer").wait_for(timeout=60_000)
        timeline.locator('.lls-row[data-kind="workflow"][data-status="ok"]').wait_for(timeout=60_000)
        assert timeline.locator('.lls-row[data-kind="step"][data-status="ok"]').count() == 5

        # a click shows the span's detail: the model call's prompt and reply
        timeline.locator('.lls-row[data-kind="llm"]').click()
        head = timeline.locator(".lls-detail .lls-detail-head", has_text="llm.request → llm.response")
        head.wait_for(timeout=60_000)  # the agent's detail shows until the click's detail replaces it
        assert "mock/echo" in head.inner_text()
        sections = timeline.locator(".lls-detail details")
        titles = [sections.nth(i).locator("summary").inner_text() for i in range(sections.count())]
        assert "Prompt" in titles and "Reply" in titles and "Usage" in titles
        assert sections.nth(titles.index("Reply")).locator("pre").inner_text() == "go"
        shot("timeline-detail")
        timeline.locator('.lls-row[data-kind="step"]').nth(1).click()  # another row: the detail follows
        timeline.locator(".lls-detail .lls-detail-head", has_text="second · step.start → step.complete").wait_for()

        # the state history: select the old version, see its diff, roll back behind a confirmation
        _run_cell(page, 2)
        history = page.locator(".lls-history")
        history.locator('.lls-version[data-version="2"]').wait_for(timeout=60_000)
        history.locator('.lls-version[data-version="1"]').click()
        diff = history.locator("table.lls-diff")
        diff.wait_for(timeout=60_000)
        assert "color" in diff.inner_text() and '"red"' in diff.inner_text()
        history.locator(".lls-rollback").click()
        confirm = history.locator(".lls-confirm")
        assert confirm.is_visible() and "v1" in confirm.inner_text()
        assert history.locator('.lls-version[data-version="3"]').count() == 0  # nothing happens before confirming
        shot("history-confirm")
        history.locator(".lls-confirm-yes").click()
        newest = history.locator('.lls-version[data-version="3"]')
        newest.wait_for(timeout=60_000)
        assert "rollback to v1" in newest.inner_text()
        assert "rolled back to v1" in history.locator(".lls-message").inner_text()
        shot("history-rolled-back")

        # the next cell reads the old value
        _run_cell(page, 3)
        output = page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".jp-OutputArea-output")
        output.wait_for(timeout=60_000)
        assert output.inner_text().strip() == "color is red"
        shot("after")
    except Exception:
        shot("failure")
        raise
    finally:
        page.close()
