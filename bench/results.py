"""What every benchmark does with its figures: add the machine, write `<script>.json` beside it, print them."""

from __future__ import annotations

import json
import os
import platform
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
