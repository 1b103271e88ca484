"""OpenTelemetry traces of a session: its events, folded into spans, exported over OTLP/HTTP.

Every run is already a span of events on the bus (events.py: an opener and the closer whose parent it
is), so one sink turns them into OpenTelemetry spans with the events' own start and end times and
parents: a chunk or cell (`spell`), a workflow and its steps, an agent run (`invoke_agent`), a model
call (`chat`) and a tool call (`execute_tool`), named and described by the GenAI semantic conventions,
plus llmspell's attributes (engine, cell, state version). Other events are span events of the span
they happened in. Prompts, replies and tool arguments are attached only with `otel_capture_content`;
keys are never in an event, so never in a trace.

The session installs it when `otel_endpoint` or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set; until
then nothing here imports opentelemetry.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import OrderedDict
from typing import Any

from .events import Event, closing_status, opens_span
from .llm.base import provider_of

ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
KEEP = 10_000  # closed spans and point events remembered as parents of late events
MAX_CONTENT = 20_000  # characters of one captured prompt, reply or tool value


def wanted(endpoint: str | None) -> bool:
    """Whether traces are on: an endpoint configured or in the standard variables, and the SDK not disabled."""
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return not disabled and bool(endpoint or any(os.environ.get(var) for var in ENDPOINT_VARS))


def install(bus: Any, endpoint: str | None = None, *, capture_content: bool = False) -> TraceSink | None:
    """Export the bus's spans over OTLP/HTTP to `endpoint` (a collector's base URL, as in
    OTEL_EXPORTER_OTLP_ENDPOINT) or to where the standard variables say; None when the SDK is missing."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        print("llmspell: traces are off: OpenTelemetry is not installed (pip install 'llmspell-kernel[otel]')",
              file=sys.stderr)
        return None
    resource = Resource.create({} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "llmspell"})
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces") if endpoint else OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    sink = TraceSink(provider, capture_content=capture_content)
    bus.add_sink(sink)
    return sink


