"""The sandbox policy: one rooted file system, an allow-list of hosts, and limits.

Every path a script names goes through `Sandbox.resolve`, which refuses
absolute paths, `..` and symlinks that leave the root. Every network request
goes through `Sandbox.check_url`.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ApiError, SandboxError

MB = 1024 * 1024


def read_text(path: Path, shown: str | None = None) -> str:
    """A file's text, which must be UTF-8 (a leading BOM stays: the engines skip it); else a clear ApiError."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ApiError(f"{shown or path} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                       "save it as UTF-8") from None


@dataclass
class Limits:
    """Per-chunk limits; `None` means no limit."""

    timeout: float | None = None  # seconds of wall time per chunk
    max_memory: int | None = 512 * MB  # bytes an engine may allocate
    max_output: int = 10 * MB  # characters a chunk may print before output is truncated


@dataclass
class Sandbox:
    root: Path = field(default_factory=Path.cwd)
    allowed_hosts: list[str] = field(default_factory=list)  # host globs, e.g. "api.example.com", "*.internal"
    allow_os: bool = False  # Tengo's os module
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    def resolve(self, path: str, *, relative_to: Path | None = None) -> Path:
        """The real path of `path` inside the root, or a SandboxError."""
        if not isinstance(path, str) or not path:
            raise SandboxError(f"invalid path {path!r}")
        if "\x00" in path:
            raise SandboxError("invalid path: contains a NUL byte")
        if os.path.isabs(path):
            raise SandboxError(f"absolute path {path!r} refused: paths are relative to the sandbox root")
        base = (relative_to or self.root).resolve()
        candidate = (base / path).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            raise SandboxError(f"path {path!r} leaves the sandbox root")
        return candidate

    def display(self, path: Path) -> str:
        """A path as the script sees it: relative to the root."""
        rel = path.relative_to(self.root)
        return "." if str(rel) == "." else rel.as_posix()

    def check_url(self, url: str) -> str:
        """The host of `url` if the sandbox allows it, else a SandboxError that says how to allow it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SandboxError(f"invalid URL {url!r}: only http and https URLs are allowed")
        host = parts.hostname.lower()
        if not any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in self.allowed_hosts):
            raise SandboxError(
                f"network access to host {host!r} is not allowed by the sandbox; "
                f"add it to allowed_hosts (LLMSPELL_ALLOWED_HOSTS={host} or `allowed_hosts` in the config)"
            )
        return host

    def check_endpoint(self, url: str) -> str:
        """A model endpoint (`api_base`) that a script chose: a real call sends the provider's API key from
        the environment there, so it must be a loopback server or a host that `allowed_hosts` allows."""
        parts = urlsplit(url) if isinstance(url, str) else None
        host = (parts.hostname or "").lower() if parts is not None and parts.scheme in ("http", "https") else ""
        if host == "localhost" or _is_loopback(host):
            return host
        return self.check_url(url)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
