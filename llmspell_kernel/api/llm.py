"""`LLM` and `Prompt`: direct model calls and sandboxed templates."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from .spec import Namespace, api

if TYPE_CHECKING:  # the runtime module loads when a spell first uses it
    from ..runtime.llm import LLMRequest

LLM_OPTIONS = {
    "model": ("string", "a litellm model string (default: the session's `model`)"),
    "system": ("string", "a system prompt, sent before the conversation"),
    "temperature": ("number", "sampling temperature"),
    "max_tokens": ("number", "the most tokens the reply may have (default: the `llm_max_tokens` setting)"),
    "response_format": ('"text" | "json" | Record<string, any>', '"text", "json" or a JSON schema'),
    "api_base": ("string", "the server's URL, e.g. `http://127.0.0.1:8080/v1` (default: the config's "
                           "`api_base` or `endpoints`); a loopback server or a host in `allowed_hosts`"),
    "api_key": ("string", "the key to send (default: the provider's variable, or the config's `api_key_env`)"),
    "timeout": ("number", "seconds one attempt may take (default: the `llm_timeout` setting)"),
    "responses": ("any[]", "the replies of `mock/script`, in turn"),
}


class LLMApi(Namespace):
    """Call a model directly, without an agent."""

    api_name = "LLM"

    def _request(self, messages: list[dict[str, Any]], opts: Any) -> LLMRequest:
        from ..runtime.llm import LLMRequest, MockScript  # the provider layer: for a spell that calls a model

        opts = dict(opts or {})
        unknown = set(opts) - set(LLM_OPTIONS)
        if unknown:
            raise ApiError(f"LLM: unknown option(s) {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(sorted(LLM_OPTIONS))}")
        if opts.get("system"):
            messages = [{"role": "system", "content": opts["system"]}, *messages]
        responses = opts.get("responses")
        return LLMRequest(
            model=self.session.llm.model_for(opts.get("model")), messages=messages,
            temperature=opts.get("temperature"), max_tokens=opts.get("max_tokens"),
            response_format=opts.get("response_format"), api_base=opts.get("api_base"),
            api_key=opts.get("api_key"), timeout=opts.get("timeout"),
            script=MockScript(responses) if responses is not None else None,
        )

    @api(blocking=True, example=("LLM", "Name three tides", {"model": "mock/echo"}), options=LLM_OPTIONS)
    def complete(self, prompt: str, opts: dict[str, Any] | None = None) -> str:
        """Send one prompt; returns the reply text."""
        return self.session.llm.call(self._request([{"role": "user", "content": _text(prompt)}], opts)).text

    @api(blocking=True, example=("LLM", [{"role": "user", "content": "Hi"}]), options=LLM_OPTIONS)
    def chat(self, messages: list[dict[str, Any]], opts: dict[str, Any] | None = None) -> str:
        """Send a conversation `[{role, content}]`; returns the reply text."""
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m for m in messages):
            raise ApiError("LLM.chat(messages): messages must be a list of {role, content} maps")
        roles = {m["role"] for m in messages} - {"system", "user", "assistant", "tool"}
        if roles:
            raise ApiError(f"LLM.chat(messages): unknown role(s) {', '.join(sorted(map(str, roles)))}; "
                           "roles are system, user, assistant and tool")
        return self.session.llm.call(self._request(messages, opts)).text

    @api(blocking=True, example=("LLM", "Tell a story", "<fn>"), options=LLM_OPTIONS)
    def stream(self, prompt: str, on_chunk: Any = None, opts: dict[str, Any] | None = None) -> str:
        """Stream a reply: `on_chunk(text)` for each chunk (else the chunks are printed). Returns the full text."""
        request = self._request([{"role": "user", "content": _text(prompt)}], opts)
        return self.session.llm.call(request, self.session.chunk_sink(on_chunk)).text


class PromptApi(Namespace):
    """Templates for prompts."""

    api_name = "Prompt"

    @api(example=("Prompt", "Hello {{ name }}!", {"name": "Ada"}))
    def render(self, template: str, vars: dict[str, Any] | None = None) -> str:
        """Render a Jinja2 template with `vars`, in Jinja2's sandbox."""
        from jinja2.exceptions import TemplateError  # imported on first use: kernel start stays lean

        try:
            return _environment().from_string(_text(template)).render(**(vars or {}))
        except TemplateError as exc:
            raise ApiError(f"Prompt.render: {exc}") from None
        except TypeError as exc:  # include, import, extends: the environment has no loader, so no files
            if "no loader" not in str(exc):
                raise
            raise ApiError("Prompt.render: a template cannot include, import or extend other templates "
                           "(templates never read files)") from None


@functools.cache
def _environment() -> Any:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ApiError(f"expected a string, got {type(value).__name__}")
    return value
