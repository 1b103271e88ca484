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
from .breaker import CircuitBreaker
from .litellm_provider import LiteLLMProvider, preload
from .mock import MockProvider, MockScript
from .models import check_model

__all__ = ["LLMClient", "LLMRequest", "LLMResponse", "MockScript", "RetryPolicy", "ToolCall", "Usage"]

DEFAULT_MODEL = "mock/echo"


@dataclass
class RetryPolicy:
    tries: int = 3
    base_delay: float = 0.5  # seconds; doubles each try, with jitter
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a server's Retry-After is obeyed up to this many seconds

    def delay(self, attempt: int, exc: BaseException | None = None) -> float:
        asked = retry_after(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self.max_retry_after)
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def retry_after(exc: BaseException) -> float | None:
    """The wait a 429 or 503 asked for (`Retry-After` in seconds or as a date, or `retry-after-ms`)."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(exc, "headers", None)
    if not headers:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        if headers.get("retry-after-ms") is not None:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            import email.utils  # socket and more: only for a Retry-After given as a date

            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


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
                 retry: RetryPolicy | None = None, timeout: float | None = 120.0,
                 breaker: CircuitBreaker | None = None) -> None:
        self.bus = bus
        self.breaker = breaker or CircuitBreaker()
        self.default_model = default_model
        self.offline = offline
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._mock = MockProvider()
        self._real = LiteLLMProvider()
        self._noticed = False
        # the sandbox's rule for an `api_base` (Sandbox.check_endpoint): the env key would go there
        self.check_endpoint: Callable[[str], Any] | None = None

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

    def expect(self, model: str | None, api_key: str | None = None, api_base: str | None = None) -> None:
        """A real model will be called (a session default, a new agent): start importing litellm in the
        background, unless the call is going to fail before it needs litellm."""
        model = model or self.default_model
        if self.offline or not model or model.startswith("mock/"):
            return
        try:
            check_model(model, api_key, api_base)
        except SpellError:
            return  # the call itself reports it
        preload()

    def _route(self, request: LLMRequest) -> tuple[Any, LLMRequest]:
        if self.offline and not request.model.startswith("mock/"):
            request.model = "mock/script" if request.script is not None else "mock/echo"
        if request.model.startswith("mock/"):
            return self._mock, request
        if request.api_base is not None and self.check_endpoint is not None:
            self.check_endpoint(request.api_base)  # a SandboxError before anything is sent
        if request.timeout is None:
            request.timeout = self.timeout
        return self._real, request

    def _fail_fast(self, circuit: str, request: LLMRequest, request_id: str, source: str) -> None:
        left = self.breaker.blocked_for(circuit)
        if left <= 0:
            return
        error = LLMError(f"{circuit} is failing: its circuit is open after {self.breaker.failures(circuit)} "
                         f"consecutive failed calls; calls fail fast for another {left:.1f} s "
                         "(the llm_breaker_cooldown setting)")
        self.bus.emit("llm.error", {"model": request.model, "error": error.message, "attempts": 0},
                      source=source, parent_id=request_id)
        raise error

    def call(self, request: LLMRequest, on_chunk: Callable[[str], None] | None = None) -> LLMResponse:
        """One model call, with retries and events. Raises LLMError when it finally fails."""
        provider, request = self._route(request)
        source = f"llm:{request.model}"
        req = self.bus.emit("llm.request", {"model": request.model, "messages": request.messages}, source=source)
        began = time.perf_counter()
        circuit = None if provider is self._mock else _circuit_key(request)
        if circuit is not None:
            self._fail_fast(circuit, request, req.id, source)
        attempt = 0
        while True:
            attempt += 1
            streamed = False

            def forward(chunk: str) -> None:
                nonlocal streamed
                self.bus.emit("llm.chunk", {"model": request.model, "text": chunk}, source=source,
                              parent_id=req.id)
                streamed = True
                on_chunk(chunk)

            try:
                response = provider.complete(request) if on_chunk is None else drain(provider.stream(request), forward)
                break
            except Exception as exc:
                # a stream that already reached the cell cannot be replayed
                if attempt < self.retry.tries and is_transient(exc) and not streamed:
                    self.bus.emit("llm.retry", {"model": request.model, "attempt": attempt,
                                                "error": describe_failure(request.model, exc)},
                                  source=source, parent_id=req.id)
                    time.sleep(self.retry.delay(attempt, exc))
                    continue
                error = exc if isinstance(exc, SpellError) else LLMError(describe_failure(request.model, exc, attempt))
                self.bus.emit("llm.error", {"model": request.model, "error": error.message, "attempts": attempt},
                              source=source, parent_id=req.id, duration=elapsed_ms(began))
                if circuit is not None and is_transient(exc) and self.breaker.record_failure(circuit):
                    self.bus.emit("llm.circuit_open", {"provider": circuit, "model": request.model,
                                                       "failures": self.breaker.failures(circuit),
                                                       "cooldown": self.breaker.cooldown},
                                  source=source, parent_id=req.id)
                raise error from None
        if circuit is not None and self.breaker.record_success(circuit):
            self.bus.emit("llm.circuit_close", {"provider": circuit, "model": request.model}, source=source,
                          parent_id=req.id)
        self.bus.emit(
            "llm.response",
            {"model": request.model, "text": response.text, "usage": response.usage.to_dict(),
             "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in response.tool_calls]},
            source=source, parent_id=req.id, duration=elapsed_ms(began),
        )
        return response



def _circuit_key(request: LLMRequest) -> str:
    """One circuit per provider endpoint: the model's provider prefix and its api_base."""
    provider = request.model.split("/", 1)[0] if "/" in request.model else "openai"
    return f"{provider}@{request.api_base}" if request.api_base else provider
