"""The JavaScript engine: QuickJS through the `quickjs` module, with the API bound from the table.

Why `quickjs` 1.19.4 and not `quickjs-ng` (the same module API), measured on this machine
(Python 3.11, x86-64): fib(30) takes 0.078 s against 0.18 s; a context uses 60 KB against
90 KB; and a JS call needs about a quarter of the C stack, so a 1 MB stack limit allows
about 1,000-5,000 nested calls where quickjs-ng overflows before 1,000. `quickjs` also
resets QuickJS's stack top on every entry, so a callback may run on whichever thread holds
the engine's gate. What it lacks: ES2022+ library methods (the prelude adds `Array.at`,
`String.at`, `Object.hasOwn`, `queueMicrotask`) and columns in stack traces (errors give
the line). quickjs-ng's abi3 wheel would be the way to newer syntax if that ever matters.

How a cell runs: the cell becomes the body of an async function (`javascript_source.py`),
so top-level `await` works and top-level declarations become globals. Every API function
returns a Promise. A call that blocks (a model, a tool, a sleep) is started on the session's
thread pool and its Promise is settled when it is done, so `Promise.all` overlaps calls; the
others run at once. The engine drives QuickJS's job queue itself (`_drive`): run the pending
jobs, settle the finished host calls, fire due timers, else wait for the next host call while
serving calls that other threads post to this engine (`runtime/gate.py`).
"""

from __future__ import annotations

import bisect
import contextvars
import dataclasses
import functools
import heapq
import itertools
import json
import re
import signal
import sys
import threading
import time
from concurrent.futures import Future
from importlib.resources import files
from math import isfinite
from pathlib import Path
from typing import Any, ClassVar

from ..api.spec import ApiFunction
from ..errors import (
    ApiError,
    ConversionError,
    Frame,
    InternalError,
    InterruptedSpell,
    LimitError,
    MemoryLimitError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    SpellError,
    unexpected,
)
from ..runtime.gate import wait_futures
from ..runtime.sandbox import read_text
from .base import FAST_MISS, LONE_SURROGATE, ScriptEngine
from .compile_guard import compiling
from .javascript_binding import table
from .javascript_bridge import MAX_SAFE, JsBridge
from .javascript_modules import MODULE_EXTENSIONS, es_to_commonjs, wrap_module
from .javascript_native import NativeHooks, compile_bytecode, run_bytecode
from .javascript_source import SourceError, as_async_body, tokenize
from .output import OutputLimiter

PRELUDE = files(__package__).joinpath("javascript_prelude.js").read_text(encoding="utf-8")
STACK_BYTES = 1024 * 1024  # QuickJS's own stack limit: deep recursion is a LimitError, never a crash
_OPS = ("bind", "setValues", "settle", "fire", "state", "outcome", "drop", "callFn", "fnSource", "release", "forget",
        "setGlobal", "setBase", "globals", "getGlobal")
_FRAME = re.compile(r"^\s*at (?:(?P<name>.*?) \()?<input>(?::(?P<line>\d+))?\)?\s*$")
_FUNCTION_EXPRESSION = re.compile(r"(async\s*)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)")
_WAIT = 0.25  # seconds between budget checks while waiting on host calls
_INT32 = 2**31


@functools.cache
def _prelude_bytecode() -> bytes | None:
    try:
        return compile_bytecode(PRELUDE)
    except (RuntimeError, AttributeError, OSError):  # then each engine parses the prelude
        return None


