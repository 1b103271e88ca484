"""Artifacts: named, versioned files and blobs that agents and spells produce.

Each `store` under a name adds a version; old versions stay readable until the
name is deleted. Content is text or bytes; metadata is a map of plain values.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError
from .context import current_author
from .events import EventBus


@dataclass(frozen=True)
class ArtifactVersion:
    name: str
    version: int
    content: str | bytes
    meta: dict[str, Any]
    author: dict[str, str]
    time: float

    @property
    def size(self) -> int:
        return len(self.content.encode("utf-8") if isinstance(self.content, str) else self.content)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "size": self.size, "meta": dict(self.meta),
                "author": dict(self.author), "time": self.time}


class ArtifactStore:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._versions: dict[str, list[ArtifactVersion]] = {}
        self._lock = threading.Lock()

    def store(self, name: str, content: Any, meta: dict[str, Any] | None = None) -> int:
        if not isinstance(name, str) or not name:
            raise ApiError("Artifact.store(name, content, meta?): name must be a non-empty string")
        if not isinstance(content, (str, bytes, bytearray)):
            raise ApiError(f"Artifact.store: content must be text or bytes, not {type(content).__name__} "
                           "(encode other values with json.encode)")
        meta = {} if meta in (None, []) else meta
        if not isinstance(meta, dict):
            raise ApiError("Artifact.store: meta must be a map")
        try:
            json.dumps(meta)
        except (TypeError, ValueError) as exc:
            raise ApiError(f"Artifact.store: meta must hold plain values only ({exc})") from None
        content = bytes(content) if isinstance(content, bytearray) else content
        with self._lock:
            versions = self._versions.setdefault(name, [])
            item = ArtifactVersion(name, len(versions) + 1, content, meta, current_author().as_dict(), time.time())
            versions.append(item)
        self.bus.emit("artifact.store", {"name": name, "version": item.version, "size": item.size})
        return item.version

    def get(self, name: str, version: int | None = None) -> str | bytes:
        with self._lock:
            versions = self._versions.get(name)
            if not versions:
                known = ", ".join(sorted(self._versions)) or "none"
                raise ApiError(f"no artifact named {name!r}; artifacts: {known}")
            if version is None:
                return versions[-1].content
            if not isinstance(version, int) or not 1 <= version <= len(versions):
                raise ApiError(f"artifact {name!r} has versions 1 to {len(versions)}, not {version!r}")
            return versions[version - 1].content

    def list(self, filter: Any = None) -> list[dict[str, Any]]:
        """The latest version of each artifact, by name; `filter` is a name glob or {name?, meta?}."""
        pattern, meta = _filter(filter)
        with self._lock:
            latest = [versions[-1] for _, versions in sorted(self._versions.items())]
        return [item.describe() for item in latest
                if fnmatch.fnmatchcase(item.name, pattern) and all(item.meta.get(k) == v for k, v in meta.items())]

    def delete(self, name: str) -> bool:
        with self._lock:
            existed = self._versions.pop(name, None) is not None
        if existed:
            self.bus.emit("artifact.delete", {"name": name})
        return existed


def _filter(value: Any) -> tuple[str, dict[str, Any]]:
    if value in (None, [], {}):
        return "*", {}
    if isinstance(value, str):
        return value, {}
    if isinstance(value, dict) and set(value) <= {"name", "meta"}:
        meta = value.get("meta") or {}
        if isinstance(meta, dict):
            return value.get("name") or "*", meta
    raise ApiError("Artifact.list(filter?): filter is a name glob or a map {name?, meta?}")
