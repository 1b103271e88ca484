"""The tool registry: named functions with a JSON-schema for their arguments.

A tool's `fn` is any callable: a built-in below, a Python function, or a
script function from any engine (which runs inside its engine, under its lock).
Every call, from an agent or from `Tool.call`, is a `tool.call` span.
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import json
import math
import operator
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, SandboxError, SpellError
from .context import acting_as, under_parent
from .events import EventBus, elapsed_ms
from .sandbox import Sandbox, read_text
from .schema import first_error, jsonschema, validator
from .stored import StoredFunction, function_record


@dataclass
class Tool:
    name: str
    description: str
    params: dict[str, Any]
    fn: Callable[[dict[str, Any]], Any]
    builtin: bool = False
    approve: bool = False  # an agent's call waits for the user's approval (runtime/approval.py)
    _validator: Any = field(default=None, repr=False)

    def validate(self, args: dict[str, Any]) -> None:
        if self._validator is None:
            self._validator = jsonschema().Draft202012Validator(self.params)
        first = first_error(self._validator, args)
        if first is not None:
            path = ".".join(str(p) for p in first.absolute_path)
            if first.validator == "required":
                missing = first.message.split("'")[1] if "'" in first.message else first.message
                full = f"{path}.{missing}" if path else missing  # inside a nested map or a list item
                raise ApiError(f"tool {self.name!r}: missing required argument {full!r}")
            where = f"argument {path!r}" if path else "arguments"
            raise ApiError(f"tool {self.name!r}: {where}: {first.message}")

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling form of this tool."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.params}}

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "params": self.params, "builtin": self.builtin,
                "approve": self.approve}


class ToolRegistry:
    def __init__(self, bus: EventBus, sandbox: Sandbox, backend: Any = None) -> None:
        self.bus = bus
        self.sandbox = sandbox
        self.backend = backend  # a persistent store: script tools are saved by engine and source
        # shared by several kernels (Redis): a tool another kernel registered is looked up there by name
        self._shared = bool(getattr(backend, "shared", False))
        self._session: Any = None  # what a stored function compiles in (set by `restore`)
        self._tools: dict[str, Tool] = {}
        # other providers of tools, asked by name: `find(name) -> Tool | None` and `tool_names()` (MCP servers)
        self.sources: list[Any] = []
        self._lock = threading.Lock()
        for tool in builtin_tools(sandbox):
            self._tools[tool.name] = tool

    def restore(self, session: Any) -> None:
        """Register the tools the store holds; each function compiles again when its engine loads."""
        self._session = session
        for record in self.backend.load_tools() if self.backend is not None else ():
            with self._lock:
                self._tools[record["name"]] = self._stored_tool(record)

    def _stored_tool(self, record: dict[str, Any]) -> Tool:
        fn = StoredFunction(self._session, record["engine"], record["source"])
        return Tool(record["name"], record["description"], record["params"], fn, approve=bool(record.get("approve")))

    def _fetch(self, name: str) -> Tool | None:
        """On a shared session, a tool another kernel registered after this one started (None if none did)."""
        record = self.backend.load_tool(name)
        if record is None:
            return None
        with self._lock:
            return self._tools.setdefault(name, self._stored_tool(record))

    def bind_stored(self, engine: Any) -> None:
        """`engine` has just loaded: compile the stored tool functions that belong to it."""
        for tool in list(self._tools.values()):
            if isinstance(tool.fn, StoredFunction) and tool.fn.engine == engine.name:
                tool.fn.bind(engine)

    def register(self, name: str, fn: Callable, description: str = "", params: dict | None = None,
                 approve: bool = False) -> Tool:
        if not isinstance(name, str) or not name.isidentifier():
            raise ApiError(f"invalid tool name {name!r}: use letters, digits and underscores")
        if not callable(fn):
            raise ApiError(f"tool {name!r} needs `fn`, a function")
        params = params or {"type": "object", "properties": {}}
        checked = validator(params, f"tool {name!r}: invalid params schema")
        if not isinstance(approve, bool):
            raise ApiError(f"tool {name!r}: `approve` must be true or false, not {approve!r}")
        tool = Tool(name, description or "", params, fn, approve=approve, _validator=checked)
        with self._lock:
            self._tools[name] = tool
        if self.backend is not None:
            self._save(tool)
        return tool

    def _save(self, tool: Tool) -> None:
        try:
            record = function_record(tool.fn)
        except ApiError as exc:  # the tool works now; the user learns why it will not come back
            self.backend.delete_tool(tool.name)
            sys.stderr.write(f"note: tool {tool.name!r} is not saved with the session: {exc.message}\n")
            return
        self.backend.save_tool({"name": tool.name, "description": tool.description, "params": tool.params,
                                "approve": tool.approve, **record})

    def get(self, name: str) -> Tool:
        tool = self._tools.get(name)
        if tool is None and self._shared:
            tool = self._fetch(name)
        if tool is None and "." in name:
            tool = next((found for source in self.sources if (found := source.find(name)) is not None), None)
        if tool is None:
            raise ApiError(f"unknown tool {name!r}; known tools: {', '.join(self.names())}")
        return tool

    def names(self, *, sources: bool = True) -> list[str]:
        names = set(self._tools)
        if self._shared:  # with the ones other kernels registered
            names |= set(self.backend.tool_names())
        return sorted(names.union(*(source.tool_names() for source in self.sources if sources)))

    def remove(self, name: str) -> bool:
        with self._lock:
            removed = self._tools.pop(name, None) is not None
        if removed and self.backend is not None:
            self.backend.delete_tool(name)
        return removed

    def call(self, name: str, args: Any) -> Any:
        """Validate and run a tool, as a `tool.call` → `tool.result`/`tool.error` span."""
        args = {} if args is None else args
        whose = {"name": name}  # and the MCP server a tool comes from, in each of its events
        server = next((found for source in self.sources if (found := source.server_of(name))), None) \
            if isinstance(name, str) else None  # a name of the wrong kind fails below, as a usage error
        if server is not None:
            whose["server"] = server
        start = self.bus.emit("tool.call", {**whose, "args": args}, source=f"tool:{name}")
        began = time.perf_counter()
        try:
            tool = self.get(name)
            if not isinstance(args, dict):
                raise ApiError(f"tool {name!r}: arguments must be a map, not {type(args).__name__}")
            tool.validate(args)
            with acting_as(tool=name), under_parent(start.id):
                result = tool.fn(args)
        except Exception as exc:
            message = exc.message if isinstance(exc, SpellError) else f"{type(exc).__name__}: {exc}"
            self.bus.emit("tool.error", {**whose, "error": message}, source=f"tool:{name}",
                          parent_id=start.id, duration=elapsed_ms(began))
            raise
        self.bus.emit("tool.result", {**whose, "result": result}, source=f"tool:{name}",
                      parent_id=start.id, duration=elapsed_ms(began))
        return result



# built-in tools --------------------------------------------------------------

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS = {name: getattr(math, name) for name in ("sqrt", "sin", "cos", "tan", "log", "log10", "exp", "floor", "ceil")}
_FUNCS.update(abs=abs, round=round, min=min, max=max)
_CONSTS = {"pi": math.pi, "e": math.e}


# what a built-in tool may do per call: a model chooses the arguments, so each is bounded (SECURITY.md)
MAX_EXPRESSION = 1000  # characters of a calculator expression
MAX_INT_BITS = 4096  # bits of an integer operand or result (about 1233 decimal digits)
MAX_ROUND_DIGITS = 100  # round(x, n): |n|
MAX_FILE_BYTES = 5 * 1024 * 1024  # file_read, file_write, and an HTTP response body
MAX_LISTING = 1000  # entries file_list returns
HTTP_SECONDS = 30.0  # an HTTP request, whole: connect, headers and body
MAX_TIMEZONE = 64  # characters of a timezone name
_DIGITS = int(MAX_INT_BITS * math.log10(2))


def calculate(expression: str) -> int | float:
    """Arithmetic on numbers only: no names but math functions, no attributes; bounded in size and work."""
    if len(expression) > MAX_EXPRESSION:
        raise ApiError(f"calculator: expression too long ({len(expression)} characters, at most {MAX_EXPRESSION})")
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, RecursionError, MemoryError):
        raise ApiError(f"calculator: cannot parse {expression!r}") from None

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return _bounded(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow):
                _check_power(left, right)
            return _bounded(_BINARY[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Name) and node.id in _CONSTS:
            return _CONSTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
                and not node.keywords:
            args = [ev(a) for a in node.args]
            if node.func.id == "round" and len(args) == 2 and abs(args[1]) > MAX_ROUND_DIGITS:
                raise ApiError(f"calculator: round() takes at most {MAX_ROUND_DIGITS} digits")
            return _bounded(_FUNCS[node.func.id](*args))
        raise ApiError(f"calculator: unsupported expression {ast.unparse(node)!r}")

    try:
        return ev(tree)
    except ZeroDivisionError:
        raise ApiError("calculator: division by zero") from None
    except RecursionError:
        raise ApiError("calculator: expression nested too deeply") from None
    except OverflowError:
        raise ApiError("calculator: the result is too large") from None
    except (ValueError, TypeError) as exc:  # math domain errors, bad arguments
        raise ApiError(f"calculator: {exc}") from None


def _bounded(value: Any) -> Any:
    """An operand or result the calculator keeps working with: a finite float, or an int of MAX_INT_BITS."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ApiError(f"calculator: a number beyond {MAX_INT_BITS} bits (about {_DIGITS} digits)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ApiError("calculator: the result is not a finite number")
    if isinstance(value, complex):  # (-8) ** (1/3)
        raise ApiError("calculator: the result is not a real number")
    return value


