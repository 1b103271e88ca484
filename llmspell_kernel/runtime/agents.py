"""Agents: a model, a system prompt, tools and a conversation.

`Agent.run` drives the tool loop: model → tool calls → results → model, until
the model answers in text or `max_iterations` rounds are spent.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, BudgetError, LLMError, SpellError
from .approval import Approvals, matches
from .checks import as_list, positive_int
from .context import acting_as
from .events import EventBus
from .llm import LLMClient, LLMRequest, LLMResponse, MockScript, Usage
from .spend import SpendLimit, charging, parse_limits
from .state import StateValue
from .tools import ToolRegistry, decode_arguments

AGENT_OPTIONS = {"name", "model", "system", "system_prompt", "tools", "temperature", "max_tokens",
                 "max_iterations", "response_format", "responses", "api_base", "api_key", "timeout", "budget",
                 "approve"}


@dataclass
class UsageTotals:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    calls: int = 0

    def add(self, usage: Usage) -> None:
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost += usage.cost
        self.calls += 1

    def to_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens, "cost": self.cost,
                "calls": self.calls}


@dataclass
class Agent:
    name: str
    model: str | None
    system: str | None
    tools: list[str]
    llm: LLMClient = field(repr=False)
    registry: ToolRegistry = field(repr=False)
    bus: EventBus = field(repr=False)
    temperature: float | None = None
    max_tokens: int | None = None
    max_iterations: int = 10
    response_format: Any = None
    script: MockScript | None = None
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float | None = None
    budget: SpendLimit | None = None  # its token and cost budget, over all its runs
    approve: list[str] = field(default_factory=list)  # tool names or globs that need the user's approval
    approvals: Approvals | None = field(default=None, repr=False)
    conversation: list[dict[str, Any]] = field(default_factory=list)
    usage: UsageTotals = field(default_factory=UsageTotals)
    definition: dict[str, Any] = field(default_factory=dict, repr=False)  # the options it was made from
    on_change: Callable[[Agent], None] | None = field(default=None, repr=False)  # persists it
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def effective_model(self) -> str:
        return self.llm.model_for(self.model)

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.effective_model, "system": self.system,
                "tools": list(self.tools), "usage": self.usage.to_dict()}

    # running ----------------------------------------------------------------
    def run(self, input: Any, on_chunk: Callable[[str], None] | None = None,
            opts: dict[str, Any] | None = None) -> Any:
        """Answer `input`; a State input gives a new State with `output` set. `opts` override settings for this run."""
        overrides = _run_overrides(opts)
        if isinstance(input, StateValue):
            text = input.get("input")
            prompt = text if isinstance(text, str) else json.dumps(input.to_map(), sort_keys=True, default=str)
            output = self._answer([{"role": "user", "content": prompt}], input=prompt, on_chunk=on_chunk,
                                  overrides=overrides)
            messages = list(input.get("messages") or [])
            messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": _as_text(output)}]
            return input.merge({"output": output, "messages": messages})
        prompt = input if isinstance(input, str) else json.dumps(input, sort_keys=True, default=str)
        return self._answer([{"role": "user", "content": prompt}], input=prompt, on_chunk=on_chunk,
                            overrides=overrides)

    def chat(self, message: str, on_chunk: Callable[[str], None] | None = None) -> Any:
        """Like `run`, but the exchange is kept in the agent's conversation."""
        if not isinstance(message, str):
            message = json.dumps(message, sort_keys=True, default=str)
        with self._lock:
            history = list(self.conversation)
        turn = [{"role": "user", "content": message}]
        output = self._answer(history + turn, input=message, on_chunk=on_chunk)
        with self._lock:
            self.conversation += [*turn, {"role": "assistant", "content": _as_text(output)}]
        self._changed()
        return output

    def history(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"role": m["role"], "content": m["content"]} for m in self.conversation]

    def reset(self) -> None:
        with self._lock:
            self.conversation.clear()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def record(self) -> dict[str, Any]:
        """What a store keeps of it: its definition (never an API key), conversation and usage."""
        with self._lock:
            return {"name": self.name, "definition": dict(self.definition), "conversation": list(self.conversation),
                    "usage": self.usage.to_dict()}

    def _answer(self, messages: list[dict[str, Any]], *, input: str,
                on_chunk: Callable[[str], None] | None, overrides: dict[str, Any] | None = None) -> Any:
        settings = {**self._settings(), **(overrides or {})}
        with acting_as(agent=self.name), charging(self.budget), \
                self.bus.span("agent", {"agent": self.name, "input": input}, source=f"agent:{self.name}") as span:
            try:
                output = self._loop(messages, on_chunk, settings)
            finally:
                self._changed()  # usage moved, even when the run failed
            span["output"] = output
            return output

    def _settings(self) -> dict[str, Any]:
        """What a run may override with `opts`."""
        return {"model": self.model, "system": self.system, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "max_iterations": self.max_iterations,
                "response_format": self.response_format, "timeout": self.timeout}

    def _request(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> LLMRequest:
        system = [{"role": "system", "content": settings["system"]}] if settings["system"] else []
        return LLMRequest(
            model=self.llm.model_for(settings["model"]), messages=system + messages,
            tools=[_wire_schema(self.registry.get(t).schema()) for t in self.tools],
            temperature=settings["temperature"], max_tokens=settings["max_tokens"],
            response_format=settings["response_format"], timeout=settings["timeout"], api_base=self.api_base,
            api_key=self.api_key, script=self.script,
        )

    def _call(self, messages: list[dict[str, Any]], on_chunk, settings: dict[str, Any]) -> LLMResponse:
        try:
            response = self.llm.call(self._request(messages, settings), on_chunk)
        except BudgetError as exc:  # an overspending call was still paid for
            if exc.usage is not None:
                self.usage.add(exc.usage)
            raise
        self.usage.add(response.usage)
        return response

    def _loop(self, messages: list[dict[str, Any]], on_chunk, settings: dict[str, Any]) -> Any:
        messages = list(messages)
        bad_arguments_sent = False
        schema_retry_sent = False
        iterations = settings["max_iterations"]
        for round_ in range(max(1, iterations)):
            response = self._call(messages, on_chunk, settings)
            if not response.tool_calls:
                if round_ == 0 and self.tools:  # a model that cannot call tools (or chose not to): visibly
                    self.bus.emit("agent.tools_unused", {"agent": self.name, "model": response.model,
                                                         "tools": list(self.tools)}, source=f"agent:{self.name}")
                try:
                    return self._decode(response.text, settings["response_format"])
                except ApiError as problem:
                    if schema_retry_sent:
                        raise
                    schema_retry_sent = True
                    messages += [{"role": "assistant", "content": response.text},
                                 {"role": "user", "content": f"Your reply was invalid: {problem.message}. "
                                                             "Reply again with valid JSON only."}]
                    continue
            messages.append({"role": "assistant", "content": response.text or None,
                             "tool_calls": [c.to_message() for c in response.tool_calls]})
            for call in response.tool_calls:
                try:
                    args = decode_arguments(call.arguments)
                except ApiError as problem:
                    if bad_arguments_sent:
                        raise LLMError(f"agent {self.name!r}: the model sent malformed tool arguments twice: "
                                       f"{problem.message}") from None
                    bad_arguments_sent = True
                    result: Any = {"error": problem.message}
                else:
                    result = self._run_tool(self._tool_named(call.name), args)
                messages.append({"role": "tool", "tool_call_id": call.id,
                                 "content": result if isinstance(result, str) else json.dumps(result, default=str)})
        raise ApiError(f"agent {self.name!r} reached max_iterations ({iterations}) without a final answer")

    def _tool_named(self, wire: str) -> str:
        """The tool a model's call names: providers allow no dot in a function name (`demo__add` is `demo.add`)."""
        return next((t for t in self.tools if _wire_name(t) == wire), wire)

    def _run_tool(self, name: str, args: dict[str, Any]) -> Any:
        if name not in self.tools:
            return {"error": f"unknown tool {name!r}; this agent's tools: {', '.join(self.tools) or 'none'}"}
        try:
            refusal = self._approval(name, args)
            return refusal if refusal is not None else self.registry.call(name, args)
        except BudgetError:  # a budget stops the spell, not only this tool call
            raise
        except SpellError as exc:  # the model sees the failure and may try again
            return {"error": exc.message}

    def _approval(self, name: str, args: dict[str, Any]) -> str | None:
        """None if the tool may run; else what the model gets instead (the user, or no one, said no)."""
        if self.approvals is None or not (self.registry.get(name).approve or matches(name, self.approve)):
            return None
        return self.approvals.allow(name, args, self.name)

    @staticmethod
    def _decode(text: str, fmt: Any) -> Any:
        if fmt in (None, "text"):
            return text
        try:
            value = json.loads(_strip_fence(text))
        except json.JSONDecodeError as exc:
            raise ApiError(f"the reply is not valid JSON ({exc.msg})") from None
        if isinstance(fmt, dict):
            from .schema import matches

            error = matches(fmt, value)
            if error is not None:
                path = ".".join(str(p) for p in error.absolute_path) or "(root)"
                raise ApiError(f"the reply does not match the schema at {path}: {error.message}")
        return value


RUN_OPTIONS = {"model", "system", "temperature", "max_tokens", "max_iterations", "response_format", "timeout"}


def _wire_name(name: str) -> str:
    return name.replace(".", "__")


def _wire_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's function schema with a name providers accept (`SERVER.TOOL` of an MCP server has a dot)."""
    function = schema["function"]
    return {**schema, "function": {**function, "name": _wire_name(function["name"])}}


def _run_overrides(opts: Any) -> dict[str, Any]:
    if opts in (None, [], {}):
        return {}
    if not isinstance(opts, dict):
        raise ApiError(f"agent.run(input, opts?): opts must be a map, not {type(opts).__name__}")
    unknown = set(opts) - RUN_OPTIONS
    if unknown:
        raise ApiError(f"unknown run option(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(RUN_OPTIONS))}")
    positive_int(opts.get("max_iterations", 1), "max_iterations")
    return dict(opts)


def _strip_fence(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return stripped


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


class AgentRegistry:
    def __init__(self, llm: LLMClient, tools: ToolRegistry, bus: EventBus, backend: Any = None,
                 approvals: Approvals | None = None) -> None:
        self.llm, self.tools, self.bus, self.approvals = llm, tools, bus, approvals
        self._agents: dict[str, Agent] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._backend = backend  # a persistent store: agents come back with their conversations
        # shared by several kernels (Redis): an agent another kernel created is looked up there by name
        self._shared = bool(getattr(backend, "shared", False))
        for record in backend.load_agents() if backend is not None else ():
            self._restore(record)

    def create(self, opts: dict[str, Any] | None = None) -> Agent:
        opts = dict(opts or {})
        unknown = set(opts) - AGENT_OPTIONS
        if unknown:
            raise ApiError(f"unknown agent option(s): {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(sorted(AGENT_OPTIONS))}")
        tools = [t if isinstance(t, str) else getattr(t, "name", None) for t in as_list(opts.get("tools"))]
        for tool in tools:
            if not isinstance(tool, str):
                raise ApiError("agent option `tools` takes tool names or tool handles")
            self.tools.get(tool)  # an unknown tool is an error now, not at the first call
        iterations = positive_int(opts.get("max_iterations", 10), "max_iterations")
        approve = ["*"] if opts.get("approve") is True else as_list(opts.get("approve"))
        if not all(isinstance(p, str) for p in approve):
            raise ApiError("agent option `approve` takes tool names or globs (or true: every tool)")
        fmt = opts.get("response_format")
        if fmt not in (None, "text", "json") and not isinstance(fmt, dict):
            raise ApiError(f'response_format must be "text", "json" or a JSON schema (a map), not {fmt!r}')
        if self._shared and isinstance(opts.get("name"), str):
            self.find(opts["name"])  # one that another kernel created exists here too
        with self._lock:
            name = opts.get("name") or self._fresh_name()
            if not isinstance(name, str):
                raise ApiError(f"agent name must be a string, not {type(name).__name__}")
            if name in self._agents:
                raise ApiError(f"an agent named {name!r} already exists (Agent.get({name!r}) returns it)")
            agent = self._agents[name] = self._build({**opts, "name": name, "tools": tools,
                                                      "max_iterations": iterations, "approve": approve})
        self._save(agent)
        self.llm.expect(agent.model, agent.api_key, agent.api_base)  # a real model: litellm starts loading
        return agent

    def _build(self, opts: dict[str, Any]) -> Agent:
        responses = opts.get("responses")
        tokens, cost = parse_limits(opts.get("budget"), "agent option `budget`")
        budget = SpendLimit(f"agent:{opts['name']}", tokens, cost) if (tokens, cost) != (None, None) else None
        return Agent(
            name=opts["name"], model=opts.get("model"), system=opts.get("system") or opts.get("system_prompt"),
            tools=list(opts.get("tools") or []), llm=self.llm, registry=self.tools, bus=self.bus,
            temperature=opts.get("temperature"), max_tokens=opts.get("max_tokens"),
            max_iterations=opts.get("max_iterations", 10), response_format=opts.get("response_format"),
            script=MockScript(as_list(responses)) if responses is not None else None,
            api_base=opts.get("api_base"), api_key=opts.get("api_key"), timeout=opts.get("timeout"),
            budget=budget, approve=list(opts.get("approve") or []), approvals=self.approvals,
            definition={k: v for k, v in opts.items() if k != "api_key"},  # a key never reaches the store
            on_change=self._save if self._backend is not None else None,
        )

    def _restore(self, record: dict[str, Any]) -> Agent:
        """An agent from the store. Its tools are checked when it calls them: script tools come back later."""
        agent = self._build(record["definition"])
        agent.conversation = list(record.get("conversation") or [])
        usage = record.get("usage") or {}
        agent.usage = UsageTotals(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                                  usage.get("cost", 0.0), usage.get("calls", 0))
        if agent.budget is not None:  # what it spent before counts against its budget
            agent.budget.spent_tokens = agent.usage.prompt_tokens + agent.usage.completion_tokens
            agent.budget.spent_cost = agent.usage.cost
        return self._agents.setdefault(agent.name, agent)

    def _fetch(self, name: str) -> Agent | None:
        """On a shared session, an agent another kernel created after this one started (None if none did)."""
        record = self._backend.load_agent(name)
        if record is None:
            return None
        with self._lock:
            return self._restore(record)

    def _save(self, agent: Agent) -> None:
        if self._backend is not None:
            self._backend.save_agent(agent.record())

    def _fresh_name(self) -> str:
        while True:
            name = f"agent_{next(self._counter)}"
            if name not in self._agents:
                return name

    def get(self, name: str) -> Agent:
        agent = self.find(name)
        if agent is None:
            raise ApiError(f"no agent named {name!r}; agents: {', '.join(self.names()) or 'none'}")
        return agent

    def find(self, name: str) -> Agent | None:
        agent = self._agents.get(name)
        if agent is None and self._shared:
            agent = self._fetch(name)
        return agent

    def names(self) -> list[str]:
        if self._shared:  # with the ones other kernels created
            return sorted(set(self._agents) | set(self._backend.agent_names()))
        return sorted(self._agents)

    def remove(self, name: str) -> bool:
        with self._lock:
            existed = self._agents.pop(name, None) is not None
        if existed and self._backend is not None:
            self._backend.delete_agent(name)
        return existed

    def __iter__(self):
        return iter(list(self._agents.values()))

    def __len__(self) -> int:
        return len(self._agents)
