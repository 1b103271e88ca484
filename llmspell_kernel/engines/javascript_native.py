"""Two QuickJS hooks that the `quickjs` module does not offer, reached through ctypes, and a bytecode cache.

- An interrupt handler. The module's own time limit counts CPU time and, while it is set,
  refuses every call into Python. Our handler is a Python callback instead: QuickJS asks it
  every few thousand instructions whether to stop, so the engine's wall-clock budget and
  `interrupt()` (the kernel's stop button) both stop a `while (true) {}`, and JS can still
  call the host synchronously.
- A promise-rejection tracker, so that a rejected Promise that nobody handles is reported.

The module's `Context` is a C struct whose first fields after the Python object header are
the `JSRuntime*` and the `JSContext*`; `attach` checks that with `JS_GetRuntime` before
trusting it, and raises if the build differs (so it never pokes at the wrong memory).
"""

from __future__ import annotations

import ctypes
import platform
import sys
from collections.abc import Callable
from typing import Any

_INTERRUPT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
# (ctx, promise: JSValue, reason: JSValue, is_handled, opaque). A JSValue is a 16-byte struct
# {union u; int64 tag}; the x86-64 System V ABI passes it in two integer registers, so each
# one is declared as two 64-bit integers.
_TRACKER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64, ctypes.c_uint64,
                            ctypes.c_int64, ctypes.c_int, ctypes.c_void_p)
_HEADER = object.__basicsize__  # ob_refcnt + ob_type
_TAG_EXCEPTION = 6
_COMPILE_ONLY = 1 << 5  # JS_EVAL_FLAG_COMPILE_ONLY
_BYTECODE = 1  # JS_WRITE_OBJ_BYTECODE, JS_READ_OBJ_BYTECODE


class _JSValue(ctypes.Structure):
    _fields_ = (("u", ctypes.c_uint64), ("tag", ctypes.c_int64))


_LIB: Any = None


def _library() -> Any:
    """The quickjs module's own shared library (already loaded), with the signatures we call."""
    global _LIB
    if _LIB is None:
        import _quickjs

        lib = ctypes.CDLL(_quickjs.__file__)
        lib.JS_GetRuntime.restype = ctypes.c_void_p
        lib.JS_GetRuntime.argtypes = [ctypes.c_void_p]
        lib.JS_SetInterruptHandler.argtypes = [ctypes.c_void_p, _INTERRUPT, ctypes.c_void_p]
        lib.JS_ToCStringLen2.restype = ctypes.c_void_p
        lib.JS_ToCStringLen2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64,
                                         ctypes.c_int]
        lib.JS_FreeCString.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.JS_SetHostPromiseRejectionTracker.argtypes = [ctypes.c_void_p, _TRACKER, ctypes.c_void_p]
        lib.JS_UpdateStackTop.argtypes = [ctypes.c_void_p]
        lib.JS_Eval.restype = _JSValue
        lib.JS_Eval.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int]
        lib.JS_WriteObject.restype = ctypes.c_void_p
        lib.JS_WriteObject.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_uint64,
                                       ctypes.c_int64, ctypes.c_int]
        lib.JS_ReadObject.restype = _JSValue
        lib.JS_ReadObject.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
        lib.JS_EvalFunction.restype = _JSValue
        lib.JS_EvalFunction.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64]
        lib.js_free.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        _LIB = lib
    return _LIB


def _pointers(context: Any) -> tuple[int, int]:
    """(JSRuntime*, JSContext*) of a quickjs Context, checked with JS_GetRuntime."""
    lib = _library()
    base = id(context) + _HEADER
    runtime = ctypes.c_void_p.from_address(base).value
    ctx = ctypes.c_void_p.from_address(base + ctypes.sizeof(ctypes.c_void_p)).value
    if not runtime or not ctx or lib.JS_GetRuntime(ctx) != runtime:
        raise RuntimeError("this build of the quickjs module has an unexpected layout")
    return runtime, ctx


def compile_bytecode(source: str) -> bytes:
    """QuickJS bytecode for a script whose top level calls no Python (the prelude): parsing it is most of a
    session's start-up, and reading bytecode takes a quarter of the time."""
    import quickjs

    lib, context = _library(), quickjs.Context()
    runtime, ctx = _pointers(context)
    lib.JS_UpdateStackTop(runtime)
    data = source.encode("utf-8")
    fn = lib.JS_Eval(ctx, data, len(data), b"<input>", _COMPILE_ONLY)
    if fn.tag == _TAG_EXCEPTION:
        raise RuntimeError("the script does not compile")
    size = ctypes.c_size_t()
    buf = lib.JS_WriteObject(ctx, ctypes.byref(size), fn.u, fn.tag, _BYTECODE)
    try:
        return ctypes.string_at(buf, size.value)
    finally:
        lib.js_free(ctx, buf)
        lib.JS_EvalFunction(ctx, fn.u, fn.tag)  # frees the function (its run here is harmless)


def run_bytecode(context: Any, bytecode: bytes) -> bool:
    """Run bytecode from `compile_bytecode` in a context; False if it failed (then evaluate the source)."""
    lib = _library()
    runtime, ctx = _pointers(context)
    lib.JS_UpdateStackTop(runtime)
    fn = lib.JS_ReadObject(ctx, bytecode, len(bytecode), _BYTECODE)
    if fn.tag == _TAG_EXCEPTION:
        return False
    return lib.JS_EvalFunction(ctx, fn.u, fn.tag).tag != _TAG_EXCEPTION


class NativeHooks:
    """The hooks of one QuickJS context; keeps the ctypes callbacks alive as long as itself."""

    def __init__(self, context: Any, should_stop: Callable[[], bool], on_keyboard_interrupt: Callable[[], Any],
                 on_rejection: Callable[[int, str | None], None]) -> None:
        lib = _library()
        runtime, ctx = _pointers(context)
        self._lib, self._runtime, self._ctx = lib, runtime, ctx
        self._should_stop, self._on_rejection = should_stop, on_rejection

        def interrupt(_rt: Any, _opaque: Any) -> int:
            try:
                return 1 if should_stop() else 0
            except KeyboardInterrupt:  # SIGINT (the kernel's stop button) lands here while JS runs
                on_keyboard_interrupt()
                return 1
            except BaseException:  # never let an exception unwind through C
                return 1

        self._interrupt = _INTERRUPT(interrupt)
        lib.JS_SetInterruptHandler(runtime, self._interrupt, None)
        self._tracker = None
        if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64"):
            self._install_tracker()

    def _install_tracker(self) -> None:
        lib = self._lib
        on_rejection = self._on_rejection

        def track(ctx: int, promise: int, _ptag: int, reason: int, rtag: int, handled: int, _opaque: Any) -> None:
            try:
                # converting runs JS (an Error's toString), which must not meet a stopping script
                message = None if handled else "(stopped)" if self._should_stop() else self._text(ctx, reason, rtag)
                on_rejection(promise, message)
            except BaseException:  # a report is best effort; never unwind through C
                pass

        self._tracker = _TRACKER(track)
        lib.JS_SetHostPromiseRejectionTracker(self._runtime, self._tracker, None)

    def _text(self, ctx: int, value: int, tag: int) -> str:
        """`String(value)` of a JSValue; an Error gives `Name: message`."""
        ptr = self._lib.JS_ToCStringLen2(ctx, None, value, tag, 0)
        if not ptr:
            return "(a value that cannot be shown)"
        try:
            return ctypes.string_at(ptr).decode("utf-8", "replace")
        finally:
            self._lib.JS_FreeCString(ctx, ptr)
