"""TengoRuntime: compile (cached), run, persist globals, map errors back."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from types import CodeType
from typing import Any

from llmspell_kernel.errors import Frame

from . import codecache, meter, ops, tailcall
from .builtins import BUILTINS
from .compiler import DISPATCHERS, FUNC_ARITY, Unit, compile_chunk
from .convert import to_python, to_tengo
from .errors import TengoRuntimeError, TengoSyntaxError, make_error
from .ownership import append_copy, own_slot, unown
from .parser import ParseErrors, parse
from .resolver import CompileError, mangle
from .values import Char, GoPanic, TengoRuntimeErr, TError, type_name, wrap64

STDLIB_NAMES = ("fmt", "math", "text", "times", "json", "base64", "hex", "enum", "rand", "os")
OS_REFUSED = "module 'os' is not available in the sandbox"
TICK_EVERY = 10000
MAX_FRAMES = 1024

_BUILTIN_LIST = list(BUILTINS)
_TICK_LIST = [None] * TICK_EVERY

_BASE_NS: dict[str, Any] = {
    "_o_add": ops.add, "_o_sub": ops.sub, "_o_mul": ops.mul, "_o_quo": ops.quo, "_o_rem": ops.rem,
    "_o_band": ops.band, "_o_bor": ops.bor, "_o_bxor": ops.bxor, "_o_andnot": ops.andnot,
    "_o_shl": ops.shl, "_o_shr": ops.shr, "_o_gt": ops.gt, "_o_ge": ops.ge,
    "_o_lt": ops.lt, "_o_le": ops.le, "_o_eq": ops.eq,
    "_o_neg": ops.neg, "_o_bnot": ops.bnot, "_o_index": ops.index, "_o_index_set": ops.index_for_set,
    "_o_set_index": ops.set_index, "_o_slice": ops.slice_, "_o_spread": ops.spread,
    "_o_imm": ops.make_immutable, "_o_wrap": wrap64, "TError": TError, "_Char": Char,
    "_o_unown": unown, "_o_own_slot": own_slot, "_o_append_copy": append_copy,
    # loops get the budget countdown and hook as arguments (`_TICK_N`, `_tick`)
    "_o_range": ops.ticked_range, "_o_count": ops.count_up, "_o_iter": ops.ticked_iterate,
}
for _name, _fn in BUILTINS.items():
    _BASE_NS["B_" + _name] = _fn

# code objects that belong to Tengo chunks (for mapping tracebacks)
_TENGO_CODE_FILES: set[str] = set()
# generated function name (unique: it hashes its chunk) -> (its Tengo source, the local variables it captures)
FUNC_SOURCES: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()
MAX_FUNC_SOURCES = 10_000


def _remember_functions(src: str, spans: dict[str, tuple]) -> None:
    """Keep each func literal's text, so that a function can be stored (a tool, a checkpointed step)."""
    if not spans:
        return
    data = src.encode("utf-8", "surrogateescape")  # columns count bytes, as in Go
    starts = [0]
    for line in data.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)
    for name, ((line, col), (end_line, end_col), captured) in spans.items():
        text = data[starts[line - 1] + col - 1:starts[end_line - 1] + end_col]
        FUNC_SOURCES[name] = (text.decode("utf-8", "surrogateescape"), captured)
    while len(FUNC_SOURCES) > MAX_FUNC_SOURCES:
        FUNC_SOURCES.popitem(last=False)


def function_source(fn: Any) -> tuple[str, list[str]] | None:
    """A compiled Tengo function's source text and captured variables; None if it is not one of ours."""
    code = getattr(fn, "__code__", None)
    return FUNC_SOURCES.get(code.co_name) if code is not None and code.co_filename in _TENGO_CODE_FILES else None
_CACHE: dict[tuple, tuple[Unit, list[tuple[str, str]]]] = {}
_CACHE_LOCK = threading.Lock()


