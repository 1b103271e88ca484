"""What every benchmark shares: timing a batch of calls, and saving the figures with the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def save(script: str, results: dict[str, Any]) -> None:
    """`script` is the benchmark's `__file__`; its results go to the same name with `.json`."""
    results = {**results, "machine": machine()}
    text = json.dumps(results, indent=2)
    Path(script).with_suffix(".json").write_text(text + "\n")
    print(text)


def per_call_us(batch: Callable[[int], object], n: int, repeats: int = 5, warmup: int = 10) -> float:
    """Median over `repeats` of the mean microseconds per call, where `batch(n)` makes n calls."""
    if warmup:
        batch(warmup)
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        batch(n)
        samples.append((time.perf_counter() - began) / n * 1e6)
    return statistics.median(samples)
