"""Timing and sampling: every figure is the median of several runs, kept with its min and max."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MIN_RUNS = 5


@dataclass(frozen=True)
class Stat:
    median: float
    min: float
    max: float
    samples: tuple[float, ...]  # every run's value, in the order taken

    @classmethod
    def of(cls, samples: list[float]) -> Stat:
        return cls(statistics.median(samples), min(samples), max(samples), tuple(samples))

    @property
    def runs(self) -> int:
        return len(self.samples)

    def to_dict(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "max": self.max, "runs": self.runs,
                "samples": [float(f"{x:.4g}") for x in self.samples]}


Sampler = Callable[[], float]  # one run, returning the figure's value for that run


def sample(*samplers: Sampler, runs: int = MIN_RUNS, warmup: int = 1) -> list[Stat]:
    """Run each sampler `runs` times, interleaved (a, b, a, b …) so drift in the machine's load hits all
    alike; `warmup` unrecorded rounds first (imports, caches). One Stat per sampler, in order."""
    for _ in range(warmup):
        for fn in samplers:
            fn()
    values: list[list[float]] = [[] for _ in samplers]
    for _ in range(max(runs, MIN_RUNS)):
        for fn, out in zip(samplers, values, strict=True):
            out.append(fn())
    return [Stat.of(v) for v in values]


def elapsed_ms(fn: Callable[[], object]) -> Sampler:
    """A sampler: the milliseconds one call of `fn` takes."""
    def run() -> float:
        began = time.perf_counter()
        fn()
        return (time.perf_counter() - began) * 1e3
    return run


def per_call_us(batch: Callable[[int], object], n: int, scale: float = 1e6) -> Sampler:
    """A sampler: the mean microseconds (seconds × `scale`) per call when `batch(n)` makes n calls."""
    def run() -> float:
        began = time.perf_counter()
        batch(n)
        return (time.perf_counter() - began) / n * scale
    return run


@dataclass(frozen=True)
class Options:
    """How hard a group works: `quick` keeps the runs at the minimum and cuts the iterations."""

    quick: bool = False

    def runs(self, full: int) -> int:
        return MIN_RUNS if self.quick else max(full, MIN_RUNS)

    def n(self, full: int, quick: int | None = None) -> int:
        """An iteration count: `full`, or in quick mode `quick` (default: a hundredth of `full`)."""
        if not self.quick:
            return full
        return max(1, full // 100) if quick is None else quick
