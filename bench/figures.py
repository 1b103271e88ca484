"""A figure: one measured value, its baseline from the same run, and the target it is held to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .measure import Stat

KINDS = ("value", "ratio", "overhead")  # what a target limits: the value, value/baseline, value − baseline


@dataclass(frozen=True)
class Target:
    limit: float
    on: str = "value"

    def __post_init__(self) -> None:
        if self.on not in KINDS:
            raise ValueError(f"a target limits one of {KINDS}, not {self.on!r}")

    def text(self, unit: str) -> str:
        if self.on == "ratio" or unit == "×":
            return f"≤ {self.limit:g}×"
        return f"≤ {self.limit:g} {unit}" + (" over the baseline" if self.on == "overhead" else "")


@dataclass
class Figure:
    name: str
    unit: str
    value: Stat | None  # None: a row that only carries a note (skipped, failed)
    baseline: Stat | None = None
    baseline_name: str = ""
    target: Target | None = None
    note: str = ""
    group: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.baseline is None or not self.baseline.median:
            return None
        return self.value.median / self.baseline.median

    @property
    def overhead(self) -> float | None:
        if self.value is None or self.baseline is None:
            return None
        return self.value.median - self.baseline.median

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None when there is no target (a figure reported for reference)."""
        if self.target is None or self.value is None:
            return None
        measured = {"value": self.value.median, "ratio": self.ratio, "overhead": self.overhead}[self.target.on]
        return measured is not None and measured <= self.target.limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "name": self.name, "unit": self.unit,
            "value": None if self.value is None else self.value.to_dict(),
            "baseline": None if self.baseline is None else {"name": self.baseline_name, **self.baseline.to_dict()},
            "ratio": self.ratio,
            "target": None if self.target is None else {"limit": self.target.limit, "on": self.target.on,
                                                        "text": self.target.text(self.unit)},
            "met": self.met, "note": self.note,
        }


def note(name: str, text: str) -> Figure:
    """A row with no number: a group that was skipped or failed, and why."""
    return Figure(name, "", None, note=text)
