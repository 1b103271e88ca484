"""`Artifact`: versioned files and blobs kept in the session store."""

from __future__ import annotations

from typing import Any

from .spec import Namespace, api


class ArtifactApi(Namespace):
    """Files and blobs that agents and spells produce, versioned by name, with metadata."""

    api_name = "Artifact"

    @api(example=("Artifact", "report.md", "# Tides", {"agent": "writer"}))
    def store(self, name: str, content: str | bytes, meta: dict[str, Any] | None = None) -> int:
        """Store text or bytes under `name`, with a map of metadata. Returns the new version number."""
        return self.session.artifacts.store(name, content, meta)

    @api(example=("Artifact", "report.md"))
    def get(self, name: str, version: int | None = None) -> str | bytes:
        """The content of an artifact: its latest version, or the one asked for."""
        return self.session.artifacts.get(name, version)

    @api(example=("Artifact", {"name": "*.md"}))
    def list(self, filter: Any = None) -> list[dict[str, Any]]:
        """The latest version of each artifact: `[{name, version, size, meta, author, time}]`, by name.

        `filter` is a name glob, or a map with `name` (a glob) and `meta` (values that must match).
        """
        return self.session.artifacts.list(filter)

    @api(example=("Artifact", "report.md"))
    def delete(self, name: str) -> bool:
        """Delete an artifact with all its versions. Returns whether it existed."""
        return self.session.artifacts.delete(name)
