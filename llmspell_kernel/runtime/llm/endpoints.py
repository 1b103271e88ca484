"""Where real models are served: the config's `api_base` and key variable, per model or provider."""

from __future__ import annotations

import os
from typing import Any

from ...errors import MissingKeyError
from .base import LLMRequest, provider_of


class Endpoints:
    """Where real models are served: the `api_base` and key variable of the config, per model or provider.

    A call's own `api_base` wins, then `[endpoints."<model>"]`, `[endpoints.<provider>]`, the top-level
    `api_base` (for the default model's provider, or every model when no default is set), and last the
    provider's `<PROVIDER>_API_BASE` variable, which litellm would read by itself: filled in here, so the
    network policy sees it too.
    """

    def __init__(self) -> None:
        self.default_model: str | None = None
        self.api_base: str | None = None
        self.api_key_env: str | None = None
        self.by_name: dict[str, dict[str, Any]] = {}

    def fill(self, request: LLMRequest) -> None:
        provider = provider_of(request.model)
        default_provider = provider_of(self.default_model) if self.default_model else None
        top = {"api_base": self.api_base, "api_key_env": self.api_key_env} \
            if default_provider in (None, provider) else {}
        found: dict[str, Any] = {}
        for layer in (top, self.by_name.get(provider, {}), self.by_name.get(request.model, {})):
            found.update({k: v for k, v in layer.items() if v})
        if request.api_base is None:
            request.api_base = found.get("api_base") or _env_api_base(provider)
        variable = found.get("api_key_env")
        if request.api_key is None and variable:
            if not os.environ.get(variable):
                raise MissingKeyError(f"model {request.model!r} needs {variable} (the api_key_env setting): "
                                      "set it in the environment")
            request.api_key = os.environ[variable]


def _env_api_base(provider: str) -> str | None:
    names = [f"{provider.upper()}_API_BASE"] + (["OPENAI_BASE_URL"] if provider == "openai" else [])
    return next((os.environ[n] for n in names if os.environ.get(n)), None)