class TraceSink:
    """An event-bus sink that opens an OpenTelemetry span for each opener and ends it at its closer."""

    def __init__(self, tracer_provider: Any, *, capture_content: bool = False) -> None:
        from opentelemetry import trace  # the API only: the provider decides where spans go

        from .. import __version__

        self._trace = trace
        self.provider = tracer_provider
        self.tracer = tracer_provider.get_tracer("llmspell_kernel", __version__)
        self.capture_content = capture_content
        self._open: dict[str, tuple[Any, str, str | None]] = {}  # opener id -> (span, its type, parent opener)
        self._closed: dict[str, Any] = {}  # opener id -> its ended span, a parent for late events
        self._known: OrderedDict[str, str] = OrderedDict()  # closed openers and point events -> their opener
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if event.type == "llm.chunk":  # one per word of a stream: counted by the reply, not traced
            return
        try:
            with self._lock:
                self._add(event)
        except Exception as exc:  # a sink must not raise: a trace is never worth a failed spell
            print(f"llmspell: tracing skipped {event.type}: {exc}", file=sys.stderr)

    def _add(self, event: Event) -> None:
        opened = self._open.get(event.parent_id) if event.parent_id else None
        if opened is not None:
            status = closing_status(event, opened[1])
            if status is not None:
                self._close(event, opened[0], status)
                return
        # the span the event happened in: an open one, or one a point event or a closed span belonged to
        owner = event.parent_id if opened is not None else self._known.get(event.parent_id or "")
        if opens_span(event):
            self._start(event, owner)
        elif owner is not None:
            self._point(event, owner)

    def _start(self, event: Event, owner: str | None) -> None:
        name, kind, attributes = self._describe(event)
        parent = self._span_of(owner)
        context = self._trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(name, context=context, kind=kind, attributes=attributes,
                                      start_time=_ns(event.time))
        self._open[event.id] = (span, event.type, owner)

    def _span_of(self, owner: str | None) -> Any:
        if owner is None:
            return None
        opened = self._open.get(owner)
        return opened[0] if opened is not None else self._closed.get(owner)

    def _close(self, event: Event, span: Any, status: str) -> None:
        del self._open[event.parent_id]
        self._closed[event.parent_id] = span
        self._remember(event.parent_id, event.parent_id)
        data = event.data if isinstance(event.data, dict) else {}
        span.set_attributes(self._result(event.type, data))
        if status == "error":
            span.set_status(self._trace.StatusCode.ERROR, str(data.get("error", ""))[:MAX_CONTENT])
            span.set_attribute("error.type", event.type)
        elif status == "skipped":
            span.set_attribute("llmspell.status", "skipped")
        span.end(end_time=_ns(event.time))

    def _point(self, event: Event, owner: str) -> None:
        """A span event of the span it happened in (a state change, a user event, a retry)."""
        data = event.data if isinstance(event.data, dict) else {}
        attributes: dict[str, Any] = {"llmspell.source": event.source}
        if event.type == "state.change":
            version = int(data.get("version") or 0)
            attributes.update({"llmspell.state.key": str(data.get("key")), "llmspell.state.version": version})
            opener: str | None = owner
            while opener in self._open:  # the version each enclosing run reached
                span, _, opener = self._open[opener]
                span.set_attribute("llmspell.state.version", version)
        elif "error" in data:
            attributes["llmspell.error"] = str(data["error"])[:MAX_CONTENT]
        span = self._span_of(owner)
        if span is not None and span.is_recording():
            span.add_event(event.type, attributes, timestamp=_ns(event.time))
        self._remember(event.id, owner)

    def _remember(self, event_id: str, owner: str) -> None:
        self._known[event_id] = owner
        while len(self._known) > KEEP:
            self._closed.pop(self._known.popitem(last=False)[0], None)

    # the conventions --------------------------------------------------------------------------------------
    def _describe(self, event: Event) -> tuple[str, Any, dict[str, Any]]:
        """The span's name, kind and attributes, from its opening event."""
        data = event.data if isinstance(event.data, dict) else {}
        head = event.type.split(".", 1)[0]
        attributes: dict[str, Any] = {"llmspell.event.type": event.type, "llmspell.source": event.source}
        if event.engine:
            attributes["llmspell.engine"] = event.engine
        kind = self._trace.SpanKind.INTERNAL
        if event.type == "llm.request":
            model = str(data.get("model"))
            name = f"chat {model}"
            kind = self._trace.SpanKind.CLIENT
            attributes.update({"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                               "gen_ai.provider.name": provider_of(model)})
            self._content(attributes, "gen_ai.input.messages", data.get("messages"))
        elif event.type == "tool.call":
            tool = str(data.get("name"))
            name = f"execute_tool {tool}"
            attributes.update({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool})
            self._content(attributes, "gen_ai.tool.call.arguments", data.get("args"))
        elif event.type == "agent.start":
            agent = str(data.get("agent"))
            name = f"invoke_agent {agent}"
            attributes.update({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent})
            self._content(attributes, "llmspell.agent.input", data.get("input"))
        elif event.type == "spell.start":
            name = f"spell {data.get('chunk')}"
            attributes["llmspell.cell"] = str(data.get("chunk"))
        elif event.type == "workflow.start":
            name = f"workflow {data.get('workflow')}"
            attributes.update({"llmspell.workflow.name": str(data.get("workflow")),
                               "llmspell.workflow.kind": str(data.get("kind"))})
        elif event.type == "step.start":
            name = f"step {data.get('step')}"
            attributes.update({"llmspell.workflow.name": str(data.get("workflow")),
                               "llmspell.step.name": str(data.get("step")),
                               "llmspell.step.index": int(data.get("index") or 0)})
        else:  # a user's own `*.start`
            name = event.type if head == event.type else event.type.rsplit(".", 1)[0]
        return name, kind, attributes

    def _result(self, type: str, data: dict[str, Any]) -> dict[str, Any]:
        """What a closing event adds: usage and the response's model, and the reply or result if captured."""
        attributes: dict[str, Any] = {}
        if type == "llm.response":
            usage = data.get("usage") or {}
            attributes.update({"gen_ai.response.model": str(data.get("model")),
                               "gen_ai.usage.input_tokens": int(usage.get("prompt_tokens") or 0),
                               "gen_ai.usage.output_tokens": int(usage.get("completion_tokens") or 0),
                               "llmspell.cost": float(usage.get("cost") or 0.0)})
            if data.get("first_token_ms") is not None:
                attributes["llmspell.first_token_ms"] = float(data["first_token_ms"])
            self._content(attributes, "gen_ai.output.messages",
                          [{"role": "assistant", "content": data.get("text"), "tool_calls": data.get("tool_calls")}])
        elif type == "tool.result":
            self._content(attributes, "gen_ai.tool.call.result", data.get("result"))
        elif "output" in data:
            self._content(attributes, "llmspell.output", data.get("output"))
        return attributes

    def _content(self, attributes: dict[str, Any], name: str, value: Any) -> None:
        if self.capture_content and value is not None:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            attributes[name] = text[:MAX_CONTENT]

    def shutdown(self) -> None:
        """End what is still open (the process is going) and send the rest."""
        with self._lock:
            for span, _, _ in self._open.values():
                span.end()
            self._open.clear()
        self.provider.shutdown()


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)
