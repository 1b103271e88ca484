"""`jupyter console` against each kernel, typed into a real terminal (tmux): a multi-line function that
is_complete keeps open until it is whole, a run, an interrupted loop, and a run after it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest
from support.guards import GUARD

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("jupyter-console") is None,
                                reason="needs tmux and jupyter-console (.ci/run installs them)")

SCRIPTS = {
    "lua": {"define": ["function twice(x)", "return x * 2", "end"], "call": "twice(21)",
            "loop": "print('loop' .. 'ing') while true do end", "after": "twice(5)"},
    "tengo": {"define": ["twice := func(x) {", "return x * 2", "}"], "call": "twice(21)",
              "loop": "display(\"loop\" + \"ing\"); for {}", "after": "twice(5)"},
    "js": {"define": ["function twice(x) {", "return x * 2", "}"], "call": "twice(21)",
           "loop": "console.log('loop' + 'ing'); while (true) {}", "after": "twice(5)"},
}


class Terminal:
    def __init__(self, command: str, cwd: str) -> None:
        self.name = f"llmspell-{uuid.uuid4().hex[:8]}"
        # a tmux server of its own: the last session's server, still exiting, cannot fail the next one
        self.tmux = ["tmux", "-L", self.name]
        env = {**os.environ, "LLMSPELL_OFFLINE": "1"}
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", "150", "-y", "50", command],
                       check=True, cwd=cwd, env=env)

    def type(self, text: str, enter: bool = True) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)  # -l: no key names
        if enter:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, "Enter"], check=True)

    def key(self, name: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, name], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name, "-S", "-200"], check=True,
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = GUARD) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False)


@pytest.mark.parametrize("engine", ["lua", "tengo", "js"])
def test_console_session(engine, tmp_path):
    script = SCRIPTS[engine]
    term = Terminal(f"jupyter console --kernel llmspell-{engine}", str(tmp_path))
    try:
        term.wait_for("In [1]:")
        first, *rest = script["define"]
        term.type(first)
        for line in rest:
            term.wait_for("...:")  # is_complete said "incomplete": the console asks for more
            term.type(line)
        term.wait_for("In [2]:")  # the whole function ran as one cell
        term.type(script["call"])
        term.wait_for("Out[2]: 42")
        term.type(script["loop"])
        term.wait_for("looping")  # printed by the running cell: the interrupt cannot come before it runs
        term.key("C-c")
        term.wait_for("In [4]:")
        term.type(script["after"])
        term.wait_for("Out[4]: 10")
    finally:
        term.close()
