"""Script output to the cell's stdout, as it happens, with a cap per chunk."""

from __future__ import annotations

import sys


class OutputLimiter:
    """Writes to the current sys.stdout (the cell's, in a kernel) and stops at `limit` characters."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.written = 0
        self.truncated = False

    def reset(self) -> None:
        self.written = 0
        self.truncated = False

    def write(self, text: str) -> None:
        if self.truncated:
            return
        if self.limit is not None and self.written + len(text) > self.limit:
            text = text[: max(0, self.limit - self.written)]
            self.truncated = True
            text += f"\n[output truncated: more than {self.limit:,} characters; the rest is discarded]\n"
        self.written += len(text)
        out = sys.stdout
        out.write(text)
        if getattr(out, "flush_interval", None) is None:
            # a plain stream (the CLI, a terminal IPython). ipykernel's OutStream sends what it holds on its
            # own timer, so a flood of prints is a few messages a second there, not one per line (10,000 of
            # them overran ZeroMQ's queue on a busy machine, and the last ones, the truncation notice, were lost)
            out.flush()

    def flush(self) -> None:
        """Send what stdout holds: before stderr, so that the two keep their order."""
        sys.stdout.flush()
