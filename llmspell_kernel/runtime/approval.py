"""Tool approval: a person says yes or no before a model's tool call runs.

A tool registered with `approve = true`, or named by an agent's `approve` option (names or globs),
is not run on a model's say-so: the user is asked, with the tool's name and arguments, through the
notebook's input box (the kernel's stdin channel, as `Spell.input`) or the terminal. The answer is
yes, no, or yes for the rest of the session. With no one to ask (no terminal, a frontend without
input) the call is denied, unless the `approved_tools` setting pre-approves it. Every decision is
a `tool.approval` event; a denied call gives the model "denied by the user" as its result.
"""

from __future__ import annotations

import builtins
import json
import sys
import threading
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from .events import EventBus

DENIED = "denied by the user"
YES, NO, ALWAYS = ("y", "yes"), ("n", "no"), ("a", "always")


class NoOneToAsk(Exception):
    """No person can answer: stdin is closed or the frontend does not accept input."""


def read_line(prompt: str) -> str:
    """A line from the user: ipykernel's `input` sends an input_request to the frontend, else the terminal."""
    try:
        return builtins.input(prompt)
    except EOFError:
        raise NoOneToAsk("no input is available (stdin is closed)") from None
    except Exception as exc:
        if type(exc).__name__ == "StdinNotImplementedError":
            raise NoOneToAsk("this frontend does not accept input") from None
        raise


def someone_to_ask() -> bool:
    """A kernel has put its own `input` in place (a cell is running), or stdin is a terminal."""
    if getattr(builtins.input, "__module__", "builtins") != "builtins":
        return True
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # stdin closed
        return False


def matches(name: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


class Approvals:
    """The session's approvals: pre-approved globs (a setting, read live) and the tools approved for it."""

    def __init__(self, bus: EventBus, preapproved: Callable[[], list[str]]) -> None:
        self.bus = bus
        self.preapproved = preapproved
        self.for_session: set[str] = set()
        self._asking = threading.Lock()  # one question at a time, even from parallel agents

    def allow(self, tool: str, args: dict[str, Any], agent: str) -> str | None:
        """None if the call may run, else the tool result the model gets instead."""
        data = {"tool": tool, "arguments": args, "agent": agent}
        if matches(tool, self.preapproved()):
            decision, result = "preapproved", None
        elif tool in self.for_session:
            decision, result = "approved_for_session", None
        else:
            decision, result = self._ask(tool, args, agent)
        if result is not None and decision != "denied":
            data["reason"] = result
        self.bus.emit("tool.approval", {**data, "decision": decision}, source=f"agent:{agent}")
        return result

    def _ask(self, tool: str, args: dict[str, Any], agent: str) -> tuple[str, str | None]:
        unattended = (f"denied: no one could approve tool {tool!r} (no terminal or notebook input); "
                      "pre-approve it with the approved_tools setting")
        if not someone_to_ask():
            sys.stderr.write(f"llmspell: agent {agent!r}: {unattended}\n")
            return "unattended", unattended
        shown = json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)
        prompt = f"Agent {agent!r} wants to run tool {tool!r} with {shown}. Allow? [y]es / [n]o / [a]lways: "
        with self._asking:
            while True:
                try:
                    answer = read_line(prompt).strip().lower()
                except NoOneToAsk as exc:
                    sys.stderr.write(f"llmspell: agent {agent!r}: tool {tool!r} denied: {exc}\n")
                    return "unattended", f"denied: no one could approve tool {tool!r} ({exc})"
                if answer in YES:
                    return "approved", None
                if answer in ALWAYS:
                    self.for_session.add(tool)
                    return "approved_for_session", None
                if answer in NO or answer == "":
                    return "denied", DENIED
                prompt = "Please answer y (yes), n (no) or a (always, for this session): "
