"""A session in a child process, for tests of chunks that might never stop.

The child runs each chunk it reads on stdin (one JSON line: engine, code, timeout, chunk) in one Session
and answers with one JSON line: the value, or the error's class and message. When a chunk does not
stop (the bug such a test looks for: a limit that no longer fires), the parent kills the child after
a generous guard and the test fails, instead of hanging the test run.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any


class Worker:
    """The parent's side: `run` sends a chunk and waits for its answer at most `guard` seconds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc = subprocess.Popen([sys.executable, __file__, str(root)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def run(self, engine: str, code: str, timeout: float | None = None, guard: float = 60.0,
            chunk: str = "chunk") -> dict[str, Any]:
        self.send(engine, code, timeout, chunk)
        return self.answer(guard)

    def send(self, engine: str, code: str, timeout: float | None = None, chunk: str = "chunk") -> None:
        if self.proc.poll() is not None:  # a guard killed it: a fresh session for the next test
            self.__init__(self.root)
        self.proc.stdin.write(json.dumps({"engine": engine, "code": code, "timeout": timeout, "chunk": chunk}) + "\n")
        self.proc.stdin.flush()

    def answer(self, guard: float = 60.0) -> dict[str, Any]:
        ready, _, _ = select.select([self.proc.stdout], [], [], guard)
        if not ready:
            self.close()
            raise AssertionError(f"the chunk did not stop within {guard:g} s")
        return json.loads(self.proc.stdout.readline())

    def interrupt(self) -> None:
        """SIGINT, as Ctrl-C or the kernel's stop button sends it."""
        self.proc.send_signal(signal.SIGINT)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def main(root: str) -> None:
    from llmspell_kernel.errors import LimitError, SpellError
    from llmspell_kernel.runtime.session import Session

    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what spells print goes to stderr, not into the answers
    sys.stdout = sys.stderr
    with Session(offline=True, root=root) as session:
        for line in sys.stdin:
            ask = json.loads(line)
            try:
                value = session.run(ask["code"], ask["engine"], chunk=ask["chunk"], timeout=ask["timeout"])
                answer = {"ok": True, "value": value}
            except SpellError as exc:
                answer = {"ok": False, "error": type(exc).__name__, "limit": isinstance(exc, LimitError),
                          "message": str(exc)}
            answers.write(json.dumps(answer, default=repr) + "\n")
            answers.flush()


if __name__ == "__main__":
    main(sys.argv[1])
