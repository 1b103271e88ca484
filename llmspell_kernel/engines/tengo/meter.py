"""The memory meter of Tengo code: values made by operators, builtins and stdlib functions, by size.

Tengo runs as Python, so it cannot count its allocations; instead the places that make large values
report their size here, and the running runtime's check (memory, time, the stop button) is asked once
per BIG bytes made. The runtime installs its check per thread while it runs (`_guard.check`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

BIG = 1 << 20  # a value of this many bytes (8 per array item) asks the running runtime's budget before it is made
SMALL = 1 << 16  # smaller values are not metered; larger ones add up, and each BIG of them asks once
_guard = threading.local()  # .check: the running TengoRuntime's check, per thread; .made: bytes since it asked


def made(size: int) -> None:
    """A value of about `size` bytes (over SMALL) is about to be made: let the budget check memory and time.

    A doubling loop (`s = s + s`) reaches gigabytes in 30 iterations, and a loop that makes a 900 KB
    string each time reaches them in 3,000: both long before the loop's next budget tick (every 10,000
    iterations). A value over BIG asks at once; smaller ones ask once per BIG made. Generated code
    calls the slow path (here) for every operand over SMALL.
    """
    guard = _guard
    if size < BIG:
        total = getattr(guard, "made", 0) + size
        if total < BIG:
            guard.made = total
            return
    guard.made = 0
    check = getattr(guard, "check", None)
    if check is not None:
        check(size)


def metered(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin or stdlib function as scripts call it: the value it returns is charged to `made`.

    Every stdlib function and every builtin but the `is_*` predicates (which return a bool) is registered
    through this one wrapper (`builtins.builtin`, `stdlib.user_fn`), so what Python code makes for a
    script is metered by its size (a string's or bytes' length, 8 bytes per array or map item) as it
    returns, not at the loop's next budget tick.
    A function that could build a value past the limit before it returns asks first: `define`'s size
    arguments (the "n" conversion) and the formatter's widths ask `made` for the size requested.
    """

    def call(*args: Any) -> Any:
        result = fn(*args)
        kind = type(result)
        if kind is str or kind is bytes:
            if len(result) > SMALL:
                made(len(result))
        elif (kind is list or kind is dict) and len(result) > SMALL >> 3:
            made(len(result) << 3)
        return result

    call.__name__ = call.__qualname__ = fn.__name__
    call.__wrapped__ = fn  # type: ignore[attr-defined]
    return call
