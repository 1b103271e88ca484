"""Record real model calls to a JSON Lines file, and replay them with no network and no key.

A `Recorder` wraps the real provider: every successful call appends one line, its request (normalised: the
fields that decide the reply, never a key, an api_base or a timeout), the chunks as they streamed, and the
response. A `Replay` stands in for the real provider: it answers a request from the line recorded for it,
chunk by chunk; a request nobody recorded fails, naming the nearest recorded one and the first field that
differs. Identical requests recorded several times are answered in their recorded order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import LLMError
from .base import LLMRequest, LLMResponse, ToolCall, Usage

# what decides a reply, in the order a mismatch is reported
KEY_FIELDS = ("model", "messages", "tools", "response_format", "temperature", "max_tokens")


def normalise(request: LLMRequest) -> dict[str, Any]:
    """The request as recorded and matched: plain JSON values, in a fixed order."""
    return json.loads(json.dumps({name: getattr(request, name) for name in KEY_FIELDS}, default=str))


def _key(normalised: dict[str, Any]) -> str:
    return json.dumps(normalised, sort_keys=True, ensure_ascii=False)


class Recorder:
    """A provider that passes calls to `inner` and appends each completed one to `path`."""

    name = "recorder"
    settings: tuple[str | None, str | None] = (None, None)  # the (llm_record, llm_replay) it stands for

    def __init__(self, inner: Any, path: str | Path) -> None:
        self.inner, self.path = inner, Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def stream(self, request: LLMRequest) -> Iterator[str]:
        chunks: list[str] = []
        inner = self.inner.stream(request)
        try:
            while True:
                try:
                    chunk = next(inner)
                except StopIteration as stop:
                    response: LLMResponse = stop.value
                    break
                chunks.append(chunk)
                yield chunk
        finally:
            inner.close()
        line = {"request": normalise(request), "chunks": [c for c in chunks if c],
                "response": {"text": response.text, "model": response.model,
                             "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments}
                                            for c in response.tool_calls],
                             "usage": {"prompt_tokens": response.usage.prompt_tokens,
                                       "completion_tokens": response.usage.completion_tokens,
                                       "cost": response.usage.cost}}}
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return response


class Replay:
    """A provider that answers only what `path` recorded."""

    name = "replay"
    settings: tuple[str | None, str | None] = (None, None)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise LLMError(f"cannot read the replay file {self.path}: {exc.strerror or exc}") from None
        self.recorded: list[dict[str, Any]] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record.get("request"), dict) or not isinstance(record.get("response"), dict):
                    raise ValueError(line)
            except (ValueError, AttributeError):
                raise LLMError(f"replay file {self.path}, line {number}: not a recorded call") from None
            self.recorded.append(record)
        self._by_key: dict[str, list[dict[str, Any]]] = {}
        for record in self.recorded:
            self._by_key.setdefault(_key(record["request"]), []).append(record)
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()

    def stream(self, request: LLMRequest) -> Iterator[str]:
        record = self._answer(normalise(request))
        yield from record.get("chunks", [])
        reply = record["response"]
        usage = reply.get("usage") or {}
        return LLMResponse(text=reply.get("text", ""), model=reply.get("model", request.model),
                           tool_calls=[ToolCall(c.get("id", ""), c["name"], c["arguments"])
                                       for c in reply.get("tool_calls", [])],
                           usage=Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                                       usage.get("cost", 0.0)))

    def _answer(self, asked: dict[str, Any]) -> dict[str, Any]:
        key = _key(asked)
        with self._lock:
            records = self._by_key.get(key)
            if records:
                served = self._served.get(key, 0)
                self._served[key] = served + 1
                return records[min(served, len(records) - 1)]  # the last answer again once all were served
        raise LLMError(self._miss(asked))

    def _miss(self, asked: dict[str, Any]) -> str:
        where = f"replay file {self.path}"
        if not self.recorded:
            return f"{where} holds no calls; record them first (--record / llm_record)"
        nearest = max(self.recorded, key=lambda r: _likeness(asked, r["request"]))
        path, theirs, ours = _first_difference(nearest["request"], asked)
        return (f"model {asked['model']!r}: this request was not recorded in {where}; the nearest recorded "
                f"request differs first at {path}: recorded {_short(theirs)}, asked {_short(ours)}")


def _likeness(asked: dict[str, Any], recorded: dict[str, Any]) -> tuple[int, int]:
    """Equal fields first, then the length of the shared message history."""
    same = sum(asked.get(f) == recorded.get(f) for f in KEY_FIELDS)
    shared = 0
    for ours, theirs in zip(asked.get("messages") or [], recorded.get("messages") or [], strict=False):
        if ours != theirs:
            break
        shared += 1
    return same, shared


_MISSING = object()


def _first_difference(recorded: Any, asked: Any, path: str = "") -> tuple[str, Any, Any]:
    """Where two JSON values first differ, as a path such as `messages[1].content`."""
    if isinstance(recorded, dict) and isinstance(asked, dict):
        for name in list(recorded) + [k for k in asked if k not in recorded]:
            theirs, ours = recorded.get(name, _MISSING), asked.get(name, _MISSING)
            if theirs != ours:
                return _first_difference(theirs, ours, f"{path}.{name}" if path else name)
    elif isinstance(recorded, list) and isinstance(asked, list):
        for index in range(max(len(recorded), len(asked))):
            theirs = recorded[index] if index < len(recorded) else _MISSING
            ours = asked[index] if index < len(asked) else _MISSING
            if theirs != ours:
                return _first_difference(theirs, ours, f"{path}[{index}]")
    return path or "(the request)", recorded, asked


def _short(value: Any, limit: int = 80) -> str:
    if value is _MISSING:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stand_in(record: str | None, replay: str | None) -> Recorder | Replay | None:
    """The provider the llm_record / llm_replay settings put in the real provider's place, if any."""
    if record and replay:
        raise LLMError("llm_record and llm_replay exclude each other: record once, then replay")
    if replay:
        found = Replay(replay)
    elif record:
        from .litellm_provider import LiteLLMProvider

        found = Recorder(LiteLLMProvider(), record)
    else:
        return None
    found.settings = (record, replay)
    return found
