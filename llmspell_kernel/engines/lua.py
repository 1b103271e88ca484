"""The Lua engine: real Lua 5.4 through lupa, sandboxed, with the API bound from the table."""

from __future__ import annotations

import gc
import re
from collections import OrderedDict
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from ..api import ALIASES, HANDLES, NAMESPACES, alias_functions
from ..api.spec import ApiFunction
from ..errors import (
    ApiError,
    ConversionError,
    Frame,
    LimitError,
    MemoryLimitError,
    SandboxError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    SpellError,
    unexpected,
)
from ..runtime.render import describe
from ..runtime.sandbox import read_text
from .base import LONE_SURROGATE, ScriptEngine, ScriptFunction
from .crossing import CrossingMeter
from .lua_source import function_candidates
from .output import OutputLimiter

PRELUDE = files(__package__).joinpath("lua_prelude.lua").read_text(encoding="utf-8")
MAX_DEPTH = 100
MAX_CHUNK_TEXTS = 1000  # cells and files whose text is kept, to store the functions they define
_PLAIN = (str, int, float, bool, type(None), bytes)
_SIZED = (str, bytes)
_INT64 = (-(2**63), 2**63 - 1)
_ROOM_CHECK = 64 * 1024  # a string or bytes this long is checked against the memory limit before it crosses
_HEADROOM = 1024 * 1024  # what Lua keeps free below its limit when a value crosses in (at least)
_BUILD_IN_PLACE = 1024  # a list or map longer than this is filled item by item (see `_fill`)
_STACK_OVERFLOWS = frozenset({"stack overflow", "C stack overflow"})
_LOCATION = re.compile(r"^(?P<chunk>[^\n]*?):(?P<line>\d+): (?P<message>.*)$", re.S)
_FRAME = re.compile(r"^\s*(?P<chunk>[^\n]*?):(?P<line>\d+): in (?P<what>.*)$")
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def _deny(obj: Any, name: Any, is_setting: bool) -> Any:
    """lupa's attribute filter: scripts never reach Python attributes."""
    raise AttributeError("Python attributes are not available in the sandbox")


