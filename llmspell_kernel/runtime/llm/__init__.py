"""The provider layer: one `LLMClient.call` for every model, mock or real.

It picks the provider from the model string, applies offline mode, retries
transient failures with backoff, counts usage, and emits `llm.*` events.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import LLMError, SpellError
from ..events import EventBus, elapsed_ms
from .base import LLMRequest, LLMResponse, ToolCall, Usage, drain
from .litellm_provider import LiteLLMProvider
from .mock import MockProvider, MockScript

__all__ = ["LLMClient", "LLMRequest", "LLMResponse", "MockScript", "RetryPolicy", "ToolCall", "Usage"]

DEFAULT_MODEL = "mock/echo"


@dataclass
class RetryPolicy:
    tries: int = 3
    base_delay: float = 0.5  # seconds; doubles each try, with jitter
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def is_transient(exc: BaseException) -> bool:
    """Timeouts, connection failures, 408, 429 and 5xx are worth another try; other errors are not."""
    if isinstance(exc, SpellError):
        return False
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):  # litellm gives its client-side timeouts status 408
        return status in (408, 429) or status >= 500
    name = type(exc).__name__
    return any(word in name for word in ("Timeout", "Connection", "ServiceUnavailable", "InternalServer"))


def describe_failure(model: str, exc: BaseException, attempts: int = 1) -> str:
    status = getattr(exc, "status_code", None)
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    return (f"{provider} model {model!r} failed" + (f" (HTTP {status})" if status else "")
            + (f" after {attempts} attempts" if attempts > 1 else "") + f": {text}")


class LLMClient:
    def __init__(self, bus: EventBus, *, default_model: str | None = None, offline: bool = False,
                 retry: RetryPolicy | None = None, timeout: float | None = 120.0) -> None:
        self.bus = bus
        self.default_model = default_model
        self.offline = offline
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._mock = MockProvider()
        self._real = LiteLLMProvider()
        self._noticed = False

    def model_for(self, requested: str | None) -> str:
        """The model a call uses: the one asked for, else the session default."""
        if requested:
            return requested
        if self.default_model:
            return self.default_model
        if not self._noticed and not self.offline:
            self._noticed = True
            print("llmspell: no model configured (LLMSPELL_MODEL); using mock/echo", file=sys.stderr)
        return DEFAULT_MODEL

    def _route(self, request: LLMRequest) -> tuple[Any, LLMRequest]:
        if self.offline and not request.model.startswith("mock/"):
            request.model = "mock/script" if request.script is not None else "mock/echo"
        if request.model.startswith("mock/"):
            return self._mock, request
        if request.timeout is None:
            request.timeout = self.timeout
        return self._real, request

    def call(self, request: LLMRequest, on_chunk: Callable[[str], None] | None = None) -> LLMResponse:
        """One model call, with retries and events. Raises LLMError when it finally fails."""
        provider, request = self._route(request)
        source = f"llm:{request.model}"
        req = self.bus.emit("llm.request", {"model": request.model, "messages": request.messages}, source=source)
        began = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            streamed = False

            def forward(chunk: str) -> None:
                nonlocal streamed
                streamed = True
                if on_chunk is not None:
                    on_chunk(chunk)

            try:
                response = drain(provider.stream(request), forward)
                break
            except Exception as exc:
                # a stream that already reached the cell cannot be replayed
                if attempt < self.retry.tries and is_transient(exc) and not streamed:
                    self.bus.emit("llm.retry", {"model": request.model, "attempt": attempt,
                                                "error": describe_failure(request.model, exc)},
                                  source=source, parent_id=req.id)
                    time.sleep(self.retry.delay(attempt))
                    continue
                error = exc if isinstance(exc, SpellError) else LLMError(describe_failure(request.model, exc, attempt))
                self.bus.emit("llm.error", {"model": request.model, "error": error.message, "attempts": attempt},
                              source=source, parent_id=req.id, duration=elapsed_ms(began))
                raise error from None
        self.bus.emit(
            "llm.response",
            {"model": request.model, "text": response.text, "usage": response.usage.to_dict(),
             "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in response.tool_calls]},
            source=source, parent_id=req.id, duration=elapsed_ms(began),
        )
        return response

