"""The machine a run was measured on: CPU, cores, load, Python and the versions that matter."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("llmspell-kernel", "lupa", "quickjs", "litellm", "ipykernel", "jupyter_client", "redis")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was (other work skews every figure)."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu(), "cores": os.cpu_count(), "load_average": load_average(),
        "os": platform.platform(), "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": {name: _version(name) for name in PACKAGES},
        "tengo_bin": os.environ.get("TENGO_BIN") or None,
    }
