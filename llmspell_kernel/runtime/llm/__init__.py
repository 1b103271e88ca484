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
from ..context import current_budget
from ..events import EventBus, elapsed_ms
from .base import LLMRequest, LLMResponse, ToolCall, Usage, provider_of
from .breaker import CircuitBreaker
from .endpoints import Endpoints
from .litellm_provider import LiteLLMProvider, preload
from .mock import MockProvider, MockScript
from .models import check_model

__all__ = ["Endpoints", "LLMClient", "LLMRequest", "LLMResponse", "MockScript", "RetryPolicy", "ToolCall", "Usage"]

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


def failure_kind(exc: BaseException) -> str | None:
    """"refused", "reset" or "timeout" when the cause is the network, else None.

    litellm wraps the HTTP client's error (an OpenAI "Connection error." becomes an HTTP 500), so the
    cause is read from the exception chain: its classes (litellm.Timeout, httpx.ReadTimeout, ...) and, for
    providers that keep only the text, the socket error's words.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = str(cause).lower()
        if isinstance(cause, ConnectionRefusedError) or "connection refused" in text:
            return "refused"
        if isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__:
            return "timeout"
        if isinstance(cause, ConnectionResetError) or "connection reset" in text or "disconnected" in text:
            return "reset"
        cause = cause.__cause__ or cause.__context__
    return None


def describe_failure(request: LLMRequest, exc: BaseException, attempts: int = 1, timeout_setting: str = "") -> str:
    """What failed, where and why, in the user's terms: a refused connection names the URL, a timeout its
    limit and the setting that controls it."""
    model = request.model
    provider = provider_of(model)
    where = f" at {request.api_base}" if request.api_base else ""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    kind = failure_kind(exc)
    if kind == "refused":
        return f"{provider} model {model!r}: connection refused{where}{tries} (is the server running?)"
    if kind == "timeout" and request.timeout is not None:
        return (f"{provider} model {model!r}: request timed out{where}: no complete reply within "
                f"{request.timeout:g} s{tries} ({timeout_setting or 'the llm_timeout setting'})")
    status = getattr(exc, "status_code", None)
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if kind == "reset":
        text = f"the connection was closed{where} ({text})"
    return (f"{provider} model {model!r} failed" + (f" (HTTP {status})" if status and not kind else "")
            + tries + f": {text}")


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
        self.max_tokens: int | None = None  # the llm_max_tokens setting: a call's default
        self.endpoints = Endpoints()
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
            request = LLMRequest(model=model, messages=[], api_key=api_key, api_base=api_base)
            self.endpoints.fill(request)  # the config's key variable and server count as given
            check_model(model, request.api_key, request.api_base)
        except SpellError:
            return  # the call itself reports it
        preload()

    def _route(self, request: LLMRequest) -> tuple[Any, LLMRequest, str]:
        """The provider, the request with the session's defaults filled in, and the setting behind its timeout."""
        if self.offline and not request.model.startswith("mock/"):
            request.model = "mock/script" if request.script is not None else "mock/echo"
        if request.model.startswith("mock/"):
            return self._mock, request, ""
        self.endpoints.fill(request)
        if request.api_base is not None and self.check_endpoint is not None:
            self.check_endpoint(request.api_base)  # a SandboxError before anything is sent
        setting = "the agent's or call's `timeout` option"
        if request.timeout is None:
            request.timeout, setting = self.timeout, "the llm_timeout setting"
        if request.max_tokens is None:
            request.max_tokens = self.max_tokens
        return self._real, request, setting

    def _fail_fast(self, circuit: str, request: LLMRequest, request_id: str, source: str) -> None:
        left = self.breaker.blocked_for(circuit)
        if left <= 0:
            return
        error = LLMError(f"{circuit} is failing: its circuit is open after {self.breaker.failures(circuit)} "
                         f"consecutive failed calls; calls fail fast for another {left:.1f} s "
                         "(the llm_breaker_cooldown setting)")
        error.retried = True
        self.bus.emit("llm.error", {"model": request.model, "error": error.message, "attempts": 0},
                      source=source, parent_id=request_id)
        raise error

    def call(self, request: LLMRequest, on_chunk: Callable[[str], None] | None = None) -> LLMResponse:
        """One model call, with retries and events. Raises LLMError when it finally fails, or the chunk's
        TimeLimitError / InterruptedSpell when its budget runs out meanwhile (the request is dropped)."""
        provider, request, timeout_setting = self._route(request)
        source = f"llm:{request.model}"
        req = self.bus.emit("llm.request", {"model": request.model, "messages": request.messages}, source=source)
        began = time.perf_counter()
        call = _Call(self, request, req.id, source, on_chunk)
        if provider is self._mock:
            response = call.attempt(provider)  # deterministic: nothing to retry
            first_token = call.first_token_ms
        else:
            circuit = _circuit_key(request)
            self._fail_fast(circuit, request, req.id, source)
            try:
                response = self._with_retries(call, provider)
            except Exception as exc:
                attempts = call.attempts
                if isinstance(exc, SpellError):
                    error = exc
                else:
                    error = LLMError(describe_failure(request, exc, attempts, timeout_setting))
                    # a transient failure that used every attempt: a workflow step does not repeat them
                    error.retried = is_transient(exc) and attempts >= self.retry.tries
                self.bus.emit("llm.error", {"model": request.model, "error": error.message, "attempts": attempts},
                              source=source, parent_id=req.id, duration=elapsed_ms(began))
                if is_transient(exc) and self.breaker.record_failure(circuit):
                    self.bus.emit("llm.circuit_open", {"provider": circuit, "model": request.model,
                                                       "failures": self.breaker.failures(circuit),
                                                       "cooldown": self.breaker.cooldown},
                                  source=source, parent_id=req.id)
                raise error from None
            first_token = call.first_token_ms
            if self.breaker.record_success(circuit):
                self.bus.emit("llm.circuit_close", {"provider": circuit, "model": request.model}, source=source,
                              parent_id=req.id)
        self.bus.emit(
            "llm.response",
            {"model": request.model, "text": response.text, "usage": response.usage.to_dict(),
             "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in response.tool_calls],
             "first_token_ms": first_token},
            source=source, parent_id=req.id, duration=elapsed_ms(began),
        )
        return response

    def _with_retries(self, call: _Call, provider: Any) -> LLMResponse:
        """The one retry layer: litellm and the SDK under it are told to make a single attempt each."""
        import tenacity  # imported with the first real call, like litellm

        def emit_retry(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self.bus.emit("llm.retry", {"model": call.request.model, "attempt": state.attempt_number,
                                        "error": describe_failure(call.request, exc) if exc else ""},
                          source=call.source, parent_id=call.parent_id)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.retry.tries)),
            # a stream that already reached the cell cannot be replayed
            retry=tenacity.retry_if_exception(lambda exc: is_transient(exc) and not call.streamed),
            wait=lambda state: self.retry.delay(state.attempt_number,
                                                state.outcome.exception() if state.outcome else None),
            before_sleep=emit_retry, sleep=call.sleep, reraise=True)
        return retrying(call.attempt, provider)


