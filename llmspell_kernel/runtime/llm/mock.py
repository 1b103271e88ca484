"""The offline mock provider: deterministic replies for demos and tests.

`mock/echo` replies with the last user message and streams it word by word.
`mock/script` replies in turn with the items of an agent's `responses`: a
string is a text reply, `{tool = name, args = {...}}` a tool call.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

from ...errors import LLMError
from .base import LLMRequest, LLMResponse, ToolCall, Usage, drain


def count_words(text: str) -> int:
    return len(text.split())


class MockScript:
    """The replies a `mock/script` model gives, in turn, shared by its calls."""

    def __init__(self, responses: list[Any]) -> None:
        self.responses = list(responses)
        self.position = 0
        self._lock = threading.Lock()

    def next(self) -> Any:
        with self._lock:
            if self.position >= len(self.responses):
                raise LLMError(
                    f"mock/script has no more responses: all {len(self.responses)} were used "
                    "(add more items to `responses`)"
                )
            item = self.responses[self.position]
            self.position += 1
            return item


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _prompt_tokens(request: LLMRequest) -> int:
    return sum(count_words(_text_of(m)) for m in request.messages)


class MockProvider:
    name = "mock"

    def complete(self, request: LLMRequest) -> LLMResponse:
        return drain(self.stream(request))

    def stream(self, request: LLMRequest) -> Iterator[str]:
        kind = request.model.split("/", 1)[1] if "/" in request.model else "echo"
        if kind == "script":
            return self._script(request)
        if kind == "echo":
            return self._echo(request)
        raise LLMError(f"unknown mock model {request.model!r}: use mock/echo or mock/script")

    def _echo(self, request: LLMRequest) -> Iterator[str]:
        last = next((m for m in reversed(request.messages) if m.get("role") == "user"), None)
        text = _text_of(last) if last else ""
        yield from re.findall(r"\s*\S+", text) or ([text] if text else [])
        trailing = text[len(text.rstrip()):]
        if trailing:
            yield trailing
        return LLMResponse(text, usage=Usage(_prompt_tokens(request), count_words(text)), model=request.model)

    def _script(self, request: LLMRequest) -> Iterator[str]:
        if request.script is None:
            raise LLMError("mock/script needs `responses` (a list of replies) on the agent or call")
        item = request.script.next()
        usage = Usage(_prompt_tokens(request), 0)
        if isinstance(item, dict) and "tool" in item:
            args = item.get("args") or {}
            arguments = args if isinstance(args, str) else json.dumps(args)
            call = ToolCall(id=f"call_{request.script.position}", name=str(item["tool"]), arguments=arguments)
            usage.completion_tokens = count_words(arguments)
            return LLMResponse("", [call], usage, request.model)
        text = item if isinstance(item, str) else json.dumps(item)
        usage.completion_tokens = count_words(text)
        yield from re.findall(r"\s*\S+", text)
        return LLMResponse(text, usage=usage, model=request.model)