class LuaEngine(ScriptEngine):
    name = "lua"
    display_name = "Lua"
    file_extensions = (".lua",)
    interpreters = ("lua",)
    aliases = ("lua54",)
    language_info: ClassVar[dict[str, Any]] = {
        "name": "lua", "version": "5.4", "mimetype": "text/x-lua", "file_extension": ".lua",
                     "codemirror_mode": "lua", "pygments_lexer": "lua"}

    def initialize(self) -> None:
        from lupa import lua54

        self._lupa = lua54
        self.lua = lua54.LuaRuntime(register_eval=False, register_builtins=False, unpack_returned_tuples=True,
                                    attribute_filter=_deny, max_memory=self.limits.max_memory or None)
        self.output = OutputLimiter(self.limits.max_output)
        self._syntax: Any = None  # a bare runtime for is_complete, made on first use
        self._api_errors: dict[str, SpellError] = {}
        helpers = self.lua.table_from({
            "check": self._check, "write": self._guard(self.output.write), "refuse": self._refuse,
            "module_source": self._guard(self._module_source), "same": lambda a, b: a is b,
            "describe": self._guard(describe),
        })
        binder = self.lua.execute(PRELUDE, helpers, name="=llmspell")
        self._fail = binder.FAIL
        self._handle_of = binder.handle_of
        self._make_handle = binder.make_handle
        self._compile = binder.compile
        self._start = binder.start
        self._protected = binder.run
        self._wrap = binder.wrap
        self._empty_list, self._is_list = binder.empty_list, binder.is_list
        self._function_info, self._same_code = binder.function_info, binder.same_code
        self._chunk_texts: OrderedDict[tuple[str, str], None] = OrderedDict()  # (chunk name, text compiled)
        self._bind_api(binder)

    def _bind_api(self, binder: Any) -> None:
        api = self.session.api
        table = self.lua.table_from
        self._valued: dict[str, Any] = {}
        calls: dict[int, Any] = {}  # one wrapper per API function, shared by its aliases
        for ns in NAMESPACES:
            instance = api.namespaces[ns.api_name]
            functions, fast = {}, {}
            for fn in ns.functions().values():
                call = calls[id(fn)] = self._guard(fn.func, instance, api_fn=fn)
                functions.update(dict.fromkeys((fn.name, *fn.aliases), call))
                if fn.fast is not None:
                    fast.update(dict.fromkeys((fn.name, *fn.aliases), fn.fast(instance, binder.MISS)))
            values = instance.values(self)
            bound = binder.bind_namespace(ns.api_name, table(functions), table({}), table(fast))
            if values:
                self._valued[ns.api_name] = bound
        for alias in ALIASES:
            functions = {name: calls[id(fn)] for name, fn in alias_functions(alias).items()}
            binder.bind_namespace(alias.name, table(functions), table({}))
        for handle in HANDLES:
            instance = api.handles[handle.wraps]
            methods, properties = {}, {}
            for fn in handle.functions().values():
                target = properties if fn.is_property else methods
                target[fn.name] = self._guard(fn.func, instance, api_fn=fn, method=True)
            binder.define_handle(handle.api_name, table(methods), table(properties))

    def version(self) -> str:
        from lupa import lua54

        return f"{lua54.LUA_VERSION[0]}.{lua54.LUA_VERSION[1]} (lupa {__import__('lupa').__version__})"

    def global_names(self) -> list[str]:
        return sorted(str(k) for k in self.lua.globals().keys() if isinstance(k, str))

    def global_value(self, name: str) -> Any:
        def read() -> Any:
            value = self.lua.globals()[name]
            if value is None:
                raise KeyError(name)
            try:
                return self.from_native(value)
            except ConversionError:
                return f"<a Lua {self._lupa.lua_type(value) or 'value'} that cannot be shown>"

        return self.gate.run(read)

    def is_complete(self, code: str) -> str:
        """Compile without running, in a bare runtime: an error "near <eof>" means more is to come."""
        if self._syntax is None:
            from lupa import lua54

            self._syntax = lua54.LuaRuntime(register_eval=False).eval(
                "function(src) local _, e = load('return ' .. src, '=cell') if not e then return nil end "
                "local _, err = load(src, '=cell') return err end")
        error = self._syntax(code)
        if error is None:
            return "complete"
        return "incomplete" if "<eof>" in error else "invalid"

    # calls from Lua into Python --------------------------------------------------
    def _fail_with(self, error: SpellError) -> tuple[Any, str]:
        if len(self._api_errors) > 256:
            self._api_errors.clear()
        self._api_errors[error.message] = error
        return self._fail, error.message

    def _guard(self, func: Any, *receiver: Any, api_fn: ApiFunction | None = None, method: bool = False):
        """A Python callable for Lua: converts arguments and result, turns failures into FAIL, message."""
        from_lua, to_lua, fail = self.from_native, self.to_native, self._fail_with

        def call(*args: Any) -> Any:
            values: list[Any] = []
            try:
                if method:  # (python object, *lua args): lupa hands the object back as itself
                    values = [from_lua(a) for a in args[1:]]
                    return to_lua(func(*receiver, args[0], *values))
                values = [from_lua(a) for a in args]
                return to_lua(func(*receiver, *values))
            except SpellError as exc:
                return fail(exc)
            except KeyboardInterrupt:
                return fail(self.note_interrupt())
            except TypeError as exc:  # the script's mistake when the arguments do not fit; else ours
                usage = api_fn.usage_error(tuple(values)) if api_fn else None
                return fail(usage or unexpected(exc, engine=self.name))

        return call

    def _check(self) -> Any:
        """The count hook's question: should the script stop now?"""
        try:
            error = self.budget_error()
        except KeyboardInterrupt:
            error = self.note_interrupt()
        return None if error is None else self._fail_with(error)

    def _refuse(self, what: str) -> tuple[Any, str]:
        return self._fail_with(SandboxError(
            f"{what} is not available in the sandbox (os offers only time, clock, date and difftime; "
            "use fs.* for files)"))

    def _module_source(self, name: str, importer: str) -> Any:
        sandbox = self.session.sandbox
        if not isinstance(name, str) or not _MODULE_NAME.fullmatch(name):
            raise SandboxError(f"require: invalid module name {name!r}")
        base = sandbox.root
        if importer.startswith("@"):
            base = sandbox.resolve(importer[1:]).parent if not Path(importer[1:]).is_absolute() else base
        rel = name.replace(".", "/")
        for candidate in (f"{rel}.lua", f"{rel}/init.lua"):
            path = sandbox.resolve(candidate, relative_to=base)
            if path.is_file():
                return [sandbox.display(path), read_text(path, sandbox.display(path)).removeprefix("\ufeff")]
        raise ApiError(f"module {name!r} not found: no {rel}.lua or {rel}/init.lua in {sandbox.display(base)}/")

    # running ------------------------------------------------------------------------
    def _chunk_name(self, chunk: str, path: Path | None) -> str:
        if path is None:
            return "=" + chunk
        try:
            return "@" + self.session.sandbox.display(path.resolve())
        except ValueError:  # a file outside the root keeps the name it was given
            return "@" + str(path)

    def _load(self, code: str, name: str) -> Any:
        """Compile a chunk; a cell whose last line is an expression returns its value, as in the REPL."""
        code = code.removeprefix("\ufeff")  # a UTF-8 BOM, as the lua command (and our JS and Tengo) skip it
        if code.startswith("#"):  # a shebang line, as the lua command skips it; line numbers stay
            code = "--" + code
        lines = code.rstrip().split("\n")
        if lines and lines[-1].strip() and not lines[-1].lstrip().startswith(("return", "--", "local ")):
            # parenthesised: one value, and no tail call that would hide the cell's frame
            attempt = "\n".join([*lines[:-1], f"return ({lines[-1]})"])
            fn = self._compile(attempt, name)
            if not isinstance(fn, tuple):
                self._remember(name, attempt)
                return fn
        fn = self._compile(code, name)
        if isinstance(fn, tuple):  # load() gave nil, message
            raise self._error_from(str(fn[1]), code, ScriptSyntaxError)
        self._remember(name, code)
        return fn

    def _remember(self, name: str, text: str) -> None:
        """Keep recent chunks' text: a function defined in one can then be stored by its source.
        A name may be reused (`chunk`), so each text is kept, not only the last of its name."""
        self._chunk_texts[name, text] = None
        self._chunk_texts.move_to_end((name, text))
        if len(self._chunk_texts) > MAX_CHUNK_TEXTS:
            self._chunk_texts.popitem(last=False)

    def function_source(self, ref: Any) -> str:
        return self.gate.run(self._function_source, ref)

    def _compile_function(self, source: str) -> Any:
        compiled = self._compile("return " + source, "=stored")
        if isinstance(compiled, tuple):
            raise self._error_from(str(compiled[1]), source, ScriptSyntaxError)
        return self._invoke(compiled, (), source)

    def _function_source(self, ref: Any) -> str:
        what, chunk, first, last, captured = self._function_info(ref)
        if what == "C" or chunk == "=llmspell":  # the prelude defines print, require, ...
            raise ApiError("a built-in Lua function cannot be stored; wrap it in a function of your own")
        if captured:
            raise ApiError(f"a Lua function that captures the local variable(s) {captured} cannot be stored: "
                           "a stored function (a tool, a checkpointed step) may use only its arguments and globals")
        texts = [text for name, text in reversed(self._chunk_texts) if name == chunk]
        if not texts and chunk.startswith("@"):  # a spell file or a module: read it again
            texts = [read_text(self.session.sandbox.resolve(chunk[1:]))]
        for text in texts:
            for candidate in function_candidates(text, first, last):
                # on the original's lines: a dump, even a stripped one, keeps the lines a function spans
                compiled = self._compile("\n" * (first - 1) + "return " + candidate, "=stored")
                if not isinstance(compiled, tuple) and self._same_code(self._protected(compiled)[1], ref):
                    return candidate
        raise ApiError(f"the source of this Lua function (defined at {chunk.lstrip('=@')}:{first}) "
                       "is no longer known, so it cannot be stored")

    def _run_chunk(self, code: str, chunk: str, path: Path | None) -> Any:
        for ns_name, bound in self._valued.items():
            for key, value in self.session.api.namespaces[ns_name].values(self).items():
                bound[key] = self.to_native(value)
        self.output.reset()
        name = self._chunk_name(chunk, path)
        fn = self._load(code, name)
        self._start()
        try:
            return self._invoke(fn, (), code)
        except SpellError as exc:  # a limit that Lua reports without a position still names the cell
            raise exc.located(chunk=name.lstrip("=@")) from None

    def _call(self, ref: Any, args: tuple) -> Any:
        if self._depth == 1:
            self._start()
        return self._invoke(ref, tuple(self.to_native(a) for a in args), None)

    def _invoke(self, fn: Any, args: tuple, code: str | None) -> Any:
        try:
            result = self._protected(fn, *args)
            if isinstance(result, tuple) and result[0] is False:
                self._raise_failure(result[1] if len(result) > 1 else None, code)
        except self._lupa.LuaMemoryError:
            limit = self.limits.max_memory or 0
            raise MemoryLimitError(f"the Lua engine reached its memory limit ({limit // (1024 * 1024)} MB)",
                                   engine=self.name) from None
        except self._lupa.LuaError as exc:
            raise self._error_from(str(exc), code, ScriptRuntimeError) from None
        except KeyboardInterrupt:  # the whole run stops, not only this call
            raise self.note_interrupt() from None
        except SpellError as exc:
            raise exc.located(engine=self.name) from None
        except UnicodeDecodeError:  # lupa decodes every string that crosses as UTF-8
            raise ConversionError("a Lua string that is not valid UTF-8 cannot cross to Python; "
                                  "send binary data as base64 or hex text", engine=self.name) from None
        except UnicodeEncodeError:  # lupa encodes every string that enters Lua as UTF-8
            raise ConversionError("a string with a lone surrogate is not valid UTF-8 and cannot cross into Lua",
                                  engine=self.name) from None
        except Exception as exc:  # a bug of ours surfaced through Lua
            raise unexpected(exc, engine=self.name) from exc
        values = [self.from_native(v) for v in result[1:]] if isinstance(result, tuple) else []
        if not values:
            return None
        return values[0] if len(values) == 1 else values

    def _raise_failure(self, error: Any, code: str | None) -> None:
        """Turn what xpcall caught into the right exception."""
        if isinstance(error, BaseException):
            raise error  # a Python exception raised inside a callback: mapped by the caller
        text = error if isinstance(error, str) else str(self.from_native(error) if error is not None else "nil")
        if text == "not enough memory":
            raise self._lupa.LuaMemoryError(text)
        raise self._lupa.LuaError(text)

    def _error_from(self, text: str, code: str | None, default: type[SpellError]) -> SpellError:
        head, _, trace = text.partition("\nstack traceback:\n")
        match = _LOCATION.match(head)
        chunk, line, message = (match["chunk"], int(match["line"]), match["message"]) if match else (None, None, head)
        while match:  # errors re-raised through coroutine.wrap carry one prefix per hop: keep the innermost
            match = _LOCATION.match(message)
            if match:
                chunk, line, message = match["chunk"], int(match["line"]), match["message"]
        known = self._api_errors.get(message)
        if known is not None:
            error = type(known)(known.message)
        elif message in _STACK_OVERFLOWS:  # Lua's stack or C stack ran out: a limit, as in JS and in Python
            error = LimitError(message)
        else:
            error = default(message)
        frames = []
        for raw in trace.splitlines():
            frame = _FRAME.match(raw)
            if frame and frame["chunk"] not in ("[C]", "llmspell"):
                frames.append(Frame(frame["chunk"], int(frame["line"]), None, frame["what"]))
        source_line = None
        if code is not None and line is not None:
            lines = code.split("\n")
            source_line = lines[line - 1] if 0 < line <= len(lines) else None
        return error.located(engine=self.name, chunk=chunk, line=line, frames=frames, source_line=source_line)

    # values ----------------------------------------------------------------------------
    def to_native(self, value: Any) -> Any:
        kind = type(value)
        if kind is int:
            if not _INT64[0] <= value <= _INT64[1]:
                raise ConversionError(f"the integer {value} does not fit Lua's 64-bit integers")
            return value
        if kind is str:
            if len(value) > _ROOM_CHECK:
                self._room(len(value))
            return _utf8(value)
        if kind is bytes and len(value) > _ROOM_CHECK:
            self._room(len(value))
        if kind in _PLAIN:
            return value
        if kind is dict:
            self._room(64 + 96 * len(value))  # the hash part, and its old copy while it grows
            if len(value) > _BUILD_IN_PLACE:
                return self._fill(self.lua.table(), value.items(), keyed=True)
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ConversionError(f"a map with a {type(key).__name__} key cannot cross into Lua")
                out[_utf8(key)] = self.to_native(item)
            return self.lua.table_from(out)
        if kind is list or kind is tuple:
            self._room(64 + 48 * len(value))  # the array part, and its old copy while it grows
            if len(value) > _BUILD_IN_PLACE:
                return self._fill(self.lua.table(), enumerate(value, 1), keyed=False)
            return self.lua.table_from([self.to_native(v) for v in value]) if value else self._empty_list()
        if kind is ScriptFunction and value.engine is self:
            return value.ref
        handle = self.session.api.handle_type(value)
        if handle is not None:
            return self._make_handle(value, handle.api_name)
        if callable(value):
            return self._wrap(self._guard(value))
        raise ConversionError(f"a Python {kind.__name__} cannot cross into Lua")

    def _fill(self, table: Any, items: Any, keyed: bool) -> Any:
        """Set a large table's items one by one: each converted child is let go at once.

        Holding them all (as `table_from` needs) keeps one registry reference each, and the registry's
        growth past the memory limit aborts the process (lupa: "PANIC: unprotected error").
        """
        try:
            for key, item in items:
                if keyed:
                    if not isinstance(key, str):
                        raise ConversionError(f"a map with a {type(key).__name__} key cannot cross into Lua")
                    key = _utf8(key)
                table[key] = self.to_native(item)
        except BaseException:
            table = None  # the traceback keeps this frame: let the half-built table go now
            raise
        return table

    def _room(self, need: int) -> None:
        """Refuse a value that would take Lua past its memory limit, before it crosses.

        lupa aborts the whole process ("PANIC: unprotected error") when pushing a value fails for memory,
        and near the limit every allocation runs a full collection; so a large value that cannot fit,
        or a table built too close to the limit, is a MemoryLimitError here. The time limit is checked too:
        converting a huge tool result must not outlive the chunk's budget.
        """
        error = self.budget_error()
        if error is not None:
            raise error
        limit = self.lua.get_max_memory()
        if not limit:  # None: no memory limit
            return
        headroom = max(_HEADROOM, limit // 16)
        if self.lua.get_memory_used() + need + headroom <= limit:
            return
        gc.collect()  # Python objects that still hold Lua tables (a failed conversion's frames); the objects
        # older than the chunk are frozen (base._OlderObjectsFrozen), so this walks only what the chunk made
        try:
            self.lua.execute("collectgarbage('collect')")  # garbage counts until it is collected
        except self._lupa.LuaError:
            pass
        if self.lua.get_memory_used() + need + headroom > limit:
            raise MemoryLimitError(f"the Lua engine reached its memory limit ({limit // (1024 * 1024)} MB): a value "
                                   f"of about {need:,} bytes cannot cross into Lua", engine=self.name)

    def from_native(self, value: Any) -> Any:
        return self._from_lua(value, None, 0)

    def _from_lua(self, value: Any, meter: CrossingMeter | None, depth: int) -> Any:
        if type(value) in _PLAIN:
            return value
        kind = self._lupa.lua_type(value)
        if kind == "table":
            obj = self._handle_of[value]
            return obj if obj is not None else self._table(value, meter or CrossingMeter(self), depth)
        if kind == "function":
            return ScriptFunction(self, value)
        if kind is None and (self.session.api.handle_type(value) is not None or callable(value)):
            return value  # a handle or callable that went through Lua unchanged
        raise ConversionError(f"a Lua {kind or type(value).__name__} cannot cross to Python")

    def _table(self, table: Any, meter: CrossingMeter, depth: int) -> Any:
        if depth >= MAX_DEPTH:
            raise ConversionError(f"a Lua table nested more than {MAX_DEPTH} levels deep (a cycle?) cannot cross")
        items = []
        try:
            for key, value in table.items():  # one by one: each string is charged as lupa decodes it
                meter.item((len(key) if type(key) is str else 0) + (len(value) if type(value) in _SIZED else 0))
                items.append((key, value))
        except UnicodeDecodeError:  # lupa decodes every string that crosses as UTF-8
            raise ConversionError("a Lua string that is not valid UTF-8 cannot cross to Python; "
                                  "send binary data as base64 or hex text", engine=self.name) from None
        if not items:
            return [] if self._is_list(table) else {}
        keys = [k for k, _ in items]
        if all(type(k) is int for k in keys):
            if sorted(keys) != list(range(1, len(keys) + 1)):
                raise ConversionError("a Lua table with integer keys that are not 1..n (a list with holes) "
                                      "cannot cross; use a list without nil gaps, or string keys")
            return [self._from_lua(v, meter, depth + 1) for _, v in sorted(items, key=lambda kv: kv[0])]
        if all(type(k) is str for k in keys):
            # Lua's table order changes from run to run; sorted keys make results reproducible
            return {k: self._from_lua(v, meter, depth + 1) for k, v in sorted(items, key=lambda kv: kv[0])}
        raise ConversionError("a Lua table that is both a list and a map (or has non-string keys) cannot cross: "
                              "make it a list, or a map with string keys")

    def set_global(self, name: str, value: Any) -> None:
        self.gate.run(self.lua.globals().__setitem__, name, self.to_native(value))

    def shutdown(self) -> None:
        self.lua = None


def _utf8(text: str) -> str:
    """`text`, or a ConversionError when it holds a lone surrogate (lupa would fail to encode it)."""
    if not text.isascii() and LONE_SURROGATE.search(text):
        raise ConversionError("a string with a lone surrogate is not valid UTF-8 and cannot cross into Lua")
    return text
