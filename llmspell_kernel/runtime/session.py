"""The shared store: one per notebook, kernel or CLI run.

A Session holds the agents, tools, state, events, configuration, sandbox policy
and the live engines. Every engine of a session binds the same API to it, so a
Lua cell can create an agent that a JavaScript cell runs.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from .config import Config
from .context import run_in_context
from .events import EventBus
from .sandbox import MB, Limits, Sandbox, read_text
from .state import ROOT, StateStore, StateView
from .store import open_store

if TYPE_CHECKING:
    from concurrent.futures import Future

    from .agents import AgentRegistry
    from .artifacts import ArtifactStore
    from .llm import LLMClient
    from .mcp import McpServers
    from .pool import InlineWhenBusyPool
    from .tools import ToolRegistry
    from .workflows import WorkflowBuilder

DisplayHook = Callable[[Any, "str | None"], None]


class _Part:
    """A session part made on first use, once: a trivial spell needs few of them, and the modules of the
    others (the provider layer, tools, agents, workflows) would cost every start. After the first use the
    part is a plain attribute of the session."""

    def __init__(self, make: Callable[[Session], Any]) -> None:
        self.make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, session: Session | None, owner: type | None = None) -> Any:
        if session is None:
            return self
        with session._parts_lock:  # re-entrant: agents need tools and the LLM client
            if self.name not in session.__dict__:
                session.__dict__[self.name] = self.make(session)
        return session.__dict__[self.name]


def _llm(session: Session) -> LLMClient:
    from .llm import LLMClient, RetryPolicy
    from .llm.breaker import CircuitBreaker

    llm = LLMClient(session.events, retry=RetryPolicy(), breaker=CircuitBreaker())
    llm.check_endpoint = session.sandbox.check_endpoint  # an api_base is network access too
    session._apply_llm_settings(llm)
    return llm


def _telemetry(cfg: Config, bus: EventBus) -> Any:
    from . import telemetry

    if not telemetry.wanted(cfg.otel_endpoint):
        return None
    return telemetry.install(bus, cfg.otel_endpoint, capture_content=cfg.otel_capture_content)


def _tools(session: Session) -> ToolRegistry:
    from .tools import ToolRegistry

    tools = ToolRegistry(session.events, session.sandbox, backend=session.backend)
    tools.restore(session)
    tools.sources.append(session.mcp)  # SERVER.TOOL: the tools of the configured MCP servers
    return tools


def _mcp(session: Session) -> McpServers:
    from .mcp import McpServers

    return McpServers(session)


def _agents(session: Session) -> AgentRegistry:
    from .agents import AgentRegistry
    from .approval import Approvals

    approvals = Approvals(session.events, lambda: session.config.approved_tools)
    return AgentRegistry(session.llm, session.tools, session.events, backend=session.backend, approvals=approvals)


def _artifacts(session: Session) -> ArtifactStore:
    from .artifacts import ArtifactStore

    return ArtifactStore(session.events)


def _workflows(session: Session) -> WorkflowBuilder:
    from .workflows import WorkflowBuilder

    return WorkflowBuilder(session)


class Session:
    llm: LLMClient = _Part(_llm)  # type: ignore[assignment]
    tools: ToolRegistry = _Part(_tools)  # type: ignore[assignment]
    agents: AgentRegistry = _Part(_agents)  # type: ignore[assignment]
    artifacts: ArtifactStore = _Part(_artifacts)  # type: ignore[assignment]
    workflows: WorkflowBuilder = _Part(_workflows)  # type: ignore[assignment]
    mcp: McpServers = _Part(_mcp)  # type: ignore[assignment]

    def __init__(self, config: Config | None = None, **overrides: Any) -> None:
        self.config = config or Config.load(**overrides)
        if config is not None and overrides:
            self.config.update(overrides)
        cfg = self.config
        self.sandbox = Sandbox(root=Path(cfg.root) if cfg.root else Path.cwd(), allow_os=cfg.allow_os,
                               limits=Limits(max_memory=cfg.max_memory_mb * MB if cfg.max_memory_mb else None))
        self._parts_lock = threading.RLock()
        self.store = open_store(cfg)
        self.events = EventBus(cfg.event_capacity)
        self.telemetry = _telemetry(cfg, self.events)  # OpenTelemetry traces, when an endpoint is set
        persistent = self.store.name != "memory"
        self.backend = self.store if persistent else None  # where tools and agents are saved, if anywhere
        if persistent:  # a resumed session: its events, then its versions
            self.events.restore(self.store.load_events(cfg.event_capacity))
            self.events.add_sink(self._save_event)
            if getattr(self.store, "shared", False):  # other kernels' events arrive as they happen
                self.store.follow_events(self.events.receive)
        self.state = StateStore(self.events, backend=self.store if persistent else None)
        self.state_view = StateView(self.state, ROOT)
        self.state_schemas: dict[str, Any] = {}
        self.state.add_validator(self._check_schema)
        self._apply_live_settings()
        if persistent:  # a resumed session's tools and agents come back at once
            self.agents  # noqa: B018
        self.params: dict[str, Any] = {}
        self.display_hook: DisplayHook | None = None
        # asks the user a line of text (an MCP server's elicitation): `Spell.input`'s way, set by the API table
        self.ask_user: Callable[[str], str] | None = None
        self._engines: dict[str, Any] = {}
        self._engines_lock = threading.Lock()
        self._executor: InlineWhenBusyPool | None = None
        self._api = None

    FIXED_SETTINGS = frozenset({"root", "session", "store", "event_capacity", "allow_os", "max_memory_mb",
                                "otel_endpoint", "mcp"})

    def configure(self, values: dict[str, Any]) -> None:
        """Change settings of the running session (`%spell config key=value`): they take effect at once."""
        fixed = sorted(self.FIXED_SETTINGS & set(values))
        if fixed:
            raise ApiError(f"{', '.join(fixed)} cannot change in a running session: set it before the kernel "
                           "starts (environment or config file); `%spell session NAME` switches sessions")
        self.config.update(values)
        self._apply_live_settings()

    def _apply_live_settings(self) -> None:
        """The settings that may change while the session runs, from its config (at start, and on `configure`)."""
        cfg = self.config
        self.sandbox.allowed_hosts = list(cfg.allowed_hosts)
        self.sandbox.limits.timeout = cfg.timeout
        if self.telemetry is not None:
            self.telemetry.capture_content = cfg.otel_capture_content
        if "llm" in self.__dict__:
            self._apply_llm_settings(self.llm)
        elif cfg.model and not cfg.offline:  # a real default model: the client starts loading litellm now
            self.llm  # noqa: B018

    def _apply_llm_settings(self, llm: LLMClient) -> None:
        cfg = self.config
        llm.default_model, llm.offline, llm.timeout, llm.retry.tries = cfg.model, cfg.offline, cfg.llm_timeout, \
            cfg.llm_retries
        llm.breaker.threshold, llm.breaker.cooldown = cfg.llm_breaker_failures, cfg.llm_breaker_cooldown
        llm.max_tokens = cfg.llm_max_tokens
        if (cfg.llm_record, cfg.llm_replay) != getattr(llm.stand_in, "settings", (None, None)):
            from .llm.recording import stand_in

            llm.stand_in = stand_in(cfg.llm_record, cfg.llm_replay)
        llm.spend.set_session(cfg.budget_tokens, cfg.budget_cost)
        ends = llm.endpoints
        ends.default_model, ends.api_base, ends.api_key_env, ends.by_name = cfg.model, cfg.api_base, \
            cfg.api_key_env, cfg.endpoints
        llm.expect(cfg.model)

    def _save_event(self, event: Any) -> None:
        if self.events.is_own(event.id):  # events received from other processes are in the store already
            self.store.save_event(event.to_dict())

    # the API and the engines ------------------------------------------------
    @property
    def api(self):
        """The spell API bound to this session (built on first use)."""
        if self._api is None:
            from ..api import BoundApi

            self._api = BoundApi(self)
        return self._api

    def engine(self, name: str):
        """The live engine called `name` (or an alias, such as `javascript`), created once."""
        from ..engines import engine_class

        cls = engine_class(name)
        with self._engines_lock:
            engine = self._engines.get(cls.name)
            if engine is not None:
                return engine
            engine = self._engines[cls.name] = cls(self)
            engine.initialize()
        if "tools" in self.__dict__:  # a session's stored tools exist only once its registry does
            self.tools.bind_stored(engine)  # outside the lock: compiling runs in the engine
        return engine

    @property
    def live_engines(self) -> dict[str, Any]:
        return dict(self._engines)

    def run(self, code: str, engine: str = "lua", *, chunk: str | None = None, params: dict | None = None,
            timeout: float | None = None) -> Any:
        """Run a chunk of script in one of this session's engines; returns its value."""
        if params is not None:
            self.params = dict(params)
        return self.engine(engine).execute(code, chunk=chunk or "chunk", timeout=timeout)

    def run_file(self, path: str | Path, engine: str | None = None, *, params: dict | None = None,
                 timeout: float | None = None, source: str | None = None) -> Any:
        """Run a spell file; `source`, when given, is its text already read (a pipe cannot be read twice)."""
        from ..engines import find_engine

        path = Path(path)
        source = read_text(path) if source is None else source
        name = engine or find_engine(path=path, code=source)
        if params is not None:
            self.params = dict(params)
        return self.engine(name).execute(source, chunk=str(path), timeout=timeout, path=path)

    def run_ended(self) -> None:
        """A cell or file ran to its end: its `Spell.budget` ends with it."""
        if "llm" in self.__dict__:
            self.llm.spend.end_run()

    # output ------------------------------------------------------------------
    def display(self, value: Any, mime: str | None = None) -> None:
        if self.display_hook is not None:
            self.display_hook(value, mime)
            return
        from .render import as_text

        sys.stdout.write(as_text(value) + "\n")
        sys.stdout.flush()

    def chunk_sink(self, on_chunk: Callable[[str], Any] | None) -> Callable[[str], None]:
        """Where streamed text goes: the script's callback, or the cell's stdout as it arrives."""
        if on_chunk is not None:
            if not callable(on_chunk):
                raise ApiError("on_chunk must be a function")
            return lambda text: on_chunk(text)

        def write(text: str) -> None:
            sys.stdout.write(text)
            sys.stdout.flush()

        return write

    # concurrency ---------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run `fn` on the session's thread pool (or inline, when every worker is busy: see `pool.py`),
        in the caller's context (author, parent event)."""
        if self._executor is None:
            from .pool import InlineWhenBusyPool  # concurrent.futures, only when a call needs a thread

            with self._engines_lock:
                if self._executor is None:
                    self._executor = InlineWhenBusyPool(32, "llmspell")
        return self._executor.submit(run_in_context(fn), *args)

    # validation ----------------------------------------------------------------
    def _check_schema(self, scope: str, key: str, value: Any) -> None:
        validator = self.state_schemas.get(key) if scope == ROOT else None
        if validator is None or value is None:
            return
        from .schema import first_error

        error = first_error(validator, value)
        if error is not None:
            path = ".".join([key, *(str(p) for p in error.absolute_path)])
            raise ApiError(f"state schema refuses {path}: {error.message}")

    def close(self) -> None:
        if "mcp" in self.__dict__:  # its servers stop with the session
            self.mcp.close()
        for engine in list(self._engines.values()):
            engine.shutdown()
        self._engines.clear()
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
        self.store.close()
        if self.telemetry is not None:  # the last spans are sent before the process goes
            self.telemetry.shutdown()
            self.telemetry = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