def _check_power(base: Any, exponent: Any) -> None:
    """Refuse a power whose result would pass the bounds, before computing it."""
    if abs(exponent) > 1000:
        raise ApiError("calculator: exponent too large")
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 \
            and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
        raise ApiError(f"calculator: a number beyond {MAX_INT_BITS} bits (about {_DIGITS} digits)")


def json_query(data: Any, path: str) -> Any:
    """A dotted path with list indexes: `items.0.name` or `items[0].name`."""
    node = data
    for part in path.replace("[", ".").replace("]", "").split("."):
        if part in ("", "$"):
            continue
        if isinstance(node, list) and part.lstrip("-").isdigit():
            index = int(part)
            node = node[index] if -len(node) <= index < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def http_fetch(sandbox: Sandbox, method: str, url: str, headers: dict | None = None,
               body: str | None = None, limit: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """One request, bounded: HTTP_SECONDS in all (a server that drips its answer is cut off), `limit` bytes."""
    import urllib.error
    import urllib.request  # http.client and ssl: imported for the first request, not at start

    sandbox.check_url(url)
    request = urllib.request.Request(url, method=method.upper(), headers=headers or {},
                                     data=body.encode() if isinstance(body, str) else None)
    opener = urllib.request.build_opener(_no_redirect(sandbox))
    deadline = time.monotonic() + HTTP_SECONDS
    try:
        with opener.open(request, timeout=HTTP_SECONDS) as resp:
            raw = _read_until(resp, limit + 1, deadline)
            status, resp_headers = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw, status, resp_headers = _read_until(exc, limit + 1, deadline), exc.code, dict(exc.headers)
    except urllib.error.URLError as exc:
        raise ApiError(f"request to {url} failed: {exc.reason}") from None
    except TimeoutError:
        raise ApiError(f"request to {url} took longer than {HTTP_SECONDS:g} s") from None
    text = raw[:limit].decode("utf-8", "replace")
    return {"status": status, "headers": resp_headers, "body": text, "truncated": len(raw) > limit}


def _read_until(resp: Any, size: int, deadline: float) -> bytes:
    """Up to `size` bytes of a response, read in pieces so that the deadline holds between them."""
    chunks, count = [], 0
    while count < size:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = resp.read1(min(64 * 1024, size - count)) if hasattr(resp, "read1") else resp.read(size - count)
        if not chunk:
            break
        chunks.append(chunk)
        count += len(chunk)
    return b"".join(chunks)


def _no_redirect(sandbox: Sandbox) -> Any:
    """A redirect handler that follows a redirect only to a host the sandbox allows too."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            sandbox.check_url(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return NoRedirect()


def _obj(required: list[str] | None = None, **props: dict) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or [], "additionalProperties": False}


_STR = {"type": "string"}


def builtin_tools(sandbox: Sandbox) -> list[Tool]:
    def file_read(a: dict) -> str:
        path = sandbox.resolve(a["path"])
        if not path.is_file():
            raise ApiError(f"file_read: no file {a['path']!r}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ApiError(f"file_read: {a['path']!r} is larger than {MAX_FILE_BYTES // 2**20} MB")
        return read_text(path, a["path"])

    def file_write(a: dict) -> dict:
        if len(a["content"]) > MAX_FILE_BYTES:
            raise ApiError(f"file_write: content larger than {MAX_FILE_BYTES // 2**20} MB")
        path = sandbox.resolve(a["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path = sandbox.resolve(a["path"])  # re-check: a parent may be a symlink
        path.write_text(a["content"], encoding="utf-8")
        return {"path": sandbox.display(path), "bytes": len(a["content"].encode())}

    def file_list(a: dict) -> list[str]:
        path = sandbox.resolve(a.get("path") or ".")
        if not path.is_dir():
            raise ApiError(f"file_list: no folder {a.get('path')!r}")
        entries = list(itertools.islice(path.iterdir(), MAX_LISTING + 1))  # stop early in a huge folder
        if len(entries) > MAX_LISTING:
            raise ApiError(f"file_list: {a.get('path') or '.'!r} holds more than {MAX_LISTING} entries; "
                           "list a subfolder")
        return sorted(p.name + ("/" if p.is_dir() else "") for p in entries)

    def datetime_now(a: dict) -> str:
        tz = a.get("timezone")
        if tz:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                if len(tz) > MAX_TIMEZONE:  # IANA names are short; a long one only costs a file lookup
                    raise ValueError
                return dt.datetime.now(ZoneInfo(tz)).isoformat()
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise ApiError(f"datetime_now: unknown timezone {tz[:80]!r}") from None
        return dt.datetime.now(dt.timezone.utc).isoformat()

    def web_fetch(a: dict) -> str:
        result = http_fetch(sandbox, "GET", a["url"])
        if result["status"] >= 400:
            raise ApiError(f"web_fetch: {a['url']} answered HTTP {result['status']}")
        return result["body"]

    def http_request(a: dict) -> dict:
        return http_fetch(sandbox, a["method"], a["url"], a.get("headers"), a.get("body"))

    specs = [
        ("calculator", "Evaluate an arithmetic expression.", _obj(["expression"], expression=_STR),
         lambda a: calculate(a["expression"])),
        ("datetime_now", "The current date and time (ISO 8601), UTC or in a named timezone.",
         _obj(timezone=_STR), datetime_now),
        ("uuid", "A new random UUID.", _obj(), lambda a: str(uuid.uuid4())),
        ("json_query", "Read a value from JSON data by a dotted path (items.0.name).",
         _obj(["data", "path"], data={}, path=_STR), lambda a: json_query(a["data"], a["path"])),
        ("file_read", "Read a text file under the sandbox root.", _obj(["path"], path=_STR), file_read),
        ("file_write", "Write a text file under the sandbox root.",
         _obj(["path", "content"], path=_STR, content=_STR), file_write),
        ("file_list", "List a folder under the sandbox root.", _obj(path=_STR), file_list),
        ("web_fetch", "Fetch a web page (only hosts the sandbox allows).", _obj(["url"], url=_STR), web_fetch),
        ("http_request", "Make an HTTP request (only hosts the sandbox allows).",
         _obj(["method", "url"], method={"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]},
              url=_STR, headers={"type": "object", "additionalProperties": _STR}, body=_STR), http_request),
    ]
    return [Tool(name, doc, params, fn, builtin=True) for name, doc, params, fn in specs]


def decode_arguments(text: str) -> dict[str, Any]:
    """A model's tool-call arguments as a map, or an ApiError saying why not."""
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ApiError(f"tool arguments are not valid JSON ({exc}): {text[:200]!r}") from None
    if not isinstance(value, dict):
        raise ApiError(f"tool arguments must be a JSON object, got {type(value).__name__}")
    return value


__all__ = ["SandboxError", "Tool", "ToolRegistry", "calculate", "decode_arguments", "json_query"]
