"""The Tengo engine: llmspell's own Tengo (compiled to Python), with the API bound from the table.

The API globals are predeclared variables: each namespace is an immutable map of host
functions, each handle an opaque value whose methods come from its handle type. An API
failure comes back as a Tengo `error` value. An error value that leaves Tengo as a result
(a cell's value, or what a Tengo callback returns to Python) is raised as the SpellError
it stands for, since that is how the other engines and Python report a failure.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from ..api import ALIASES, HANDLES, NAMESPACES, alias_functions
from ..errors import ApiError, MemoryLimitError, SandboxError, SpellError, unexpected
from .base import FAST_MISS, ScriptEngine
from .compile_guard import compiling
from .output import OutputLimiter
from .tengo import TengoError, TengoRuntime
from .tengo.errors import TengoSyntaxError
from .tengo.runtime import OS_REFUSED, function_source, tengo_frames
from .tengo.values import ImmMap, TError
from .tengo_bridge import TengoBridge

try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE = 4096


def _rss() -> int | None:
    """The process's resident memory in bytes (Linux), or None where it cannot be read cheaply."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class TengoEngine(ScriptEngine):
    name = "tengo"
    display_name = "Tengo"
    file_extensions = (".tengo",)
    interpreters = ("tengo",)
    language_info: ClassVar[dict[str, Any]] = {
        "name": "tengo", "version": "2", "mimetype": "text/x-tengo", "file_extension": ".tengo",
        # Tengo reads like Go, and no front end ships a Tengo mode
        "codemirror_mode": "go", "pygments_lexer": "go"}

    def initialize(self) -> None:
        self.output = OutputLimiter(self.limits.max_output)
        self.bridge = TengoBridge(self)
        self._memory_base: int | None = None
        self._memory_pending = False
        sandbox = self.session.sandbox
        self.runtime = TengoRuntime(stdout=self.output.write, import_root=str(sandbox.root),
                                    allow_os=sandbox.allow_os, budget_hook=self._budget)
        self.runtime.size_hook = self._size_check
        self.runtime.time_left = lambda: None if self._deadline is None else self._deadline - time.monotonic()
        self._bind_api()

    def _bind_api(self) -> None:
        """Walk the API table: a namespace is an immutable map of host functions, `""` gives plain globals."""
        api, host = self.session.api, self.bridge.host
        self._valued: dict[str, ImmMap] = {}
        calls: dict[int, Any] = {}  # one host function per API function, shared by its aliases
        for ns in NAMESPACES:
            instance = api.namespaces[ns.api_name]
            functions = {}
            for fn in ns.functions().values():
                call = host(fn.func, (instance,), api_fn=fn)
                fast = getattr(fn, "fast", None)  # a hot read path that can answer alone (State.get)
                if fast is not None:
                    call = self.bridge.with_fast(fast(instance, FAST_MISS), FAST_MISS, call, fn.qualname)
                calls[id(fn)] = call
                functions.update(dict.fromkeys((fn.name, *fn.aliases), call))
            if not ns.api_name:
                for key, call in functions.items():
                    self.runtime.set_global(key, call)
                continue
            bound = ImmMap(functions)  # scripts cannot reassign Agent.create; the engine refreshes values
            if instance.values(self):
                self._valued[ns.api_name] = bound
            self.runtime.set_global(ns.api_name, bound)
        for alias in ALIASES:
            functions = {name: calls[id(fn)] for name, fn in alias_functions(alias).items()}
            self.runtime.set_global(alias.name, ImmMap(functions))
        for handle in HANDLES:  # an opaque class per handle type, its methods from the table
            self.bridge.handle_class(api.handles[handle.wraps])

    def version(self) -> str:
        return f"2 (compiled to Python {sys.version_info[0]}.{sys.version_info[1]})"  # the language of d5/tengo v2

    def global_names(self) -> list[str]:
        return sorted(self.runtime.global_names())

    def global_value(self, name: str) -> Any:
        def read() -> Any:
            py = self.runtime.declared.get(name)
            if py is None:
                raise KeyError(name)
            return self.bridge.from_tengo(self.runtime.ns.get(py))

        return self.gate.run(read)

    def is_complete(self, code: str) -> str:
        """Parse without running: a syntax error at the end of the input means more is to come."""
        try:
            self.runtime.compile(code, "cell", True)
        except TengoSyntaxError as exc:
            return "incomplete" if "found 'EOF'" in exc.message or "not terminated" in exc.message else "invalid"
        except SpellError:  # a compile error such as an unresolved name: the run will report it
            return "complete"
        return "complete"

    # limits: the runtime calls this every few thousand loop iterations and function entries ------
    def _budget(self) -> None:
        try:
            error = self.budget_error()
        except KeyboardInterrupt:
            error = self.note_interrupt()
        if error is None and self._memory_pending:  # the first check of a run sets its base
            self._memory_pending = False
            self._memory_base = _rss()
        elif error is None and self._memory_base is not None and self.limits.max_memory:
            used = _rss()
            if used is not None and used - self._memory_base > self.limits.max_memory:
                error = self._memory_error()
        if error is not None:
            raise error

    def _size_check(self, size: int) -> None:
        """A value of `size` bytes is about to be made: one larger than the memory limit is refused before it exists."""
        if self.limits.max_memory and size > self.limits.max_memory:
            raise self._memory_error()
        self._budget()

    @contextmanager
    def memory_exempt(self) -> Iterator[None]:
        """Leave what a blocking API call allocates (a provider's first import, a model reply) out of the limit."""
        before = _rss() if self._memory_base is not None else None
        try:
            yield
        finally:
            after = _rss() if before is not None else None
            if after is not None and self._memory_base is not None:
                self._memory_base += max(0, after - before)

    def _memory_error(self) -> MemoryLimitError:
        limit = (self.limits.max_memory or 0) // (1024 * 1024)
        return MemoryLimitError(f"the Tengo engine reached its memory limit ({limit} MB)", engine=self.name)

    def _enter(self) -> None:
        """At the outermost entry: the memory the chunk is measured against, and the sandbox's current policy."""
        if self._depth == 1:
            # the base is read at the run's first budget check, not here: a short callback (a tool,
            # a step, a handler) then never pays for reading the process's memory
            self._memory_base = None
            self._memory_pending = bool(self.limits.max_memory)
            self.runtime.allow_os = self.session.sandbox.allow_os

    # running ----------------------------------------------------------------------------------
    def _filename(self, chunk: str, path: Path | None) -> str:
        # a file runs under its real path, so that its imports resolve beside it; errors show it
        # relative to the root again (_display)
        return str(path.resolve()) if path is not None else chunk

    def _display(self, name: str | None) -> str | None:
        if name and os.path.isabs(name):
            try:
                return self.session.sandbox.display(Path(name))
            except ValueError:  # outside the root: keep the name it was given
                return name
        return name

    def _run_chunk(self, code: str, chunk: str, path: Path | None) -> Any:
        for ns_name, bound in self._valued.items():
            for key, value in self.session.api.namespaces[ns_name].values(self).items():
                bound[key] = self.bridge.to_tengo(value)  # ImmMap is immutable to scripts, not to us
        self.output.reset()
        self._enter()
        if code.startswith("#!"):  # a shebang line: a comment of the same length keeps the columns
            code = "//" + code[2:]
        filename = self._filename(chunk, path)
        shown = self._display(filename)
        return self._result(self._run_source(code, filename, shown), shown)

    def _compile_function(self, source: str) -> Any:
        return self._result(self._run_source(source, "stored function", "stored function"), "stored function")

    def _run_source(self, code: str, filename: str, shown: str | None) -> Any:
        """Compile, under the time limit and the stop button (`compile_guard`), then run: `run` finds the
        compiled chunk in the runtime's cache."""
        self._guarded(self._compile, (code, filename), {}, shown)
        return self._guarded(self.runtime.run, (code, filename), {"repl": True, "convert": False}, shown)

    def _compile(self, code: str, filename: str) -> None:
        with compiling(self):
            self.runtime.compile(code, filename, True)

    def function_source(self, ref: Any) -> str:
        found = function_source(ref)
        if found is None:
            raise ApiError("a built-in Tengo function cannot be stored; wrap it in a function of your own")
        source, captured = found
        if captured:
            raise ApiError(f"a Tengo function that captures the local variable(s) {', '.join(captured)} cannot be "
                           "stored: a stored function (a tool, a checkpointed step) may use only its arguments "
                           "and globals")
        return source

    def _call(self, ref: Any, args: tuple) -> Any:
        self._enter()
        value = self._guarded(self.runtime.call, (ref, self.bridge.call_args(ref, args)), {}, None)
        return self._result(value, None)

    def _result(self, value: Any, chunk: str | None) -> Any:
        if type(value) is TError:  # an error value leaving Tengo fails, as it would in Lua or Python
            raise self.bridge.raised(value).located(engine=self.name, chunk=chunk)
        return self.bridge.from_tengo(value)

    def _guarded(self, fn: Any, args: tuple, kwargs: dict, chunk: str | None) -> Any:
        """Run Tengo code; map every failure onto a located SpellError."""
        try:
            return fn(*args, **kwargs)
        except TengoError as exc:
            if exc.message == OS_REFUSED:  # a compile error in Tengo's terms, the sandbox's refusal in ours
                raise SandboxError(f"{OS_REFUSED} (`allow_os = true` in the config allows it)", engine=self.name,
                                   chunk=self._display(exc.chunk), line=exc.line, column=exc.column,
                                   source_line=exc.source_line) from None
            raise self._relocated(exc) from None
        except SpellError as exc:  # a limit, an interrupt, or a failure a host function raised
            frames = tengo_frames(exc.__traceback__)  # the script's line where it stopped, innermost first
            if frames and frames[0].line:
                exc.located(line=frames[0].line, column=frames[0].column)
            raise exc.located(engine=self.name, chunk=chunk) from None
        except KeyboardInterrupt:
            raise self.note_interrupt().located(chunk=chunk) from None
        except MemoryError:
            raise self._memory_error().located(chunk=chunk) from None
        except Exception as exc:  # a bug of ours surfaced through Tengo
            raise unexpected(exc, engine=self.name, chunk=chunk) from exc

    def _relocated(self, exc: TengoError) -> TengoError:
        """Files are compiled under their real path: show them relative to the sandbox root."""
        exc.chunk = self._display(exc.chunk)
        for frame in exc.frames:
            frame.chunk = self._display(frame.chunk) or frame.chunk
        return exc

    # values --------------------------------------------------------------------------------------
    def to_native(self, value: Any) -> Any:
        return self.bridge.to_tengo(value)

    def from_native(self, value: Any) -> Any:
        return self.bridge.from_tengo(value)

    def set_global(self, name: str, value: Any) -> None:
        self.gate.run(lambda: self.runtime.set_global(name, self.bridge.to_tengo(value)))

    def shutdown(self) -> None:
        self.runtime = None
