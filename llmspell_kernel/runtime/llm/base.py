"""What a model call is: the request, the response, and the provider protocol."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


def provider_of(model: str) -> str:
    """The provider part of a litellm model string: `ollama` of `ollama/llama3`; a bare name is OpenAI's."""
    return model.split("/", 1)[0] if "/" in model else "openai"


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (it may be malformed)

    def to_message(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens, "cost": self.cost}


@dataclass
class LLMRequest:
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)  # OpenAI function schemas
    temperature: float | None = None
    max_tokens: int | None = None
    response_format: Any = None  # "text", "json" or a JSON schema
    timeout: float | None = None
    api_base: str | None = None
    api_key: str | None = None
    script: Any = None  # a MockScript for mock/script


@dataclass
class LLMResponse:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""


class Provider(Protocol):
    """A model backend.

    `stream` is a generator: it yields text chunks as they arrive and returns the
    complete `LLMResponse` (StopIteration.value). Closing it early drops the request.
    """

    name: str

    def stream(self, request: LLMRequest) -> Iterator[str]: ...


def drain(gen: Iterator[str], on_chunk=None) -> LLMResponse:
    """Run a provider generator to its end, passing chunks to `on_chunk`."""
    while True:
        try:
            chunk = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_chunk is not None and chunk:
            on_chunk(chunk)