class JavaScriptEngine(ScriptEngine):
    name = "js"
    display_name = "JavaScript"
    file_extensions = (".js", ".mjs", ".cjs")
    interpreters = ("node", "qjs")
    aliases = ("javascript", "node")
    language_info: ClassVar[dict[str, Any]] = {
        "name": "javascript", "version": "ES2020", "mimetype": "text/javascript", "file_extension": ".js",
        "codemirror_mode": "javascript", "pygments_lexer": "javascript"}

    def initialize(self) -> None:
        import quickjs

        self._quickjs = quickjs
        self._scratch: Any = None  # a context for is_complete's compile-only checks, made on first use
        self.ctx = ctx = quickjs.Context()
        if self.limits.max_memory:
            ctx.set_memory_limit(self.limits.max_memory)
        ctx.set_max_stack_size(STACK_BYTES)
        self.output = OutputLimiter(self.limits.max_output)
        self.bridge = JsBridge(self)
        self._requests: dict[int, Future] = {}  # host calls in flight, by request id
        # blocking calls not started yet: they start when JS has nothing left to run, together (on the pool,
        # so `Promise.all` overlaps them) or, when alone, on this thread, where the stop button reaches them
        self._unstarted: dict[int, tuple[Any, Any]] = {}  # request id -> (call, the caller's context)
        self._sigint_outside: Any = None  # the SIGINT handler the cell replaced, for a call run inline
        self._inline = False  # a blocking call runs on the main thread right now
        self._request_ids = itertools.count(1)
        self._timers: list[tuple[float, int]] = []
        self._timer_ids = itertools.count(1)
        self._rejections: dict[int, str] = {}  # unhandled rejected promises: address -> reason
        self._sources: list[tuple[int, int, str | None, str]] = []  # (first line, last line, chunk, code)
        self._next_line = 1
        for name, fn in (("call", self._host_call), ("fast", self._host_fast), ("start", self._host_start),
                         ("invoke", self._host_invoke),
                         ("write", self._host_write), ("timer", self._host_timer), ("settled", self._host_settled),
                         ("module", self._host_module)):
            ctx.add_callable("__ls_host_" + name, fn)
        self._compile_source(PRELUDE, None, bytecode=_prelude_bytecode())
        self._ops = {name: ctx.get("__ls_op_" + name) for name in _OPS}
        ctx.eval("for (const k of Object.getOwnPropertyNames(globalThis)) "
                 "if (k.startsWith('__ls_op_')) delete globalThis[k];")
        self._hooks = NativeHooks(ctx, self._should_stop, self.note_interrupt, self._on_rejection)
        self._bind_api()

    def _bind_api(self) -> None:
        """Walk the API table: namespaces, aliases and handle types, each function by index."""
        api, table_ = self.session.api, table()
        self._calls = [(fn.func, (api.namespaces[owner] if is_ns else api.handles[owner],), fn, not is_ns)
                       for fn, owner, is_ns in table_.functions]
        self._fast = [fn.fast(api.namespaces[owner], FAST_MISS) if is_ns and fn.fast is not None else None
                      for fn, owner, is_ns in table_.functions]
        self._valued = [name for name in table_.namespaces if api.namespaces[name].values(self)]
        self._sent_values: dict[str, Any] | None = None
        self._ops["bind"](table_.descriptor)

    def version(self) -> str:
        from importlib.metadata import version

        return f"ES2020 (QuickJS, quickjs {version('quickjs')})"

    def global_names(self) -> list[str]:
        return sorted(json.loads(self.gate.run(self._ops["globals"])))

    def global_value(self, name: str) -> Any:
        text = self.gate.run(self._ops["getGlobal"], name)
        if not text:
            raise KeyError(name)
        return self.bridge.decode(text).get("v")

    def is_complete(self, code: str) -> str:
        """Brackets still open (or a template literal) mean more lines are to come."""
        try:
            tokens = tokenize(code)
        except SourceError:
            return "incomplete"
        depth = 0
        for tok in tokens:
            if tok.kind == "punct" and tok.text in "([{":
                depth += 1
            elif tok.kind == "punct" and tok.text in ")]}":
                depth -= 1
                if depth < 0:
                    return "invalid"
        if depth > 0:
            return "incomplete"
        return self._syntax_check(code)

    def _syntax_check(self, code: str) -> str:
        """Compile the cell as the engine would run it, in a scratch context, without running it.

        An error at the end of the input (`1 +`, an open string) means more is to come.
        """
        if self._scratch is None:
            self._scratch = self._quickjs.Context()
        try:
            body = as_async_body(es_to_commonjs(code), "void")  # `void (async () => {...})`: compiled, not called
            self._scratch.eval(body)
        except SourceError:
            return "incomplete"
        except self._quickjs.JSException as exc:
            text = str(exc)
            where = re.search(r"<input>:(\d+)", text)
            line, last_line = (int(where[1]) if where else 0), body.count("\n") + 1
            # the wrapper's own closers, met on the cell's last line: the cell stopped mid-expression
            closer = re.search(r"unexpected token in expression: '[)};\]]'", text) and line >= last_line - 1
            at_end = "unexpected end" in text or line >= last_line or closer
            return "incomplete" if at_end else "invalid"
        return "complete"

    # calls from JS into Python: never raise (an exception would surface as a bare JS InternalError) ---
    def _host_call(self, idx: int, text: str) -> str:
        func, receiver, api_fn, method = self._calls[idx]
        args: Any = ()
        try:
            args = self.bridge.decode(text)
            return self.bridge.ok(func(*receiver, *args))
        except BaseException as exc:  # every failure becomes an envelope
            return self.bridge.failure(self._as_spell_error(exc, api_fn, args[1:] if method else args))

    def _host_fast(self, idx: int, *args: Any) -> Any:
        """A hot read answered without JSON (`State.get` of a scalar), as the prelude's `fastFunction` reads it.

        A number, a boolean, "s" + a string, "n" for None; or "m": the full call must answer (and report).
        """
        try:
            value = self._fast[idx](*args)
        except BaseException:  # the full call reports it
            return "m"
        kind = value.__class__
        if kind is str:  # QuickJS cannot take a lone surrogate (it crashed)
            return "s" + value if value.isascii() or not LONE_SURROGATE.search(value) else "m"
        if value is None:
            return "n"
        if kind is int:  # quickjs takes a Python int as an int32 (2**32 came back as 0): a larger one as a double
            return value if -_INT32 <= value < _INT32 else float(value) if -MAX_SAFE <= value <= MAX_SAFE else "m"
        if kind is bool or (kind is float and isfinite(value)):
            return value
        return "m"  # the miss, or a value only JSON carries

    def _host_start(self, idx: int, text: str) -> int | str:
        func, receiver, api_fn, method = self._calls[idx]
        try:
            args = self.bridge.decode(text)
        except BaseException as exc:  # failures become an envelope
            return self.bridge.failure(self._as_spell_error(exc, api_fn, ()))

        def run() -> Any:
            try:
                return func(*receiver, *args)
            except TypeError as exc:
                usage = api_fn.usage_error(tuple(args[1:] if method else args))
                if usage is None:
                    raise InternalError(f"TypeError: {exc}", engine=self.name) from exc
                raise usage from None

        rid = self.track(Future())
        self._unstarted[rid] = (run, contextvars.copy_context())
        return rid

    def _host_invoke(self, fid: int, text: str) -> str:
        try:
            return self.bridge.ok(self.bridge.callable(fid)(*self.bridge.decode(text)))
        except BaseException as exc:  # failures become an envelope
            return self.bridge.failure(self._as_spell_error(exc, None, ()))

    def _host_write(self, stream: int, text: str) -> None:
        try:
            if stream == 2:
                self.output.flush()
                sys.stderr.write(text)
                sys.stderr.flush()
            else:
                self.output.write(text)
        except BaseException:  # output never stops a script
            pass

    def _host_timer(self, ms: float, tid: int) -> int:
        tid = tid or next(self._timer_ids)
        heapq.heappush(self._timers, (time.monotonic() + max(0.0, float(ms)) / 1000, tid))
        return tid

    def _host_settled(self, pid: int, text: str) -> None:
        try:
            self.bridge.settle_promise(pid, text, self._error_from_info)
        except BaseException:  # the Future learns nothing; the JS side still has its promise
            pass

    def _host_module(self, op: int, spec: str, base: str) -> str:
        """op 0: resolve `spec` beside `base` to [path, folder]; op 1: compile the module at `path`."""
        try:
            sandbox = self.session.sandbox
            if op == 0:
                path = self._resolve_module(spec, sandbox.resolve(base) if base not in ("", ".") else sandbox.root)
                return self.bridge.ok([sandbox.display(path), sandbox.display(path.parent)])
            path = sandbox.resolve(spec)
            source = read_text(path, spec)
            with compiling(self):
                wrapped = wrap_module(source)
            try:
                self._compile_source(wrapped, spec, source, header=1)
            except self._quickjs.JSException as exc:
                raise self._error_from_text(str(exc)) from None
            return self.bridge.ok(None)
        except BaseException as exc:  # failures become an envelope
            return self.bridge.failure(self._as_spell_error(exc, None, ()))

    def _resolve_module(self, spec: str, base: Path) -> Path:
        sandbox = self.session.sandbox
        if not isinstance(spec, str) or not spec:
            raise ApiError(f"require: invalid module name {spec!r}")
        for ext in MODULE_EXTENSIONS:
            path = sandbox.resolve(spec + ext, relative_to=base)  # a SandboxError if it leaves the root
            if path.is_file():
                return path
        shown, tried = sandbox.display(base.resolve()), ", ".join(spec + e for e in MODULE_EXTENSIONS)
        raise ApiError(f"module {spec!r} not found beside {shown}/ (tried {tried}); "
                       "only files under the sandbox root load, and there are no host modules")

    def _as_spell_error(self, exc: BaseException, api_fn: ApiFunction | None, args: Any) -> SpellError:
        if isinstance(exc, SpellError):
            return exc
        if isinstance(exc, KeyboardInterrupt):
            return self.note_interrupt()
        if isinstance(exc, TypeError) and api_fn is not None:
            usage = api_fn.usage_error(tuple(args))
            if usage is not None:
                return usage
        return unexpected(exc, engine=self.name)

    def track(self, future: Future) -> int:
        """A request id for a Python future whose value a JS Promise waits for."""
        rid = next(self._request_ids)
        self._requests[rid] = future
        return rid

    # limits: QuickJS asks every few thousand instructions -------------------------------------
    def _should_stop(self) -> bool:
        if self._depth == 0:
            return False
        if self._stop is not None:
            return True
        try:
            return self.budget_error() is not None
        except KeyboardInterrupt:
            self.note_interrupt()
            return True

    def _on_rejection(self, promise: int, reason: str | None) -> None:
        if reason is None:
            self._rejections.pop(promise, None)
        else:
            self._rejections[promise] = reason

    # running -------------------------------------------------------------------------------------
    def _compile_source(self, code: str, chunk: str | None, shown: str | None = None, header: int = 0,
                        bytecode: bytes | None = None) -> Any:
        """Evaluate code on lines of its own: every chunk gets a distinct line range, since the quickjs
        module names every script `<input>`; a frame's line then tells its chunk."""
        first = self._next_line
        last = first + code.count("\n")
        self._sources.append((first + header, last, chunk, code if shown is None else shown))
        self._next_line = last + 2
        if bytecode is not None and first == 1 and run_bytecode(self.ctx, bytecode):
            return None
        return self.ctx.eval("\n" * (first - 1) + code)

    def _enter(self) -> None:
        if self._depth != 1:
            return
        self._rejections.clear()
        released = self.bridge.take_released()
        if released:
            self._ops["release"](json.dumps(released))
        if self._valued:
            values = {ns: self.session.api.namespaces[ns].values(self) for ns in self._valued}
            if values != self._sent_values:  # they seldom change: encoding them on every call was a third of it
                self._ops["setValues"](self.bridge.encode(values))
                self._sent_values = values

    def _sigint(self, _signum: int, _frame: Any) -> None:
        """SIGINT while this engine runs on the main thread: stop at the next check, without raising.

        A KeyboardInterrupt raised inside the interrupt callback would be lost (ctypes reports and
        drops it), so the stop button sets the stop flag instead, which QuickJS polls.
        """
        self.note_interrupt()

    def _on_main_thread(self, fn: Any, *args: Any) -> Any:
        if self._depth != 1 or threading.current_thread() is not threading.main_thread() \
                or signal.getsignal(signal.SIGINT) is None:  # None: a handler set outside Python, left alone
            return fn(*args)
        previous = self._sigint_outside = signal.signal(signal.SIGINT, self._sigint)
        try:
            return fn(*args)
        finally:
            signal.signal(signal.SIGINT, previous)
            self._sigint_outside = None

    def _run_chunk(self, code: str, chunk: str, path: Path | None) -> Any:
        return self._on_main_thread(self._run_cell, code, chunk, path)

    def _run_cell(self, code: str, chunk: str, path: Path | None) -> Any:
        self.output.reset()
        if path is not None:
            try:
                chunk = self.session.sandbox.display(path.resolve())
            except ValueError:
                chunk = str(path)
        try:
            self._sent_values = None  # a cell starts from fresh values, whatever the last one did to them
            self._enter()
            base = "."
            if path is not None:
                try:
                    base = self.session.sandbox.display(path.resolve().parent)
                except ValueError:  # a file outside the root imports from the root
                    pass
            self._ops["setBase"](base)
            try:
                with compiling(self):
                    body = as_async_body(es_to_commonjs(code), "__ls_cell")
            except SourceError as exc:
                raise ScriptSyntaxError(str(exc), engine=self.name, chunk=chunk) from None
            slot = self._compile_source(body, chunk, code, header=1)
            return self._drive(slot, outer=True)
        except self._quickjs.JSException as exc:
            raise self._error_from_text(str(exc)).located(chunk=chunk) from None
        except SpellError as exc:
            raise exc.located(engine=self.name, chunk=chunk) from None
        except KeyboardInterrupt:
            raise self.note_interrupt().located(chunk=chunk) from None
        finally:
            if self._depth == 1:
                self._cleanup()

    def _call(self, ref: Any, args: tuple) -> Any:
        return self._on_main_thread(self._call_function, ref, args)

    def _compile_function(self, source: str) -> Any:
        return self._on_main_thread(self._evaluate_function, source)

    def _evaluate_function(self, source: str) -> Any:
        try:
            self._compile_source(f"globalThis.__ls_stored = ({source});", "stored function")
            value = self.bridge.decode(self._ops["getGlobal"]("__ls_stored")).get("v")
            self._compile_source("delete globalThis.__ls_stored;", "stored function")
        except self._quickjs.JSException as exc:
            raise self._error_from_text(str(exc)).located(chunk="stored function") from None
        return value

    def function_source(self, ref: Any) -> str:
        source = self.gate.run(self._on_main_thread, self._ops["fnSource"], ref)
        if "[native code]" in source:
            raise ApiError("a built-in or bound JavaScript function cannot be stored; "
                           "wrap it in a function of your own")
        if not _FUNCTION_EXPRESSION.match(source):  # a method or accessor: its text is no expression
            raise ApiError("a JavaScript method cannot be stored; use a function or an arrow function")
        return source

    def _call_function(self, ref: Any, args: tuple) -> Any:
        try:
            self._enter()
            slot = self._ops["callFn"](ref, self.bridge.encode(list(args)))
            return self._drive(slot, outer=False)
        except self._quickjs.JSException as exc:
            raise self._error_from_text(str(exc)) from None
        except KeyboardInterrupt:
            raise self.note_interrupt() from None
        finally:
            if self._depth == 1:
                self._cleanup()

    def _cleanup(self) -> None:
        """After the outermost run: a stopped chunk leaves no host calls or timers behind."""
        if self._stop is None and not self._requests:
            return
        for future in self._requests.values():
            future.cancel()
        self._requests.clear()
        self._unstarted.clear()
        self._timers.clear()
        try:
            self._ops["forget"]()
        except self._quickjs.JSException:
            pass

    def _drive(self, slot: int, outer: bool) -> Any:
        """Run the event loop until the slot's promise settles (a cell also waits for its timers and
        host calls, as a script's process would); returns its value or raises its error."""
        state = self._ops["state"]
        while True:
            self._run_jobs()
            settled = state(slot) != 0
            if settled and not (outer and (self._requests or self._timers)):
                break
            self._check_budget()
            if self._settle_ready() or self._fire_due():
                continue
            if not self._requests and not self._timers:
                self._ops["drop"](slot)
                raise ScriptRuntimeError("the code awaits a Promise that nothing will ever settle", engine=self.name)
            if self._unstarted:
                self._start_calls()
                continue
            self._wait()
        env = self.bridge.envelope(self._ops["outcome"](slot))
        if not env.get("ok"):
            raise self._error_from_info(env["e"])
        if outer and self._depth == 1 and self._rejections:
            reason = next(iter(self._rejections.values()))
            raise ScriptRuntimeError(f"unhandled promise rejection: {reason}", engine=self.name)
        return env.get("v")

    def _run_jobs(self) -> None:
        run = self.ctx.execute_pending_job
        while run():
            pass

    def _start_calls(self) -> None:
        """Start the blocking calls JS made since it last waited.

        Several start together on the session's pool, so they overlap. One alone, with nothing
        else in flight and no timer due, runs here on the main thread instead: the kernel's stop
        button (SIGINT) then interrupts it where it waits, and an HTTP request is dropped at once.
        """
        calls, self._unstarted = self._unstarted, {}
        alone = (len(calls) == 1 and len(self._requests) == 1 and not self._timers and self._deadline is None
                 and self._sigint_outside is not None and threading.current_thread() is threading.main_thread())
        for rid, (run, context) in calls.items():
            if not alone:
                self._requests[rid] = self.session.submit(context.run, run)
                continue
            future, previous = self._requests[rid], signal.signal(signal.SIGINT, self._sigint_outside)
            self._inline = True
            try:
                future.set_result(context.run(run))
            except KeyboardInterrupt:
                future.set_exception(self.note_interrupt())
            except BaseException as exc:  # the Promise rejects with it
                future.set_exception(exc)
            finally:
                self._inline = False
                signal.signal(signal.SIGINT, previous)

    def interrupt(self) -> None:
        """Stop the running chunk; a call running inline on the main thread is woken as SIGINT would."""
        super().interrupt()
        if self._inline:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def _settle_ready(self) -> bool:
        done = [rid for rid, future in self._requests.items() if future.done()]
        for rid in done:
            future = self._requests.pop(rid)
            if future.cancelled():
                text = self.bridge.failure(InterruptedSpell("cancelled", engine=self.name))
            elif future.exception() is not None:
                text = self.bridge.failure(self._as_spell_error(future.exception(), None, ()))
            else:
                try:
                    text = self.bridge.ok(future.result())
                except SpellError as exc:
                    text = self.bridge.failure(exc)
            self._ops["settle"](rid, text)
        return bool(done)

    def _fire_due(self) -> bool:
        now, fired = time.monotonic(), False
        while self._timers and self._timers[0][0] <= now:
            _, tid = heapq.heappop(self._timers)
            failed = self._ops["fire"](tid)
            fired = True
            if failed:
                raise self._error_from_info(self.bridge.decode(failed))
        return fired

    def _wait(self) -> None:
        """Wait for a host call to finish or the next timer, serving calls posted to this engine."""
        timeout = _WAIT
        if self._timers:
            timeout = max(0.0, min(timeout, self._timers[0][0] - time.monotonic()))
        futures = list(self._requests.values())
        if not futures:
            time.sleep(timeout)  # only timers: nothing else can wake us
            return
        any_done: Future = Future()

        def wake(_f: Future) -> None:
            try:
                any_done.set_result(None)
            except Exception:  # already woken
                pass

        for future in futures:
            future.add_done_callback(wake)
        wait_futures([any_done], timeout)

    # errors --------------------------------------------------------------------------------------
    def _error_from_text(self, text: str) -> SpellError:
        """A JSException's text: `Name: message` then the stack."""
        head, _, stack = text.partition("\n")
        name, sep, message = head.partition(": ")
        if not sep:
            name, message = "Error", head
        return self._error_from_info({"name": name, "message": message, "stack": stack}, compile_error=True)

    def _error_from_info(self, info: dict, compile_error: bool = False) -> SpellError:
        name, message = info.get("name") or "Error", info.get("message") or ""
        known = self.bridge.known_error(info.get("eid"))
        if known is not None:  # a fresh copy; a located one (a module's syntax error) keeps its place
            error: SpellError = dataclasses.replace(known) if known.chunk else type(known)(known.message)
        elif name == "InternalError" and message == "interrupted":
            error = self.budget_error() or InterruptedSpell("interrupted")
        elif name == "InternalError" and message == "out of memory":
            limit = (self.limits.max_memory or 0) // (1024 * 1024)
            error = MemoryLimitError(f"the JavaScript engine reached its memory limit ({limit} MB)")
            self.ctx.gc()
        elif name == "InternalError" and message == "stack overflow":
            error = LimitError(f"stack overflow: calls nested deeper than the JavaScript stack limit "
                               f"({STACK_BYTES // 1024} KB); is a recursion missing its base case?")
        elif name == "ConversionError":
            error = ConversionError(message)
        elif name == "SyntaxError" and compile_error:
            error = ScriptSyntaxError(message)
        elif name in ("Error", "Uncaught"):
            error = ScriptRuntimeError(message)
        else:
            error = ScriptRuntimeError(f"{name}: {message}")
        frames = self._frames(info.get("stack") or "")
        where = frames[0] if frames else None
        source_line = self._source_line(where) if where is not None else None
        return error.located(engine=self.name, chunk=where.chunk if where else None,
                             line=where.line if where else None, frames=frames, source_line=source_line)

    def _locate(self, line: int) -> tuple[str | None, int, str] | None:
        """(chunk, line in the chunk, code) for a global line number, or None for the prelude."""
        k = bisect.bisect_right([s[0] for s in self._sources], line) - 1
        if k < 0:
            return None
        first, last, chunk, code = self._sources[k]
        if chunk is None or line > last:
            return None
        return chunk, line - first + 1, code

    def _frames(self, stack: str) -> list[Frame]:
        frames = []
        for raw in stack.splitlines():
            m = _FRAME.match(raw)
            if m is None or m["line"] is None:
                continue
            name = m["name"]
            if name is not None and (name.startswith("__ls") or name == "<eval>"):
                continue
            found = self._locate(int(m["line"]))
            if found is not None:
                frames.append(Frame(found[0], found[1], None, name))
        return frames

    def _source_line(self, frame: Frame) -> str | None:
        for _first, _last, chunk, code in reversed(self._sources):
            if chunk == frame.chunk:
                lines = code.split("\n")
                return lines[frame.line - 1] if frame.line and 0 < frame.line <= len(lines) else None
        return None

    # values --------------------------------------------------------------------------------------
    def room(self, need: int) -> None:
        """Refuse a value whose JSON text would take QuickJS past its memory limit before it crosses in.

        Parsing it there fails with a bare `null` thrown (QuickJS has no memory left for an error object).
        """
        ctx = self.ctx
        if ctx is None:
            return
        usage = ctx.memory()
        limit = usage.get("malloc_limit") or 0
        if 0 < limit < 2**62 and usage.get("malloc_size", 0) + need > limit:
            raise MemoryLimitError(f"the JavaScript engine reached its memory limit ({limit // (1024 * 1024)} MB): "
                                   f"a value of about {need:,} bytes cannot cross into JavaScript", engine=self.name)

    def to_native(self, value: Any) -> Any:
        return self.bridge.encode(value)

    def from_native(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise ConversionError("the JavaScript engine exchanges values as JSON text")
        return self.bridge.decode(value)

    def set_global(self, name: str, value: Any) -> None:
        self.gate.run(lambda: self._ops["setGlobal"](name, self.bridge.encode(value)))

    def shutdown(self) -> None:
        self._ops = {}
        self._hooks = None
        self.ctx = None
