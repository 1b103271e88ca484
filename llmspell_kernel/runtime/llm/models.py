"""Model strings checked before litellm is imported (seconds of CPU): a malformed string, an unknown
provider or a missing API key fails at once, with the error that names the fix.

The provider list and the model map are litellm's own, read from its installed files without importing
it; where they cannot be read, the check leaves the decision to litellm.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from ...errors import LLMError, MissingKeyError

# provider → the environment variables that hold its key, any one of them (litellm.validate_environment);
# the providers that need more than a key (azure, bedrock, vertex_ai …) are left to litellm's own check
KEYS = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY",),
    "perplexity": ("PERPLEXITYAI_API_KEY",),
}
EXAMPLE = "'openai/gpt-4o-mini'"


def check_model(model: Any, api_key: str | None = None, api_base: str | None = None) -> str | None:
    """Raise LLMError for a model string litellm would refuse, MissingKeyError when its key is not set.
    Returns the provider, or None when only litellm can tell."""
    if not isinstance(model, str) or not model or any(c.isspace() for c in model) \
            or model.startswith("/") or model.endswith("/") or "//" in model:
        raise LLMError(f"malformed model string {model!r}: write provider/model, such as {EXAMPLE}")
    provider = provider_of(model)
    if provider is None:
        _refuse_unknown(model, api_base)
        return None
    names = KEYS.get(provider)
    if names and not api_key and not any(os.environ.get(name) for name in names):
        raise missing_key(model, " or ".join(names))
    return provider


def missing_key(model: str, names: str) -> MissingKeyError:
    return MissingKeyError(f"model {model!r} needs {names}: set it in the environment "
                           "(or run with LLMSPELL_OFFLINE=1 to use the mock provider)")


def provider_of(model: str) -> str | None:
    """The litellm provider of a model string: its prefix, else the model map's entry (None if unknown)."""
    prefix, sep, _ = model.partition("/")
    if sep and prefix in providers():
        return prefix
    entry = model_map().get(model)
    return entry.get("litellm_provider") if isinstance(entry, dict) else None


def _refuse_unknown(model: str, api_base: str | None) -> None:
    """An unknown `provider/` prefix. A bare name litellm may still place (by its own rules): it decides."""
    prefix, sep, _ = model.partition("/")
    known = providers()
    if not sep or not known or api_base is not None:  # with an api_base, litellm may know the endpoint
        return
    import difflib

    close = difflib.get_close_matches(prefix, sorted(known), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise LLMError(f"unknown provider {prefix!r} in model {model!r}{hint}: write provider/model, such as {EXAMPLE}")


@cache
def _litellm_dir() -> Path | None:
    spec = importlib.util.find_spec("litellm")  # finds the package without importing it
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


@cache
def providers() -> frozenset[str]:
    """litellm's provider prefixes (its LlmProviders enum, read from source); empty if unreadable."""
    root = _litellm_dir()
    try:
        text = (root / "types" / "utils.py").read_text(encoding="utf-8") if root else ""
    except OSError:
        return frozenset()
    block = re.search(r"^class LlmProviders\(.*?\):\n(.*?)^\S", text, re.S | re.M)
    return frozenset(re.findall(r'^\s+\w+ = "([^"]+)"', block.group(1), re.M)) if block else frozenset()


@cache
def model_map() -> dict[str, Any]:
    """litellm's map of model names (the local copy it reads with LITELLM_LOCAL_MODEL_COST_MAP)."""
    root = _litellm_dir()
    try:
        return json.loads((root / "model_prices_and_context_window_backup.json").read_text(encoding="utf-8"))
    except (OSError, TypeError, ValueError):
        return {}
