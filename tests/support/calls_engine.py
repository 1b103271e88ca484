"""A minimal third-party engine, as a plugin would ship it: a language of API calls, one per line.

    State.set ["topic", "tides"]
    Agent.create [{"name": "w"}]
    display ["hello"]

Each line is a qualified API function and a JSON array of arguments; the last line's value
is the chunk's value. It binds the same API table the built-in engines bind, by walking it,
and honours the limits contract through `budget_error()` between lines. Registered in the
tests through an entry point of the group `llmspell.engines`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from llmspell_kernel.api import NAMESPACES
from llmspell_kernel.engines import ScriptEngine
from llmspell_kernel.errors import ConversionError, ScriptRuntimeError, SpellError


class CallsEngine(ScriptEngine):
    name = "calls"
    display_name = "API calls"
    file_extensions = (".calls",)
    language_info: ClassVar[dict[str, Any]] = {"name": "calls", "mimetype": "text/plain", "file_extension": ".calls"}

    def initialize(self) -> None:
        api = self.session.api
        self.functions = {}
        for ns in NAMESPACES:
            instance = api.namespaces[ns.api_name]
            for fn in ns.functions().values():
                for alias in (fn.name, *fn.aliases):
                    key = f"{ns.api_name}.{alias}" if ns.api_name else alias
                    self.functions[key] = (fn, instance)
        self.globals: dict[str, Any] = {}

    def version(self) -> str:
        return "1.0"

    def _run_chunk(self, code: str, chunk: str, path: Path | None) -> Any:
        value = None
        for number, line in enumerate(code.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            stop = self.budget_error()
            if stop is not None:
                raise stop
            value = self._line(line.strip(), chunk, number)
        return value

    def _line(self, line: str, chunk: str, number: int) -> Any:
        target, _, rest = line.partition(" ")
        where = {"engine": self.name, "chunk": chunk, "line": number, "source_line": line}
        if target not in self.functions:
            raise ScriptRuntimeError(f"unknown API function {target!r}", **where)
        try:
            args = json.loads(rest) if rest.strip() else []
        except json.JSONDecodeError as exc:
            raise ScriptRuntimeError(f"arguments are not a JSON array: {exc.msg}", **where) from None
        if not isinstance(args, list):
            raise ScriptRuntimeError("arguments must be a JSON array", **where)
        fn, instance = self.functions[target]
        try:
            return fn.func(instance, *args)
        except SpellError as exc:
            raise exc.located(**where) from None
        except TypeError:
            usage = fn.usage_error(tuple(args))
            if usage is None:
                raise
            raise usage.located(**where) from None

    def _call(self, ref: Any, args: tuple) -> Any:
        raise ConversionError("the calls language has no functions")

    def to_native(self, value: Any) -> Any:
        return value

    def from_native(self, value: Any) -> Any:
        return value

    def set_global(self, name: str, value: Any) -> None:
        self.globals[name] = value
