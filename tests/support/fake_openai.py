"""A small OpenAI-compatible chat server for tests, stdlib only.

It listens on 127.0.0.1 on an ephemeral port and serves `POST /v1/chat/completions`
(and `/chat/completions`), as plain JSON or as a server-sent-event stream. What it
answers is scripted per test by a queue of `Reply` values; when the queue is empty
it echoes the last user message. Every request body is recorded.

    with FakeOpenAI() as server:
        server.push(Reply.error(429, retry_after=0), Reply.text("hello"))
        ... LLM.complete("hi", {model="openai/fake-model", api_base=server.url}) ...
        assert server.calls == 2
"""

from __future__ import annotations

import itertools
import json
import select
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAI", "RecordedRequest", "RefusingServer", "Reply", "ToolCallSpec", "closed_port_url",
           "fake_openai_server"]

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass
class ToolCallSpec:
    name: str
    arguments: str  # sent verbatim: it may be malformed JSON on purpose
    id: str | None = None


@dataclass
class Reply:
    """One scripted answer. Build it with `Reply.text`, `Reply.tool_call` or `Reply.error`."""

    content: str | None = None  # the reply text (None: echo the last user message, unless tool calls)
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    status: int = 200
    error_message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts
    chunk_delay: float = 0.0  # seconds between streamed chunks
    chunks: list[str] | None = None  # how streamed text is split (default: by words)
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens); default: a word count
    raw_body: str | None = None  # sent verbatim as a 200 JSON response, or as a stream's one event (invalid JSON)
    reset_after: int | None = None  # a stream: after this many events the connection is reset (RST), mid-stream

    @classmethod
    def invalid_json(cls, body: str = '{"id": "chatcmpl-broken", "choices": [', **kw: Any) -> Reply:
        """A 200 response whose body is not valid JSON."""
        return cls(raw_body=body, **kw)

    @classmethod
    def reset(cls, after: int = 2, content: str = "this reply is cut off in the middle", **kw: Any) -> Reply:
        """A streamed reply whose connection is reset after `after` events (non-streaming: before the body)."""
        return cls(content=content, reset_after=after, **kw)

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        return cls(content=content, **kw)

    @classmethod
    def tool_call(cls, name: str, arguments: str | dict[str, Any], *, id: str | None = None,
                  content: str | None = None, **kw: Any) -> Reply:
        """A reply asking for one tool; `arguments` is a dict (sent as JSON) or raw text, sent as is."""
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        return cls(content=content, tool_calls=[ToolCallSpec(name, args, id)], **kw)

    @classmethod
    def tools(cls, calls: list[ToolCallSpec], *, content: str | None = None, **kw: Any) -> Reply:
        """A reply asking for several tools at once."""
        return cls(content=content, tool_calls=list(calls), **kw)

    @classmethod
    def error(cls, status: int, message: str | None = None, *, retry_after: float | None = None,
              **kw: Any) -> Reply:
        """An HTTP error (429, 500, ...), with an OpenAI-style error body and optional Retry-After."""
        headers = dict(kw.pop("headers", {}))
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        return cls(status=status, error_message=message, headers=headers, **kw)

    @classmethod
    def delayed(cls, seconds: float, then: Reply | None = None) -> Reply:
        """`then` (default: an echo) after `seconds`."""
        if then is None:
            return cls(delay=seconds)
        then.delay = seconds
        return then


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON body (or the raw text if it was not JSON)


class FakeOpenAI:
    """The server. Use as a context manager, or call `start()` and `stop()`."""

    def __init__(self, mode: str = "echo", model: str = "fake-model") -> None:
        if mode != "echo":
            raise ValueError(f"unknown mode {mode!r}; only 'echo' is supported")
        self.mode = mode
        self.model = model
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self.abandoned = 0  # requests whose client hung up while the reply was delayed or streaming
        self._in_flight = 0
        self.peak_in_flight = 0  # the most chat requests being answered at one moment: proves overlap
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The api_base to give a client: `http://127.0.0.1:<port>/v1`."""
        return f"http://127.0.0.1:{self.port}/v1"

    # scripting ---------------------------------------------------------------
    def push(self, *replies: Reply | str) -> None:
        """Queue replies, answered in order (a string is a text reply)."""
        with self._lock:
            self._queue.extend(Reply.text(r) if isinstance(r, str) else r for r in replies)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # what was received -------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies of the chat requests received, oldest first."""
        return [r.body for r in self.requests if r.path in CHAT_PATHS]

    @property
    def calls(self) -> int:
        return len(self.bodies)

    # internals ---------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            return self._queue.popleft() if self._queue else Reply()

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _next_id(self) -> str:
        return f"chatcmpl-fake{next(self._ids)}"

    def _sleep(self, seconds: float, connection: socket.socket | None = None) -> bool:
        """Sleep; False when the server is stopping, or when the client hung up meanwhile (counted)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._stopping.wait(min(left, 0.05)):
                return False
            if connection is not None and _hung_up(connection):
                with self._lock:
                    self.abandoned += 1
                return False
        return True


class RefusingServer:
    """A port that accepts each connection and resets it at once (RST), counting the attempts.

    A closed port refuses too, but nothing there can count; this one proves how many connections a
    client made. Its URL fails like a server that is gone: `connection reset`, never an HTTP status.
    """

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self.attempts = 0
        self._thread = threading.Thread(target=self._serve, name="refusing-server", daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._sock.accept()
            except OSError:  # closed
                return
            self.attempts += 1
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    def __enter__(self) -> RefusingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the thread in accept()
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=5)


def closed_port_url() -> str:
    """The URL of a port where nothing listens: connect() is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


