"""`Agent`: models with a system prompt, tools and a conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from .llm import LLM_OPTIONS
from .spec import HandleType, Namespace, api

if TYPE_CHECKING:  # the runtime module loads when a spell first uses it
    from ..runtime.agents import Agent

_MODEL = {k: LLM_OPTIONS[k] for k in ("model", "system", "temperature", "max_tokens", "response_format")}
RUN_OPTIONS = {
    **_MODEL,
    "max_iterations": ("number", "tool-call rounds before the run fails (default 10)"),
    "timeout": LLM_OPTIONS["timeout"],
}
CREATE_OPTIONS = {
    "name": ("string", "unique in the session; generated if absent"),
    **RUN_OPTIONS,
    "system_prompt": ("string", "an alias of `system`"),
    "tools": ("any[]", "tool names or handles the model may call"),
    "responses": LLM_OPTIONS["responses"],
    "api_base": LLM_OPTIONS["api_base"],
    "api_key": LLM_OPTIONS["api_key"],
}


class AgentApi(Namespace):
    """Create and find agents: a model, a system prompt, tools and a conversation."""

    api_name = "Agent"
    constructor = "create"

    @api(aliases=("new",), example=("Agent", {"name": "writer", "system": "You write haiku."}),
         options=CREATE_OPTIONS)
    def create(self, opts: dict[str, Any] | None = None) -> Agent:
        """Create an agent and register it in the session."""
        if opts is not None and not isinstance(opts, dict):
            raise ApiError(f"Agent.create(opts): opts must be a map, not {type(opts).__name__}")
        return self.session.agents.create(opts)

    @api(example=("Agent", "writer"))
    def get(self, name: str) -> Agent:
        """The agent registered under `name`."""
        return self.session.agents.get(name)

    @api(example=("Agent",))
    def list(self) -> list[str]:
        """The names of the session's agents, sorted."""
        return self.session.agents.names()

    @api(example=("Agent", "writer"))
    def remove(self, name: str) -> bool:
        """Remove an agent from the session. Returns whether it existed."""
        return self.session.agents.remove(name)


class AgentMethods(HandleType):
    """An agent handle: run it, stream it, chat with it."""

    api_name = "AgentHandle"
    wraps = "llmspell_kernel.runtime.agents:Agent"

    @api(blocking=True, example=("agent", "Write a haiku about tides", {"temperature": 0.2}), options=RUN_OPTIONS)
    def run(self, agent: Agent, input: Any, opts: dict[str, Any] | None = None) -> Any:
        """Run the agent on `input` and return its answer.

        A string gives the reply text; a State gives a new State with `output` set and
        the exchange appended to `messages`; any other value is sent as JSON text.
        With `response_format` json, the decoded value is returned. Runs the tool loop.
        `opts` override the agent's settings for this run only.
        """
        return agent.run(input, opts=opts)

    @api(blocking=True, example=("agent", "Tell me about tides", "<fn>"))
    def stream(self, agent: Agent, input: Any, on_chunk: Any = None) -> str:
        """Run the agent, calling `on_chunk(text)` for each chunk (else printing it). Returns the full text."""
        return agent.run(input, on_chunk=self.session.chunk_sink(on_chunk))

    @api(example=("agent", "Summarise tides"))
    def run_async(self, agent: Agent, input: Any) -> Any:
        """Start a run and return a future (a Promise in JavaScript) of its answer."""
        return self.session.submit(agent.run, input)

    @api(blocking=True, example=("agent", "Hello!"))
    def chat(self, agent: Agent, message: Any) -> Any:
        """Send a message and keep the exchange in the agent's conversation."""
        return agent.chat(message)

    @api(example=("agent",))
    def history(self, agent: Agent) -> list[dict[str, Any]]:
        """The conversation kept by `chat`: `[{role, content}]`."""
        return agent.history()

    @api(example=("agent",))
    def reset(self, agent: Agent) -> bool:
        """Clear the conversation."""
        agent.reset()
        return True

    @api(example=("agent",))
    def info(self, agent: Agent) -> dict[str, Any]:
        """Name, model, system prompt, tools and usage totals (tokens, cost, calls)."""
        return agent.info()

    @api(property=True, example=("agent",))
    def name(self, agent: Agent) -> str:
        """The agent's name."""
        return agent.name

    @api(property=True, example=("agent",))
    def model(self, agent: Agent) -> str:
        """The model the agent calls."""
        return agent.effective_model
