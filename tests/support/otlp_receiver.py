"""A small OTLP/HTTP trace receiver for tests: `POST /v1/traces` with an ExportTraceServiceRequest protobuf.

    with OtlpReceiver() as receiver:
        ... OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url ...
        spans = receiver.wait_for(lambda spans: any(s["name"] == "chat mock/echo" for s in spans))

Each span comes back as a plain dict: name, span_id, parent_span_id (hex), trace_id, kind, status code and
message, start/end (ns), attributes (decoded AnyValues), events, and the resource's attributes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def _value(any_value: Any) -> Any:
    which = any_value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, which) if which else None


def _attributes(items: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in items}


class OtlpReceiver:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.requests = 0
        self.headers: list[dict[str, str]] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 404
                if self.path == "/v1/traces":
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    receiver._add(request, dict(self.headers.items()))
                    status = 200
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _add(self, request: ExportTraceServiceRequest, headers: dict[str, str]) -> None:
        spans = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append({
                        "name": span.name, "span_id": span.span_id.hex(), "parent_span_id": span.parent_span_id.hex(),
                        "trace_id": span.trace_id.hex(), "kind": span.kind, "status": span.status.code,
                        "status_message": span.status.message, "start": span.start_time_unix_nano,
                        "end": span.end_time_unix_nano, "attributes": _attributes(span.attributes),
                        "events": [{"name": e.name, "attributes": _attributes(e.attributes)} for e in span.events],
                        "resource": resource, "scope": scope_spans.scope.name})
        with self._changed:
            self.requests += 1
            self.headers.append(headers)
            self.spans.extend(spans)
            self._changed.notify_all()

    def wait_for(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 60) -> list[dict[str, Any]]:
        """The spans received, once `done(spans)` holds (an AssertionError after `timeout` seconds)."""
        until = time.monotonic() + timeout
        with self._changed:
            while not done(self.spans):
                left = until - time.monotonic()
                assert left > 0, f"the receiver did not get the spans in {timeout} s: {[s['name'] for s in self.spans]}"
                self._changed.wait(left)
            return list(self.spans)

    def __enter__(self) -> OtlpReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
