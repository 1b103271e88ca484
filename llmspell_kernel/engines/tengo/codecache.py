"""Compiled Tengo chunks kept on disk between processes, as __pycache__ keeps Python's.

An entry's name hashes everything its code depends on: the source and chunk name, the globals it may
assume, the sandbox settings, this implementation (the size and time of every file of the Tengo package)
and the Python version (code objects are marshalled). An entry whose imported module files changed is
not used (the caller checks their text). Entries are written atomically into a directory only the user
can write, and read only from such a directory; the oldest go when there are more than MAX_ENTRIES.
`LLMSPELL_TENGO_CACHE=0` turns the cache off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

MAX_ENTRIES = 256
_SUFFIX = ".tgc"


def enabled() -> bool:
    return os.environ.get("LLMSPELL_TENGO_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


@cache
def directory() -> Path:
    if "LLMSPELL_TENGO_CACHE_DIR" in os.environ:  # tests and benchmarks use their own
        return Path(os.environ["LLMSPELL_TENGO_CACHE_DIR"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("llmspell")) / "tengo"


@cache
def implementation() -> str:
    """This Tengo implementation's version: every file of the package, by size and modification time."""
    root = Path(__file__).resolve().parent
    stamp = [(str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*.py"))]
    return hashlib.sha256(repr((sys.implementation.cache_tag, stamp)).encode()).hexdigest()


def key(*parts: Any) -> str:
    text = repr((implementation(), parts)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(text).hexdigest()


def load(name: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]] | None:
    """The (units, deps) saved as `name`, or None (absent, unreadable, or in a directory others can write)."""
    if not enabled():
        return None
    folder = directory()
    try:
        if not _private(folder) or not _private(folder / (name + _SUFFIX)):
            return None
        with open(folder / (name + _SUFFIX), "rb") as fh:
            units, deps = pickle.load(fh)
        return [{**unit, "code": marshal.loads(unit["code"])} for unit in units], deps
    except Exception:  # a damaged or foreign entry is a miss, never an error
        return None


def save(name: str, units: list[dict[str, Any]], deps: list[tuple[str, str]]) -> None:
    """Write compiled units (each a map with its `code` object) and the module files they read, atomically.
    A failure to write is silent: the cache only saves time."""
    if not enabled():
        return
    folder = directory()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        frozen = [{**unit, "code": marshal.dumps(unit["code"])} for unit in units]  # code objects do not pickle
        data = pickle.dumps((frozen, deps), protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, folder / (name + _SUFFIX))
        _prune(folder)
    except Exception:
        return


def _private(path: Path) -> bool:
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _prune(folder: Path) -> None:
    entries = list(folder.glob("*" + _SUFFIX))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:len(entries) - MAX_ENTRIES]:
        old.unlink(missing_ok=True)
