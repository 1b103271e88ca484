"""The engine registry: find an engine by name, alias, file extension or shebang.

Built-in engines are imported only when first used (lupa and QuickJS load on
demand). Third-party engines register through the `llmspell.engines` entry-point
group, with a `ScriptEngine` subclass as the entry point's object.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from ..errors import ApiError
from .base import ScriptEngine, ScriptFunction

__all__ = ["BUILTIN", "ScriptEngine", "ScriptFunction", "engine_class", "engine_names", "find_engine"]

# name -> "module:Class"; aliases, extensions and shebangs live on the classes
BUILTIN = {
    "lua": "llmspell_kernel.engines.lua:LuaEngine",
    "tengo": "llmspell_kernel.engines.tengo_engine:TengoEngine",
    "js": "llmspell_kernel.engines.javascript:JavaScriptEngine",
}
_EXTENSIONS = {".lua": "lua", ".js": "js", ".mjs": "js", ".cjs": "js", ".tengo": "tengo"}
_ALIASES = {"lua": "lua", "lua54": "lua", "js": "js", "javascript": "js", "node": "js", "tengo": "tengo"}
_SHEBANG = re.compile(r"^#!\s*(?:/usr/bin/env\s+(?:-S\s+)?)?(?:\S*/)?([\w.+-]+)")
_loaded: dict[str, type[ScriptEngine]] = {}


def _plugins() -> dict[str, str]:
    """The plugin engines. Scanning the installed distributions costs more than a trivial spell: only
    for a name, extension or listing that the built-ins do not answer."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group="llmspell.engines")}


def engine_names() -> list[str]:
    """Every engine that can be loaded, built-in and plugin."""
    return sorted(set(BUILTIN) | set(_plugins()))


def engine_class(name: str) -> type[ScriptEngine]:
    """The engine class for a name or alias (`javascript` → js); ApiError if unknown."""
    key = _ALIASES.get(name.lower(), name.lower()) if isinstance(name, str) else name
    if key in _loaded:
        return _loaded[key]
    target = BUILTIN.get(key) or _plugins().get(key)
    if target is None:
        raise ApiError(f"unknown engine {name!r}; available: {', '.join(engine_names())}")
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    _loaded[key] = cls
    return cls


def find_engine(*, name: str | None = None, path: str | Path | None = None, code: str | None = None,
                default: str | None = None) -> str:
    """Choose an engine: by explicit name, else the file extension, else a shebang line."""
    if name:
        return engine_class(name).name
    if path is not None:
        ext = Path(path).suffix.lower()
        if ext in _EXTENSIONS:
            return _EXTENSIONS[ext]
        for plugin in _plugins():
            if ext and ext in engine_class(plugin).file_extensions:
                return plugin
    if code:
        match = _SHEBANG.match(code)
        if match:
            interpreter = re.sub(r"[\d.]+$", "", match.group(1).lower())
            if interpreter in _ALIASES:
                return _ALIASES[interpreter]
    if default:
        return engine_class(default).name
    raise ApiError(f"cannot tell the engine of {str(path) if path else 'this code'}: "
                   "name it (-e lua|js|tengo), or use a .lua/.js/.tengo extension or a shebang")
