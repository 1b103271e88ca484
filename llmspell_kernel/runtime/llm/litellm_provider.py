"""Real models through litellm, imported on the first real call.

litellm costs seconds of CPU and 150 MB to import, so nothing imports it until a
session knows that a real model will be used (`preload`, in the background) or a
spell calls one. Its price map is read from the package, never
downloaded, and its hints to stdout are silenced.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

from ...errors import LLMError
from .base import LLMRequest, LLMResponse, ToolCall, Usage
from .models import KEYS, check_model, missing_key

_import_lock = threading.Lock()
_preload_lock = threading.Lock()  # not the import lock: that one is held for the whole import
_litellm = None
_preloading = False


def load_litellm():
    """Import litellm once, configured for offline-safe use."""
    global _litellm
    with _import_lock:
        if _litellm is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            import litellm

            litellm.suppress_debug_info = True
            litellm.telemetry = False
            _litellm = litellm
    return _litellm


def is_loaded() -> bool:
    return _litellm is not None


def preload() -> None:
    """Start importing litellm on a background thread, once: a real model will be called soon, and its
    first call then waits only for what is left of the import."""
    global _preloading
    with _preload_lock:
        if _litellm is not None or _preloading:
            return
        _preloading = True
    threading.Thread(target=_import_quietly, name="llmspell-litellm-import", daemon=True).start()


def _import_quietly() -> None:
    try:
        load_litellm()
    except Exception:  # the first call imports it again and reports the failure where it belongs
        pass


class LiteLLMProvider:
    name = "litellm"

    def check_key(self, request: LLMRequest) -> None:
        """Fail at once, naming the variable, when the model's API key is not set; a malformed model
        string or an unknown provider fails here too, before litellm is imported where we can tell."""
        provider = check_model(request.model, request.api_key, request.api_base)
        if request.api_key or provider in KEYS:
            return
        litellm = load_litellm()
        try:
            env = litellm.validate_environment(model=request.model)
        except Exception:  # an unknown provider: litellm itself will say so on the call
            return
        missing = [k for k in env.get("missing_keys", []) if k.endswith("_KEY") or k.endswith("_TOKEN")]
        if missing:
            raise missing_key(request.model, ", ".join(missing))

    def _kwargs(self, request: LLMRequest) -> dict[str, Any]:
        # one attempt per call: LLMClient is the only retry layer (num_retries is litellm's, max_retries the
        # OpenAI SDK's, which would otherwise try twice more on a refused connection or a timeout)
        kwargs: dict[str, Any] = {"model": request.model, "messages": request.messages, "stream": True,
                                  "stream_options": {"include_usage": True}, "num_retries": 0, "max_retries": 0}
        if request.tools:
            kwargs["tools"] = request.tools
        for name in ("temperature", "max_tokens", "timeout", "api_base", "api_key"):
            value = getattr(request, name)
            if value is not None:
                kwargs[name] = value
        if request.response_format == "json" or isinstance(request.response_format, dict):
            kwargs["response_format"] = {"type": "json_object"}
        return kwargs

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Every call streams, also when no one reads the chunks: a timeout, time limit or interrupt then
        closes the connection and the server stops generating (a plain request keeps it busy to the end).
        Yields each chunk's text ("" for chunks without text, so the caller can check its budget)."""
        self.check_key(request)
        litellm = load_litellm()
        chunks = []
        stream = litellm.completion(**self._kwargs(request))
        try:
            for chunk in stream:
                chunks.append(chunk)
                choices = getattr(chunk, "choices", None) or []
                delta = getattr(choices[0], "delta", None) if choices else None
                yield (getattr(delta, "content", None) if delta is not None else None) or ""
        finally:
            _close(stream)
        if not chunks:
            raise LLMError(f"{request.model}: the provider sent an empty stream")
        full = litellm.stream_chunk_builder(chunks, messages=request.messages)
        return self._response(full, request)

    def _response(self, resp: Any, request: LLMRequest) -> LLMResponse:
        try:
            message = resp.choices[0].message
        except (AttributeError, IndexError) as exc:
            raise LLMError(f"{request.model}: malformed response from the provider ({exc})") from None
        calls = []
        for i, call in enumerate(getattr(message, "tool_calls", None) or []):
            fn = call.function
            args = fn.arguments if isinstance(fn.arguments, str) else json.dumps(fn.arguments)
            calls.append(ToolCall(id=call.id or f"call_{i}", name=fn.name or "", arguments=args or ""))
        usage = getattr(resp, "usage", None)
        result = Usage(getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0)
        try:
            result.cost = float(load_litellm().completion_cost(completion_response=resp) or 0.0)
        except Exception:  # models without a price entry (local servers) cost 0
            result.cost = 0.0
        return LLMResponse(message.content or "", calls, result, request.model)


def _close(stream: Any) -> None:
    """Close the HTTP response under litellm's stream wrapper (the OpenAI SDK's Stream, or an httpx iterator)."""
    inner = getattr(stream, "completion_stream", None)
    for target in (inner, stream):
        close = getattr(target, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # already closed, or a connection that broke: nothing left to release
                pass
            return