class _HookAbort(Exception):
    """Carries an exception raised by the host's budget hook through Tengo frames."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__("hook")
        self.exc = exc


_ARITY_RE = re.compile(r"(tf_\w+)\(\) (?:takes (\d+) positional arguments? but (\d+) (?:was|were) given|"
                       r"missing (\d+) required positional arguments?)")
_NOTCALL_RE = re.compile(r"'(\w+)' object is not callable")
_PY_TYPES = {"int": "int", "float": "float", "str": "string", "bool": "bool", "NoneType": "undefined",
             "list": "array", "dict": "map", "bytes": "bytes", "Char": "char", "TError": "error",
             "ImmArray": "immutable-array", "ImmMap": "immutable-map", "Time": "time", "Opaque": "opaque"}


def _positions(code: CodeType) -> list:
    pos = getattr(code, "_tengo_pos", None)
    if pos is None:
        pos = list(code.co_positions())
    return pos


def tengo_frames(tb: Any) -> list[Frame]:
    """Tengo frames of a traceback, innermost first, like the reference VM."""
    frames: list[Frame] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        nxt = tb.tb_next
        if (code.co_name in DISPATCHERS and nxt is not None
                and nxt.tb_frame.f_code.co_name == code.co_name + "_i"):
            pass  # handed its arguments to its int clone, whose frame stands for this call
        elif code.co_filename in _TENGO_CODE_FILES and code.co_name.startswith(("tm_", "tf_")):
            idx = tb.tb_lasti // 2
            pos = _positions(code)
            line, col = 0, 0
            if 0 <= idx < len(pos) and pos[idx][0] is not None:
                line, col = pos[idx][0], (pos[idx][2] or 0) + 1
            frames.append(Frame(chunk=code.co_filename, line=line, column=col))
        tb = tb.tb_next
    frames.reverse()
    return frames


def translate(exc: BaseException, sources: dict[str, str] | None = None) -> BaseException:
    """Turn an exception escaping Tengo code into a TengoError (or the original)."""
    if isinstance(exc, _HookAbort):  # with the Tengo frames it crossed: the host can tell the line it stopped at
        return exc.exc.with_traceback(exc.__traceback__)
    if isinstance(exc, TengoRuntimeErr):
        msg = exc.message
    elif isinstance(exc, RecursionError):
        msg = "stack overflow"
    elif isinstance(exc, UnboundLocalError):  # `x := x + 1` in a block of the main chunk reads the new x
        m = re.search(r"'[a-z]_(\w+?)(?:_\d+)?'", str(exc))
        msg = f"'{m.group(1) if m else '?'}' is read in its own declaration, before it has a value"
    elif isinstance(exc, ZeroDivisionError):
        msg = "integer divide by zero"
        exc = GoPanic(msg, runtime=True).with_traceback(exc.__traceback__)
    elif isinstance(exc, TypeError):
        text = str(exc)
        m = _ARITY_RE.search(text)
        nc = _NOTCALL_RE.search(text)
        if m and m.group(1) in FUNC_ARITY:
            want, varargs = FUNC_ARITY[m.group(1)]
            if m.group(2) is not None:
                got = int(m.group(3))
            else:
                got = (want - 1 if varargs else want) - int(m.group(4))
            if varargs:
                msg = f"wrong number of arguments: want>={want - 1}, got={got}"
            else:
                msg = f"wrong number of arguments: want={want}, got={got}"
        elif nc:
            msg = f"not callable: {_PY_TYPES.get(nc.group(1), nc.group(1))}"
        else:
            return exc
    else:
        return exc
    frames = tengo_frames(exc.__traceback__)
    if not frames:
        return exc
    if isinstance(exc, RecursionError) and len(frames) > 1:
        # Python fails inside the new frame; Tengo reports the failed call site
        frames = frames[1:]
    src = (sources or {}).get(frames[0].chunk or "")
    err = make_error(TengoRuntimeError, "Runtime Error", msg, frames, src)
    err.go_panic = exc.panic_text if isinstance(exc, GoPanic) else None  # type: ignore[attr-defined]
    err.__cause__ = None
    return err


def call_tengo(fn: Callable[..., Any], args: list, runtime: Any = None) -> Any:
    """Call a Tengo function from Python, mapping failures to TengoError."""
    try:
        return fn(*args)
    except Exception as e:
        t = translate(e, runtime.sources if runtime is not None else None)
        if t is e:
            raise
        raise t from None


class TengoRuntime:
    """One Tengo interpreter state: globals persist across `run` calls."""

    def __init__(
        self,
        predeclared: dict[str, object] | None = None,
        stdout: Callable[[str], None] | None = None,
        import_root: str | None = None,
        allow_os: bool = False,
        budget_hook: Callable[[], None] | None = None,
        max_allocs: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.stdout = stdout if stdout is not None else _default_stdout
        self.import_root = os.path.abspath(import_root) if import_root else None
        self.import_dir: str | None = None  # set by the CLI: imports resolve against its working directory
        self.allow_os = allow_os
        self.budget_hook = budget_hook
        self.size_hook: Callable[[int], None] | None = None  # called with the size of a large value about to be made
        self.time_left: Callable[[], float | None] | None = None  # seconds left in the host's time limit
        self.max_allocs = max_allocs
        self.allocs = 0
        self.seed = seed
        self.sources: dict[str, str] = {}
        self.modules: dict[str, Any] = {}
        self.declared: dict[str, str] = {}  # tengo global name -> python name
        self.tick_every = TICK_EVERY if not max_allocs else max(1, min(TICK_EVERY, max_allocs))
        ns = dict(_BASE_NS)
        ns["_TICK_N"] = self.tick_every
        # chunked loops iterate over this (a list: no int objects to create per iteration)
        ns["_TICK_R"] = _TICK_LIST if self.tick_every == TICK_EVERY else [None] * self.tick_every
        ns["_tick"] = self._tick
        ns["_mod"] = self._module
        self.ns = ns
        for k, v in (predeclared or {}).items():
            self.set_global(k, v)

    # -- host API ------------------------------------------------------------
    def get_global(self, name: str) -> Any:
        py = self.declared.get(name)
        if py is None:
            raise KeyError(name)
        return to_python(self.ns.get(py), self)

    def set_global(self, name: str, value: Any) -> None:
        py = "g_" + mangle(name)
        self.declared[name] = py
        self.ns[py] = to_tengo(value)

    def global_names(self) -> list[str]:
        return list(self.declared)

    # -- budget ----------------------------------------------------------------
    def _tick(self) -> None:
        """Called every `tick_every` budget units (loop iterations, function calls)."""
        if self.max_allocs is not None:
            self.allocs += self.tick_every
            if self.allocs > self.max_allocs:
                raise TengoRuntimeErr("object allocation limit exceeded")
        if self.budget_hook is not None:
            try:
                self.budget_hook()
            except BaseException as e:
                raise _HookAbort(e) from None

    def _made(self, size: int) -> None:
        """ops.made: a value of about `size` bytes is about to be made; the host may stop the run first."""
        hook = self.size_hook or self.budget_hook
        if hook is not None:
            try:
                hook(size) if hook is self.size_hook else hook()
            except BaseException as e:
                raise _HookAbort(e) from None

    # -- modules -----------------------------------------------------------------
    def _module(self, name: str) -> Any:
        m = self.modules.get(name)
        if m is None:
            from .stdlib import load_module

            m = load_module(name, self)
            self.modules[name] = m
        return m

    # -- compile ---------------------------------------------------------------
    def _import_base(self, filename: str) -> str:
        """The directory every file import of a chunk resolves against, nested ones included (as the
        reference does): the CLI's working directory, else the main file's directory, else the sandbox root."""
        if self.import_dir is not None:
            return self.import_dir
        if os.path.isfile(filename):
            return os.path.dirname(os.path.abspath(filename))
        return self.import_root or os.getcwd()

    def _import_hook_for(self, filename: str, stack: list[str], units: list, deps: list, base: str) -> Callable:
        def hook(node: Any) -> Any:
            name = node.name
            if name in STDLIB_NAMES:
                if name == "os" and not self.allow_os:
                    raise CompileError(OS_REFUSED, node.line, node.col, filename)
                return ("std", name)
            mod = name if name.endswith(".tengo") else name + ".tengo"
            if "\x00" in mod:  # no file has such a name (and os functions refuse it with a ValueError)
                raise CompileError(f"module '{name}' not found", node.line, node.col, filename)
            path = os.path.abspath(os.path.join(base, mod))
            # the real path, so that a symlink inside the root cannot lead a module outside it
            if self.import_root is not None and not _inside(self.import_root, path):
                raise CompileError(f"module '{name}' not found", node.line, node.col, filename)
            if path in stack:
                raise CompileError(f"cyclic module import: {path}", node.line, node.col, filename)
            if not os.path.exists(path):
                raise CompileError(f"module file path error: module '{name}' not found at: {path}", node.line,
                                   node.col, filename)
            try:
                with open(path, "rb") as fh:
                    src = fh.read().decode("utf-8", "surrogateescape")
            except OSError as e:
                reason = (e.strerror or str(e)).lower()
                raise CompileError(f"module file read error: open {path}: {reason}", node.line, node.col, filename) from None  # noqa: E501
            deps.append((path, src))
            unit = self._compile_source(src, path, set(), stack + [path], units, deps, module=True, base=base)  # noqa: RUF005
            units.append(unit)
            return ("file", unit.entry)
        return hook

    def _compile_source(self, src: str, filename: str, persisted: set[str], stack: list[str], units: list,
                        deps: list, module: bool = False, repl: bool = False, base: str | None = None) -> Unit:
        self.sources[filename] = src
        try:
            tree = parse(src)
        except ParseErrors as pe:
            line, col, msg = pe.errors[0]
            raise make_error(TengoSyntaxError, "Parse Error", msg, [Frame(chunk=filename, line=line, column=col)],
                             src, more=len(pe.errors) - 1) from None
        except RecursionError:  # the parser recurses per bracket: 100,000 `[` reach Python's limit
            raise make_error(TengoSyntaxError, "Parse Error", "the source is nested too deeply to parse",
                             [Frame(chunk=filename)], src) from None
        tailcall.rewrite(tree)
        hook = self._import_hook_for(filename, stack, units, deps, base or self._import_base(filename))
        try:
            unit = compile_chunk(tree, filename, f"{filename}\0{src}\0{module}", _BUILTIN_LIST, persisted, hook,
                                 module=module, repl=repl)
        except CompileError as ce:
            fn = ce.filename or filename
            err = make_error(TengoSyntaxError, "Compile Error", ce.msg, [Frame(chunk=fn, line=ce.line, column=ce.col)],
                             self.sources.get(fn))
            err.go_panic = getattr(ce, "go_panic", None)  # type: ignore[attr-defined]
            raise err from None
        _TENGO_CODE_FILES.add(filename)
        _remember_functions(src, unit.func_spans)  # type: ignore[attr-defined]
        return unit

    def compile(self, source: str, filename: str = "(main)", repl: bool = False) -> tuple[Unit, list]:
        persisted = frozenset(self.declared)
        key = (filename, source, persisted, self.allow_os, self.import_root, self.import_dir, repl)
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
        disk_key = codecache.key(filename, source, sorted(persisted), self.allow_os, self.import_root, self.import_dir,
                                  repl)
        if hit is None:
            hit = _from_disk(disk_key, source)
        if hit is not None and _deps_fresh(hit[1]):
            unit, deps = hit
            self.sources[filename] = source
            for path, src in deps:
                self.sources[path] = src
            self._keep(key, hit)
            return unit, getattr(unit, "all_modules", [])
        units: list = []
        deps: list = []
        unit = self._compile_source(source, filename, set(persisted), [], units, deps, repl=repl)
        unit.all_modules = units  # type: ignore[attr-defined]
        self._keep(key, (unit, deps))
        texts = {filename: source, **dict(deps)}
        codecache.save(disk_key, [_record(u, texts[u.code.co_filename]) for u in (*units, unit)], deps)
        return unit, units

    @staticmethod
    def _keep(key: tuple, entry: tuple) -> None:
        with _CACHE_LOCK:
            if key not in _CACHE and len(_CACHE) > 512:
                _CACHE.clear()
            _CACHE[key] = entry

    def dump_python(self, source: str, filename: str = "(main)") -> str:
        import ast

        units: list = []  # compiled here, not taken from a cache: a cached unit keeps no Python AST
        unit = self._compile_source(source, filename, set(self.declared), [], units, [])
        parts = [ast.unparse(u.pyast) for u in units] + [ast.unparse(unit.pyast)]
        return "\n\n".join(parts)

    # -- run -----------------------------------------------------------------
    def run(self, source: str, filename: str = "(main)", *, repl: bool = False, convert: bool = True) -> Any:
        """Run a chunk; with `repl`, return the value of its last expression statement.

        `convert=False` returns that value as a Tengo value, for hosts that convert it themselves.
        """
        unit, modules = self.compile(source, filename, repl)
        ns = self.ns
        for m in modules:
            if m.consts:
                ns.update(m.consts)
            exec(m.code, ns)
        if unit.consts:
            ns.update(unit.consts)
        exec(unit.code, ns)
        for name in _declared_globals(unit):
            py = "g_" + mangle(name)
            self.declared[name] = py
            ns.setdefault(py, None)
        entry = ns[unit.entry]
        old_limit = sys.getrecursionlimit()
        depth = _stack_depth()
        sys.setrecursionlimit(max(old_limit, depth + MAX_FRAMES + 40))
        outer_check = getattr(meter._guard, "check", None)
        meter._guard.check = self._made
        try:
            result = _run_entry(entry, depth)
        except Exception as e:
            t = translate(e, self.sources)
            if t is e:
                raise
            raise t from None
        finally:
            meter._guard.check = outer_check
            sys.setrecursionlimit(old_limit)
        if not repl:
            return None
        return to_python(result, self) if convert else result

    def call(self, fn: Callable[..., Any], args: list) -> Any:
        """Call a Tengo function with Tengo values from the host; failures raise TengoError.

        Gives the call the same stack room as a chunk, so that recursion in a callback ends in
        Tengo's "stack overflow" rather than Python's recursion limit.
        """
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, _stack_depth() + MAX_FRAMES + 40))
        outer_check = getattr(meter._guard, "check", None)
        meter._guard.check = self._made
        try:
            return fn(*args)
        except Exception as e:
            t = translate(e, self.sources)
            if t is e and isinstance(e, TengoRuntimeErr):  # raised by a builtin, outside any Tengo frame
                t = make_error(TengoRuntimeError, "Runtime Error", e.message, [])
            if t is e:
                raise
            raise t from None
        finally:
            meter._guard.check = outer_check
            sys.setrecursionlimit(old_limit)


def _run_entry(entry: Callable[[], Any], depth: int) -> Any:
    return entry()


def _stack_depth() -> int:
    f = sys._getframe(1)
    n = 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


def _declared_globals(unit: Unit) -> list[str]:
    return getattr(unit, "declared", [])


def _inside(root: str, path: str) -> bool:
    real_root, real = os.path.realpath(root), os.path.realpath(path)
    return os.path.commonpath([real_root, real]) == real_root


def _record(unit: Unit, src: str) -> dict[str, Any]:
    """What the disk cache keeps of a compiled unit (not its Python AST, which only --dump-python shows)."""
    return {"code": unit.code, "entry": unit.entry, "consts": unit.consts, "src": src,
            "func_spans": unit.func_spans, "declared": unit.declared}  # type: ignore[attr-defined]


def _from_disk(key: str, source: str) -> tuple[Unit, list] | None:
    """A compiled chunk and its modules from the disk cache, registered as if compiled here (None if absent)."""
    found = codecache.load(key)
    if found is None:
        return None
    records, deps = found
    units = []
    for record in records:
        unit = Unit(record["code"], record["entry"], record["consts"], None, [])
        unit.func_spans, unit.declared = record["func_spans"], record["declared"]  # type: ignore[attr-defined]
        _TENGO_CODE_FILES.add(unit.code.co_filename)
        _remember_functions(record["src"], unit.func_spans)  # type: ignore[attr-defined]
        units.append(unit)
    main = units.pop()
    main.all_modules = units  # type: ignore[attr-defined]
    return main, deps


def _deps_fresh(deps: list) -> bool:
    for path, src in deps:
        try:
            with open(path, "rb") as fh:
                if fh.read().decode("utf-8", "surrogateescape") != src:
                    return False
        except OSError:
            return False
    return True


def _default_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        buf = getattr(sys.stdout, "buffer", None)
        if buf is None:
            raise
        sys.stdout.flush()
        buf.write(text.encode("utf-8", "surrogateescape"))
        buf.flush()


__all__ = ["OS_REFUSED", "TengoRuntime", "call_tengo", "translate", "type_name"]
