"""The time axis of a timeline page: idle gaps collapsed, round ticks, a scale that does not jump.

A notebook's cells run minutes apart and last milliseconds, so a plain clock axis would be all gap.
The busy stretches of a page (its spans' intervals, merged) keep their length; a pause longer than
`IDLE` between them shrinks to a short break marked on the axis with its real length. The window
is rounded up to a whole number of ticks, so a running span that grows redraws bars only when it
crosses a tick, not on every batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

IDLE = 1.0  # seconds: a longer pause between busy stretches is collapsed
BREAK = 0.04  # a collapsed pause, as a share of the busy time
TICKS = 5  # about this many ticks across the window
MIN_WINDOW = 0.01  # seconds: the narrowest axis (a page of point events has no length)


def nice_step(span: float) -> float:
    """A round tick step (1, 2 or 5 × 10^k) that cuts `span` into about `TICKS` parts."""
    raw = max(span / TICKS, 1e-4)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def clock(seconds: float) -> str:
    """A duration for a label: `250 ms`, `1.5 s`, `2 min 5 s`."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


@dataclass
class Axis:
    """Maps clock times to fractions of the bar width; `ticks` and `breaks` draw the axis."""

    stretches: list[tuple[float, float, float]]  # (start, end, offset of start on the collapsed scale)
    window: float  # collapsed seconds across the whole width
    breaks: list[dict]
    ticks: list[dict]

    @classmethod
    def of(cls, intervals: list[tuple[float, float]]) -> Axis:
        merged: list[list[float]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1] + IDLE:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        busy = sum(end - start for start, end in merged) or 1e-3
        gap = busy * BREAK
        stretches, breaks, offset = [], [], 0.0
        for i, (start, end) in enumerate(merged):
            if i:
                breaks.append({"at": offset, "width": gap, "label": f"idle {clock(start - merged[i - 1][1])}"})
                offset += gap
            stretches.append((start, end, offset))
            offset += end - start
        step = nice_step(max(offset, MIN_WINDOW))
        window = max(step, math.ceil(offset / step - 1e-9) * step)
        ticks = [{"at": i * step / window, "label": clock(i * step) if i else "0"}
                 for i in range(round(window / step) + 1)]
        for b in breaks:
            b["at"], b["width"] = b["at"] / window, b["width"] / window
        return cls(stretches, window, breaks, ticks)

    def at(self, t: float) -> float:
        """The fraction of the width where clock time `t` falls."""
        for start, end, offset in reversed(self.stretches):
            if t >= start:
                return (offset + min(t, end) - start) / self.window
        return 0.0

    def to_dict(self) -> dict:
        return {"ticks": self.ticks, "breaks": self.breaks}
