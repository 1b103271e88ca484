"""`fs`: files under the session's sandbox root."""

from __future__ import annotations

from ..errors import ApiError
from ..runtime.sandbox import read_text
from .spec import Namespace, api


class FsApi(Namespace):
    """Files under the session's sandbox root. A path that escapes the root is refused."""

    api_name = "fs"

    def _path(self, path: str):
        return self.session.sandbox.resolve(path)

    @api(example=("fs", "notes/today.md"))
    def read(self, path: str) -> str:
        """The text of a file (UTF-8)."""
        target = self._path(path)
        if not target.is_file():
            raise ApiError(f"fs.read: no file {path!r}")
        return read_text(target, path)

    @api(example=("fs", "notes/today.md", "# Today"))
    def write(self, path: str, content: str) -> int:
        """Write text to a file, creating missing folders inside the root. Returns the bytes written."""
        return self._store(path, content, "w")

    @api(example=("fs", "log.txt", "one more line\n"))
    def append(self, path: str, content: str) -> int:
        """Append text to a file, creating it and its folders if missing. Returns the bytes written."""
        return self._store(path, content, "a")

    def _store(self, path: str, content: str, mode: str) -> int:
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if not isinstance(content, str):
            raise ApiError(f"fs: content must be a string, not {type(content).__name__}")
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target = self._path(path)  # re-check once the folders exist
        with open(target, mode, encoding="utf-8") as handle:
            handle.write(content)
        return len(content.encode("utf-8"))

    @api(example=("fs", "notes/today.md"))
    def exists(self, path: str) -> bool:
        """Whether a file or folder exists."""
        return self._path(path).exists()

    @api(example=("fs", "notes"))
    def list(self, path: str = ".") -> list[str]:
        """The entries of a folder, sorted; folders end with `/`."""
        target = self._path(path)
        if not target.is_dir():
            raise ApiError(f"fs.list: no folder {path!r}")
        return sorted(p.name + ("/" if p.is_dir() else "") for p in target.iterdir())

    @api(example=("fs", "notes/old.md"))
    def remove(self, path: str) -> bool:
        """Remove a file or an empty folder. Returns whether it existed."""
        target = self._path(path)
        if target == self.session.sandbox.root:
            raise ApiError("fs.remove: cannot remove the sandbox root")
        if target.is_dir():
            try:
                target.rmdir()
            except OSError:
                raise ApiError(f"fs.remove: folder {path!r} is not empty") from None
            return True
        if target.exists():
            target.unlink()
            return True
        return False