class _Call:
    """One `LLMClient.call`: its tries, each streamed under the hood so that a time limit, an interrupt or a
    timeout closes the connection (the server stops generating), and the running chunk's budget."""

    def __init__(self, client: LLMClient, request: LLMRequest, parent_id: str, source: str,
                 on_chunk: Callable[[str], None] | None) -> None:
        self.client, self.request, self.parent_id, self.source = client, request, parent_id, source
        self.on_chunk = on_chunk
        self.budget = current_budget()
        self.timeout = request.timeout  # the whole of one try, not only the wait for each byte
        self.attempts = 0
        self.streamed = False  # text reached the cell
        self.first_token_ms: float | None = None

    def attempt(self, provider: Any) -> LLMResponse:
        self.attempts += 1
        self.first_token_ms = None
        began = time.perf_counter()
        limit = self._seconds_left(self.timeout)
        self.request.timeout = limit  # the HTTP client's wait for each byte, within what is left
        stream = provider.stream(self.request)
        try:
            while True:
                try:
                    chunk = next(stream)
                except StopIteration as stop:
                    return stop.value
                if self.first_token_ms is None:
                    self.first_token_ms = elapsed_ms(began)
                self._check(limit, began)
                if chunk and self.on_chunk is not None:
                    self.client.bus.emit("llm.chunk", {"model": self.request.model, "text": chunk},
                                         source=self.source, parent_id=self.parent_id)
                    self.streamed = True
                    self.on_chunk(chunk)
        except Exception:
            self._check(None, began)  # a timeout that the chunk's time limit caused is that limit
            raise
        finally:
            stream.close()  # drops the HTTP response, so the server sees the client go
            self.request.timeout = self.timeout

    def _seconds_left(self, timeout: float | None) -> float | None:
        """The time this try may take: its timeout, within the chunk's time limit."""
        left = self.budget.seconds_left() if self.budget is not None else None
        if left is not None and left <= 0:
            self._check(None, 0.0)
        return left if timeout is None or (left is not None and left < timeout) else timeout

    def _check(self, limit: float | None, began: float) -> None:
        """Stop for the chunk's time limit or an interrupt; a try that outlived its timeout is a timeout."""
        error = self.budget.budget_error() if self.budget is not None else None
        if error is not None:
            raise error
        if limit is not None and time.perf_counter() - began > limit:
            raise TimeoutError(f"timed out after {limit:g} s")

    def sleep(self, seconds: float) -> None:
        """Wait before the next try, but stop at the chunk's time limit or an interrupt."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            self._check(None, 0.0)
            time.sleep(min(left, 0.1))
        self._check(None, 0.0)


def _circuit_key(request: LLMRequest) -> str:
    """One circuit per provider endpoint: the model's provider prefix and its api_base."""
    provider = provider_of(request.model)
    return f"{provider}@{request.api_base}" if request.api_base else provider