def _hung_up(connection: socket.socket) -> bool:
    """Whether the client closed its side: readable, with nothing left to read."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def fake_openai_server() -> Iterator[FakeOpenAI]:
    """For a pytest fixture: `fake = pytest.fixture(fake_openai_server)`."""
    with FakeOpenAI() as server:
        yield server


def _last_user_text(body: Any) -> str:
    messages = body.get("messages") if isinstance(body, dict) else None
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _split_words(value: str) -> list[str]:
    """'a b c' -> ['a', ' b', ' c']: several chunks that join back to the text."""
    pieces: list[str] = []
    for i, word in enumerate(value.split(" ")):
        pieces.append(word if i == 0 else " " + word)
    return [p for p in pieces if p] or [value]


def _usage(body: Any, reply: Reply, content: str) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        prompt = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", [])
                     if isinstance(m, dict)) if isinstance(body, dict) else 0
        completion = max(1, len(content.split()))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping in a delay never blocks shutdown
    request_queue_size = 64  # the default backlog of 5 drops simultaneous connects on a busy machine (1 s retries)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client that hung up (a timeout, or a closed keep-alive connection)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI  # set on the subclass made by FakeOpenAI.start
    protocol_version = "HTTP/1.1"  # keep-alive; streams use chunked transfer encoding
    disable_nagle_algorithm = True  # else each small write waits for a delayed ACK (~40 ms per round trip)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # routing -------------------------------------------------------------------
    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": self.fake.model, "object": "model",
                                                          "owned_by": "fake"}]})
        else:
            self._json(404, _error_body(f"no route GET {self.path}", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        try:
            body: Any = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = raw
        path = self.path.split("?", 1)[0].rstrip("/")
        reply = self.fake._record(RecordedRequest("POST", path, dict(self.headers.items()), body))
        if path not in CHAT_PATHS:
            self._json(404, _error_body(f"no route POST {self.path}", "not_found"))
            return
        if not isinstance(body, dict):
            self._json(400, _error_body("the body is not a JSON object", "invalid_request_error"))
            return
        self.fake._enter()
        try:
            if not self.fake._sleep(reply.delay, self.connection):
                return
            if reply.reset_after is not None and not body.get("stream"):
                self._reset()
            elif reply.raw_body is not None and body.get("stream"):
                self._stream_raw(reply.raw_body)
            elif reply.raw_body is not None:
                data = reply.raw_body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
            elif reply.status >= 400:
                kind = "rate_limit_error" if reply.status == 429 else "server_error"
                message = reply.error_message or f"fake error {reply.status}"
                self._json(reply.status, _error_body(message, kind), reply.headers)
            elif body.get("stream"):
                self._stream(body, reply)
            else:
                self._complete(body, reply)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            self.close_connection = True
        finally:
            self.fake._leave()

    # answers -------------------------------------------------------------------
    def _content(self, body: dict[str, Any], reply: Reply) -> str | None:
        if reply.content is not None:
            return reply.content
        return None if reply.tool_calls else _last_user_text(body)

    def _calls(self, reply: Reply) -> list[dict[str, Any]]:
        return [{"id": c.id or f"call_fake_{i}", "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}} for i, c in enumerate(reply.tool_calls)]

    def _complete(self, body: dict[str, Any], reply: Reply) -> None:
        content = self._content(body, reply)
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reply.tool_calls:
            message["tool_calls"] = self._calls(reply)
        self._json(200, {
            "id": self.fake._next_id(), "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model") or self.fake.model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
            "usage": _usage(body, reply, content or ""),
        }, reply.headers)

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        cid, created, model = self.fake._next_id(), int(time.time()), body.get("model") or self.fake.model

        def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
            choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
            return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": choices, **extra}

        content = self._content(body, reply)
        events = [chunk({"role": "assistant", "content": ""})]
        if content:
            events += [chunk({"content": piece}) for piece in (reply.chunks or _split_words(content))]
        for index, call in enumerate(self._calls(reply)):
            # the name and id first, then the arguments in two pieces, as OpenAI does
            args = call["function"]["arguments"]
            half = len(args) // 2
            events.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                                 "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            for piece in (args[:half], args[half:]):
                if piece:
                    events.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
        events.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(chunk(None, usage=_usage(body, reply, content or "")))
        for i, event in enumerate(events):
            if reply.reset_after is not None and i >= reply.reset_after:
                self._reset()
                return
            if i and reply.chunk_delay and not self.fake._sleep(reply.chunk_delay, self.connection):
                return  # the client hung up mid-stream (counted in `abandoned`)
            self._write_chunk(f"data: {json.dumps(event)}\n\n")
        self._write_chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _stream_raw(self, raw: str) -> None:
        """A stream whose one event carries `raw` (invalid JSON on purpose)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._write_chunk(f"data: {raw}\n\n")
        self._write_chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # the wire --------------------------------------------------------------------
    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send a RST, as a crashed or cut-off peer does."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _write_chunk(self, text: str) -> None:
        data = text.encode("utf-8")
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}
