"""Session configuration: defaults, then the config file, then the environment.

The config file is TOML at `<platformdirs user config dir>/llmspell/config.toml`
(or `LLMSPELL_CONFIG`). Environment variables win over it, and explicit
arguments (CLI flags, magic options, kernel traitlets) win over both.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from math import inf
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ApiError


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Config:
    model: str | None = None  # the session's default model (a litellm model string)
    api_base: str | None = None  # the server of the default model's provider (a local OpenAI-compatible one)
    api_key_env: str | None = None  # the environment variable whose value is sent to `api_base` as the key
    endpoints: dict[str, Any] = field(default_factory=dict)  # {model or provider: {api_base, api_key_env}}
    offline: bool = False  # every model goes to the mock provider
    root: str | None = None  # the sandbox root; default: the working directory
    allowed_hosts: list[str] = field(default_factory=list)
    allow_os: bool = False
    timeout: float | None = None  # seconds per chunk
    max_memory_mb: int = 512
    llm_timeout: float = 120.0  # seconds per model call
    llm_retries: int = 3  # attempts per model call, in all (not retries on top of a first try)
    llm_max_tokens: int | None = None  # the default max_tokens of a call (None: the provider's own)
    llm_breaker_failures: int = 5  # consecutive failed calls that open a provider's circuit (0: never)
    llm_breaker_cooldown: float = 30.0  # seconds an open circuit fails fast
    llm_record: str | None = None  # a JSON Lines file every real model call is recorded to
    llm_replay: str | None = None  # a recorded file that answers every real model call (no network, no key)
    otel_endpoint: str | None = None  # an OTLP/HTTP collector: traces on (also OTEL_EXPORTER_OTLP_ENDPOINT)
    otel_capture_content: bool = False  # traces carry prompts, replies and tool arguments too
    budget_tokens: int | None = None  # the session's token budget (None: none)
    budget_cost: float | None = None  # the session's cost budget, in US dollars (None: none)
    approved_tools: list[str] = field(default_factory=list)  # tool names or globs run without asking
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
        "debug": "LLMSPELL_DEBUG", "api_base": "LLMSPELL_API_BASE", "api_key_env": "LLMSPELL_API_KEY_ENV",
        "llm_record": "LLMSPELL_LLM_RECORD", "llm_replay": "LLMSPELL_LLM_REPLAY",
        "otel_capture_content": "LLMSPELL_OTEL_CAPTURE_CONTENT",
        "approved_tools": "LLMSPELL_APPROVED_TOOLS",
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
                value = self._coerce(name, value)
            except ValueError:  # LLMSPELL_TIMEOUT=soon, `%spell config max_memory_mb=x`
                raise ApiError(f"config setting {name!r} takes a number, not {value!r}") from None
            if name in _SECONDS and value is not None and not (isinstance(value, (int, float)) and 0 <= value < inf):
                raise ApiError(f"config setting {name!r} takes a number of seconds >= 0, not {value!r}")  # NaN too
            setattr(self, name, value)

    def _coerce(self, name: str, value: Any) -> Any:
        if name == "endpoints":
            return _endpoints(value)
        current = getattr(type(self)(), name)
        if not isinstance(value, str):
            return value
        if isinstance(current, bool):
            return _truthy(value)
        if isinstance(current, list):
            return [v.strip() for v in value.split(",") if v.strip()]
        if name in (*_SECONDS, "budget_cost"):
            return float(value) if value else None
        if name in ("llm_max_tokens", "budget_tokens"):
            return int(value) if value else None
        if isinstance(current, int):
            return int(value)
        return value or None


_SECONDS = ("timeout", "llm_timeout", "llm_breaker_cooldown", "mcp_timeout")  # settings in seconds: finite and >= 0
ENDPOINT_KEYS = ("api_base", "api_key_env")


def _endpoints(value: Any) -> dict[str, dict[str, str]]:
    """`[endpoints."<model or provider>"]` tables of the config file, checked."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ApiError('config setting \'endpoints\' takes tables: [endpoints."<model or provider>"] with '
                       f"{' and '.join(ENDPOINT_KEYS)}")
    for name, table in value.items():
        unknown = set(table) - set(ENDPOINT_KEYS)
        if unknown or not all(isinstance(v, str) for v in table.values()):
            raise ApiError(f"config endpoints.{name}: only {' and '.join(ENDPOINT_KEYS)} (strings) are known, "
                           f"not {', '.join(sorted(map(str, unknown))) or 'those values'}")
    return {str(k): dict(v) for k, v in value.items()}


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
