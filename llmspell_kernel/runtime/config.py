"""Session configuration: defaults, then the config file, then the environment.

The config file is TOML at `<platformdirs user config dir>/llmspell/config.toml`
(or `LLMSPELL_CONFIG`). Environment variables win over it, and explicit
arguments (CLI flags, magic options, kernel traitlets) win over both.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ApiError


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Config:
    model: str | None = None  # the session's default model (a litellm model string)
    offline: bool = False  # every model goes to the mock provider
    root: str | None = None  # the sandbox root; default: the working directory
    allowed_hosts: list[str] = field(default_factory=list)
    allow_os: bool = False
    timeout: float | None = None  # seconds per chunk
    max_memory_mb: int = 512
    llm_timeout: float = 120.0  # seconds per model call
    llm_retries: int = 3
    llm_breaker_failures: int = 5  # consecutive failed calls that open a provider's circuit (0: never)
    llm_breaker_cooldown: float = 30.0  # seconds an open circuit fails fast
    event_capacity: int = 10_000
    session: str | None = None  # a named, persisted session
    store: str | None = None  # memory, sqlite path, or redis URL
    debug: bool = False  # show Python internals in tracebacks
    mcp: dict[str, Any] = field(default_factory=dict)  # [mcp.servers.NAME]: the MCP servers a session may use
    mcp_timeout: float = 60.0  # seconds per MCP call

    ENV: ClassVar[dict[str, str]] = {
        "model": "LLMSPELL_MODEL", "offline": "LLMSPELL_OFFLINE", "root": "LLMSPELL_ROOT",
        "allowed_hosts": "LLMSPELL_ALLOWED_HOSTS", "timeout": "LLMSPELL_TIMEOUT",
        "max_memory_mb": "LLMSPELL_MAX_MEMORY_MB", "session": "LLMSPELL_SESSION", "store": "LLMSPELL_STORE",
        "debug": "LLMSPELL_DEBUG",
    }

    @classmethod
    def load(cls, **overrides: Any) -> Config:
        config = cls()
        config.update(_read_file())
        config.update({name: os.environ[var] for name, var in cls.ENV.items() if var in os.environ})
        config.update({k: v for k, v in overrides.items() if v is not None})
        return config

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ApiError(f"unknown config setting {name!r}; known: {', '.join(sorted(known))}")
            try:
                setattr(self, name, self._coerce(name, value))
            except ValueError:  # LLMSPELL_TIMEOUT=soon, `%spell config max_memory_mb=x`
                raise ApiError(f"config setting {name!r} takes a number, not {value!r}") from None

    def _coerce(self, name: str, value: Any) -> Any:
        current = getattr(type(self)(), name)
        if not isinstance(value, str):
            return value
        if isinstance(current, bool):
            return _truthy(value)
        if isinstance(current, list):
            return [v.strip() for v in value.split(",") if v.strip()]
        if name in ("timeout", "llm_timeout", "llm_breaker_cooldown", "mcp_timeout"):
            return float(value) if value else None
        if isinstance(current, int):
            return int(value)
        return value or None


def config_path() -> Path:
    if "LLMSPELL_CONFIG" in os.environ:
        return Path(os.environ["LLMSPELL_CONFIG"])
    from platformdirs import user_config_dir

    return Path(user_config_dir("llmspell")) / "config.toml"


def _read_file() -> dict[str, Any]:
    path = config_path()
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):  # imported only when there is a file to read
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ApiError(f"invalid config file {path}: {exc}") from None
