"""The work of converting one script value to Python, bounded by the chunk's memory and time limits.

A script can make a value whose Python copy is far larger than the value itself: a table that holds
the same sub-table twice, 60 levels deep (`t = {t, t}`), is 2^60 nodes once copied, and a list that
holds one long string a million times is a million copies (lupa decodes each one). A depth limit
does not see either. So a conversion charges each item it makes (and the length of each string) to a
`CrossingMeter`: past the engine's memory limit it is a MemoryLimitError, and every few thousand
items it asks the engine's budget, so the time limit and the stop button end it too.
"""

from __future__ import annotations

from typing import Any

from ..errors import MemoryLimitError

ITEM_BYTES = 48  # about what one item takes in Python: a pointer, a small object, its share of spare room
CHECK_EVERY = 4096  # items between two checks of the time limit and the stop button


JSON_UNCOUNTED = 1 << 16  # a JSON text shorter than this parses into a few MB at most
CONTAINER_BYTES = 64  # a small list or dict in Python


def check_json(engine: Any, text: str) -> None:
    """A JavaScript value's JSON text, before it is parsed: refused when its Python objects would pass the limit.

    JSON.stringify writes a table held many times out each time, within QuickJS's memory limit, but the
    objects parsed from that text can take 20 times its length (`[[1,1],[1,1]]`). Each `[` and `{` (counted
    in C, strings included: an upper bound) becomes a list or dict.
    """
    if len(text) >= JSON_UNCOUNTED and engine.limits.max_memory:
        CrossingMeter(engine).charge(len(text) + CONTAINER_BYTES * (text.count("[") + text.count("{")))


class CrossingMeter:
    """Counts what one conversion (a result, an API call's arguments) makes, against the engine's limits."""

    __slots__ = ("engine", "left", "limit", "ticks")

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.limit = engine.limits.max_memory or 0
        self.left = self.limit or float("inf")
        self.ticks = CHECK_EVERY

    def charge(self, size: int) -> None:
        """`size` more bytes are being made in Python: a MemoryLimitError past the memory limit."""
        self.left -= size
        if self.left < 0:
            raise MemoryLimitError(
                f"a {self.engine.display_name} value that would take more than the memory limit "
                f"({self.limit // (1024 * 1024)} MB) in Python cannot cross; a table or string used many times "
                "is copied each time", engine=self.engine.name)

    def item(self, size: int = 0) -> None:
        """One item (a value in a list or map) is being made; a string's length is its `size`."""
        self.charge(ITEM_BYTES + size)
        self.ticks -= 1
        if not self.ticks:
            self.ticks = CHECK_EVERY
            error = self.engine.budget_error()
            if error is not None:
                raise error
