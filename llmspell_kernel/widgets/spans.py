"""Events folded into a tree of spans: the model behind the event timeline, in plain Python.

A span opens with `*.start`, `tool.call` or `llm.request` and closes with the event of the same
kind whose `parent_id` is the opener (`*.complete|error|skip`, `tool.result|error`,
`llm.response|error`). Any other event is a point row under its parent; a point `*.error` (such
as `spell.error`, a failing event handler's report) has the status "error". `llm.chunk` events are
counted on their model call instead of being rows, since a stream sends one per word.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..runtime.events import Event
from .waterfall import Axis

OPENERS = {"tool.call", "llm.request"}
CLOSERS = {"complete": "ok", "result": "ok", "response": "ok", "error": "error", "skip": "skipped"}
KINDS = {"spell", "workflow", "step", "agent", "llm", "tool", "state", "artifact"}
# the data fields a detail pane shows first, under a readable title
SECTIONS = {"messages": "Prompt", "input": "Input", "args": "Arguments", "text": "Reply", "output": "Output",
            "result": "Result", "tool_calls": "Tool calls", "usage": "Usage", "error": "Error",
            "traceback": "Traceback"}
# the one section a detail pane opens: the first of these it has (the others start collapsed)
FIRST_OPEN = ("Error", "Reply", "Tool calls", "Output", "Result", "Arguments", "Input")
MAX_TEXT = 20_000  # characters of one detail section


@dataclass
class Span:
    id: str
    type: str
    kind: str
    name: str
    engine: str | None
    source: str
    start: float
    parent: str | None
    data: dict[str, Any]
    status: str = "event"  # a point event (or "error"); spans are running, ok, error or skipped
    is_span: bool = False
    duration: float | None = None
    end: dict[str, Any] | None = None  # the closing event
    tokens: int = 0
    cost: float = 0.0
    chunks: int = 0
    children: list[str] = field(default_factory=list)


def kind_of(event: Event) -> str:
    head = event.type.split(".", 1)[0]
    return head if head in KINDS and event.source != "user" else "user"


def name_of(event: Event, kind: str) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    field_name = {"spell": "chunk", "workflow": "workflow", "step": "step", "agent": "agent", "llm": "model",
                  "tool": "name", "state": "key", "artifact": "name"}.get(kind)
    value = data.get(field_name) if field_name else None
    if kind == "state" and value is not None:
        return f"{data.get('op', 'set')} {value} → v{data.get('version')}"
    return str(value) if value is not None else event.type


def is_handler_failure(event: Event) -> bool:
    """A `spell.error` reporting a failing event handler: a point row, never the end of a span."""
    return event.type == "spell.error" and isinstance(event.data, dict) and "handler" in event.data


def matches(span: Span, flt: dict[str, Any]) -> bool:
    """The timeline filter: `type` (globs, comma-separated, on the opening or closing event's type),
    `engine`, `status`, `search` (text, any case)."""
    if flt.get("type"):
        types = (span.type, (span.end or {}).get("type") or span.type)
        globs = [g.strip() for g in str(flt["type"]).split(",") if g.strip()]
        if not any(fnmatch.fnmatchcase(t, g) for g in globs for t in types):
            return False
    if flt.get("engine") and span.engine != flt["engine"]:
        return False
    if flt.get("status") and span.status != flt["status"]:
        return False
    text = str(flt.get("search") or "").lower()
    return not text or any(text in s.lower() for s in (span.name, span.type, span.source))


class SpanTree:
    """Spans by id, in arrival order, with at most `max_rows` kept (the oldest go first)."""

    def __init__(self, max_rows: int = 20_000) -> None:
        self.max_rows = max_rows
        self.spans: dict[str, Span] = {}
        self.events = 0
        self.tokens = 0
        self.cost = 0.0
        self.lock = threading.RLock()

    # ingesting -----------------------------------------------------------------------
    def add(self, event: Event) -> None:
        with self.lock:
            self.events += 1
            kind = event.type.rsplit(".", 1)
            parent = self.spans.get(event.parent_id) if event.parent_id else None
            if parent is not None and len(kind) == 2 and parent.status == "running" \
                    and parent.type.split(".", 1)[0] == kind[0] and kind[1] in CLOSERS \
                    and not is_handler_failure(event):
                self._close(parent, event, CLOSERS[kind[1]])
                return
            if event.type == "llm.chunk" and parent is not None:
                parent.chunks += 1
                return
            self._open(event, parent)

    def _open(self, event: Event, parent: Span | None) -> None:
        kind = kind_of(event)
        is_span = event.type.endswith(".start") or event.type in OPENERS
        status = "running" if is_span else "error" if event.type.endswith(".error") else "event"
        span = Span(event.id, event.type, kind, name_of(event, kind), event.engine, event.source, event.time,
                    parent.id if parent else None, event.data, status=status, is_span=is_span)
        self.spans[span.id] = span
        if parent is not None:
            parent.children.append(span.id)
        while len(self.spans) > self.max_rows:
            self._evict(next(iter(self.spans)))

    def _close(self, span: Span, event: Event, status: str) -> None:
        span.status, span.end = status, event.to_dict()
        span.duration = event.duration if event.duration is not None else (event.time - span.start) * 1000
        usage = event.data.get("usage") if event.type == "llm.response" else None
        if isinstance(usage, dict):
            tokens, cost = int(usage.get("total_tokens") or 0), float(usage.get("cost") or 0.0)
            self.tokens += tokens
            self.cost += cost
            node: Span | None = span
            while node is not None:  # a span's totals include its descendants'
                node.tokens += tokens
                node.cost += cost
                node = self.spans.get(node.parent) if node.parent else None

    def _evict(self, span_id: str) -> None:
        span = self.spans.pop(span_id)
        parent = self.spans.get(span.parent) if span.parent else None
        if parent is not None and span_id in parent.children:
            parent.children.remove(span_id)
        for child in span.children:  # orphans become roots
            if child in self.spans:
                self.spans[child].parent = None

    # reading -------------------------------------------------------------------------
    def listing(self, flt: dict[str, Any]) -> list[tuple[Span, int]]:
        """(span, depth) in tree order; with a filter, the matches and their ancestors."""
        with self.lock:
            keep: set[str] | None = None
            if any(flt.get(k) for k in ("type", "engine", "status", "search")):
                keep = set()
                for span in self.spans.values():
                    if matches(span, flt):
                        node: Span | None = span
                        while node is not None and node.id not in keep:
                            keep.add(node.id)
                            node = self.spans.get(node.parent) if node.parent else None
            out: list[tuple[Span, int]] = []
            roots = [s for s in self.spans.values() if s.parent is None or s.parent not in self.spans]
            stack = [(s, 0) for s in reversed(roots)]
            while stack:
                span, depth = stack.pop()
                if keep is not None and span.id not in keep:
                    continue
                out.append((span, depth))
                stack.extend((self.spans[c], depth + 1) for c in reversed(span.children) if c in self.spans)
            return out

    def page(self, listing: list[tuple[Span, int]], offset: int, size: int,
             now: float | None = None) -> tuple[list[dict], dict]:
        """The rows of one page, each with its waterfall bar as fractions of the page's axis, and the axis."""
        rows = listing[offset:offset + size]
        now = time.time() if now is None else now
        ends = [self._end(s, now) for s, _ in rows]
        axis = Axis.of([(s.start, end) for (s, _), end in zip(rows, ends, strict=True)])
        return [{
            "id": s.id, "depth": d, "kind": s.kind, "type": s.type, "name": s.name, "status": s.status,
            "span": s.is_span, "engine": s.engine or "", "time": _clock_time(s.start), "duration": s.duration,
            "elapsed": (now - s.start) * 1000 if s.status == "running" else None, "tokens": s.tokens,
            "cost": round(s.cost, 6), "chunks": s.chunks, "children": len(s.children),
            "left": axis.at(s.start), "width": axis.at(end) - axis.at(s.start),
        } for (s, d), end in zip(rows, ends, strict=True)], axis.to_dict()

    @staticmethod
    def _end(span: Span, now: float) -> float:
        if span.duration is not None:
            return span.start + span.duration / 1000
        return now if span.status == "running" else span.start

    def totals(self) -> dict[str, Any]:
        with self.lock:
            rows = self.spans.values()
            return {"events": self.events, "rows": len(self.spans), "spans": sum(s.is_span for s in rows),
                    "running": sum(s.status == "running" for s in rows),
                    "errors": sum(s.status == "error" for s in rows),  # failed spans and error events
                    "tokens": self.tokens, "cost": round(self.cost, 6),
                    "engines": sorted({s.engine for s in self.spans.values() if s.engine})}

    def detail(self, span_id: str) -> dict[str, Any]:
        """What a click on a row shows: the span's fields and the data of its opening and closing events."""
        with self.lock:
            span = self.spans.get(span_id)
            if span is None:
                return {}
            opener = span.data if isinstance(span.data, dict) else {"value": span.data}
            closer = (span.end or {}).get("data")
            sections = _sections(opener, "Data")
            if isinstance(closer, dict):  # only what the end adds or changes (a step's end repeats its start)
                sections += _sections({k: v for k, v in closer.items() if opener.get(k, closer) != v}, "End data")
            return {"id": span.id, "type": span.type, "kind": span.kind, "name": span.name, "status": span.status,
                    "engine": span.engine or "", "source": span.source, "duration": span.duration,
                    "end_type": (span.end or {}).get("type"), "tokens": span.tokens, "cost": round(span.cost, 6),
                    "chunks": span.chunks, "time": _clock_time(span.start), "sections": _open_one(sections)}


def _clock_time(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def _sections(data: dict[str, Any], rest_title: str) -> list[dict[str, Any]]:
    """{title, text} sections: the known fields under their titles, the rest together."""
    rest = {k: v for k, v in data.items() if k not in SECTIONS}
    known = [{"title": title, "text": _text(data[key])} for key, title in SECTIONS.items()
             if key in data and data[key] not in ([], {})]
    return ([{"title": rest_title, "text": _text(rest)}] if rest else []) + known


def _open_one(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the most useful section open (the others start collapsed)."""
    titles = [s["title"] for s in sections]
    first = next((t for t in FIRST_OPEN if t in titles), titles[0] if titles else None)
    return [{**s, "open": s["title"] == first} for s in sections]


def _text(value: Any) -> str:
    """A section's text: JSON indented, JSON held in strings (a model's tool arguments) parsed first."""
    value = _unescaped(value)
    if value == "":
        return "(empty)"
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT} more characters)"


def _unescaped(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return _unescaped(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _unescaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescaped(v) for v in value]
    return value
