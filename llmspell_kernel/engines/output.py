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
        sys.stdout.write(text)
        sys.stdout.flush()
