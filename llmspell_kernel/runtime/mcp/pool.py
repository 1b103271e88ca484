"""A session's MCP servers: configured by the user, started on first use, their tools in the tool registry.

Tools appear as `SERVER.TOOL` with the server's JSON schema; the registry validates the arguments and emits the
`tool.call`/`tool.result` span as for any tool. What a server returns is untrusted input, as an HTTP body is.
"""

from __future__ import annotations

import base64
import contextvars
import sys
import threading
from typing import TYPE_CHECKING, Any

from ...errors import ApiError, SpellError
from ..context import current_author
from ..gate import here
from ..tools import Tool
from .config import ServerSpec, spec_from, specs_from_config

if TYPE_CHECKING:
    from .bridge import LoopThread
    from .client import Connection


class McpServers:
    """The servers a session may use, and a tool source for its `ToolRegistry`."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.specs: dict[str, ServerSpec] = specs_from_config(session.config.mcp)
        self._connections: dict[str, Connection] = {}
        self._tools: dict[str, Tool] = {}
        self._loop: LoopThread | None = None
        self._lock = threading.Lock()
        self._caller: contextvars.Context | None = None  # the context of the call in flight (for sampling)
        self._ask: Any = None  # runs a question on the thread of the call in flight

    # configuration (Python and `%spell mcp add`; never a spell) --------------------------------------------
    def add(self, name: str, command: str | None = None, args: list[str] | tuple[str, ...] = (),
            env: dict[str, str] | None = None, *, url: str | None = None, **options: Any) -> ServerSpec:
        """Configure a server: `command` and `args` (stdio) or `url` (streamable HTTP). It starts on first use."""
        spec = spec_from(name, {"command": command, "args": list(args), "env": env or {}, "url": url, **options})
        with self._lock:
            old = self._connections.pop(name, None)
            self.specs[name] = spec
            self._forget_tools(name)
        if old is not None:
            self._bridge().run(old.stop())
        return spec

    def names(self) -> list[str]:
        return sorted(self.specs)

    def describe(self) -> list[dict[str, Any]]:
        return [{**self.specs[n].describe(), "running": n in self._connections and self._connections[n].alive}
                for n in self.names()]

    # the tool source the registry asks ---------------------------------------------------------------------
    def find(self, name: str) -> Tool | None:
        server, dot, _ = name.partition(".")
        if not dot or server not in self.specs:
            return None
        if name not in self._tools:
            self.tools(server)
        return self._tools.get(name)

    def server_of(self, name: str) -> str | None:
        """The configured server a tool name belongs to (`fs` for `fs.read_file`), or None; starts nothing."""
        server, dot, _ = name.partition(".")
        return server if dot and server in self.specs else None

    def known_tools(self) -> list[str]:
        """The tools of the servers listed so far, without starting any (for completion)."""
        return sorted(self._tools)

    def tool_names(self) -> list[str]:
        names: list[str] = []
        for server in self.names():
            try:
                names += self.tools(server)
            except ApiError as exc:  # one broken server does not hide the other tools
                sys.stderr.write(f"note: {exc.message}\n")
        return names

    # the servers' features ---------------------------------------------------------------------------------
    def tools(self, server: str) -> list[str]:
        """The names of a server's tools, as `SERVER.TOOL` (starts the server)."""
        connection = self._connection(server)
        self._run(server, "tools/list", lambda s: _noop(), None)
        with self._lock:  # as listed by the server's latest start (a restarted server may have changed)
            self._forget_tools(server)
            for tool in (connection.tools or {}).values():
                self._tools[f"{server}.{tool.name}"] = self._tool(server, tool)
        return sorted(f"{server}.{name}" for name in connection.tools or {})

    def _tool(self, server: str, tool: Any) -> Tool:
        params = tool.input_schema or {"type": "object", "properties": {}}
        output = tool.output_schema

        full = f"{server}.{tool.name}"

        def call(args: dict[str, Any]) -> Any:
            result = self._run(server, f"tool {full!r}", lambda s: s.call_tool(tool.name, args), self._timeout(server))
            return tool_result(full, result, output)

        return Tool(full, tool.description or "", params, call)

    def resources(self, server: str) -> list[dict[str, Any]]:
        listing = self._run(server, "resources/list", lambda s: s.list_resources(), self._timeout(server))
        return [_clean({"uri": str(r.uri), "name": r.name, "description": r.description, "mime_type": r.mime_type})
                for r in listing.resources]

    def resource(self, server: str, uri: str) -> Any:
        result = self._run(server, f"resource {uri!r}", lambda s: s.read_resource(uri), self._timeout(server))
        contents = [_resource_content(c) for c in result.contents]
        if len(contents) == 1 and "text" in contents[0]:
            return contents[0]["text"]
        return contents

    def prompts(self, server: str) -> list[dict[str, Any]]:
        listing = self._run(server, "prompts/list", lambda s: s.list_prompts(), self._timeout(server))
        return [_clean({"name": p.name, "description": p.description,
                        "arguments": [_clean({"name": a.name, "description": a.description, "required": a.required})
                                      for a in p.arguments or []]}) for p in listing.prompts]

    def prompt(self, server: str, name: str, args: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        arguments = {k: v if isinstance(v, str) else str(v) for k, v in (args or {}).items()}
        result = self._run(server, f"prompt {name!r}", lambda s: s.get_prompt(name, arguments), self._timeout(server))
        return [{"role": m.role, "content": _content_text(m.content)} for m in result.messages]

    # plumbing ----------------------------------------------------------------------------------------------
    def _spec(self, server: str) -> ServerSpec:
        spec = self.specs.get(server)
        if spec is None:
            known = ", ".join(self.names()) or "none (configure them in config.toml, `%spell mcp add` or "\
                "session.mcp.add)"
            raise ApiError(f"unknown MCP server {server!r}; configured servers: {known}")
        return spec

    def _timeout(self, server: str) -> float | None:
        return self._spec(server).timeout or self.session.config.mcp_timeout

    def _connection(self, server: str) -> Connection:
        from .client import Connection

        with self._lock:
            spec = self._spec(server)
            connection = self._connections.get(server)
            if connection is None:
                connection = self._connections[server] = Connection(
                    spec, on_sampling=self._sample, on_elicit=self._elicit)
            return connection

    def _run(self, server: str, what: str, make: Any, timeout: float | None) -> Any:
        connection = self._connection(server)
        previous = self._caller, self._ask
        self._caller, self._ask = contextvars.copy_context(), here()
        try:
            return self._bridge().run(connection.request(what, make, timeout), self._budget_error)
        finally:
            self._caller, self._ask = previous

    def _budget_error(self) -> BaseException | None:
        """The calling engine's time limit or stop flag, as the error that ends its chunk (None: go on)."""
        engine = self.session.live_engines.get(current_author().engine or "")
        return engine.budget_error() if engine is not None and engine._depth else None

    def _bridge(self) -> LoopThread:
        with self._lock:
            if self._loop is None:
                from .bridge import LoopThread

                self._loop = LoopThread()
            return self._loop

    def _forget_tools(self, server: str) -> None:
        for name in [n for n in self._tools if n.startswith(server + ".")]:
            del self._tools[name]

    def close(self) -> None:
        """Stop every server (with the session)."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.stop(_stop_all(connections))

    # requests from servers ---------------------------------------------------------------------------------
    def _sample(self, spec: ServerSpec, params: Any) -> Any:
        """A server's sampling request, answered by our LLM layer (with its events), as the calling spell."""
        from mcp import types

        from ..llm.base import LLMRequest

        messages = [{"role": m.role, "content": _content_text(m.content)} for m in params.messages]
        if params.system_prompt:
            messages.insert(0, {"role": "system", "content": params.system_prompt})
        llm = self.session.llm
        model = llm.model_for(spec.sampling_model)
        request = LLMRequest(model=model, messages=messages, temperature=params.temperature,
                             max_tokens=params.max_tokens)
        context = (self._caller or contextvars.copy_context()).copy()
        try:
            response = context.run(llm.call, request)
        except SpellError as exc:  # the server is told why; the tool call's error then names it
            return types.ErrorData(code=types.INTERNAL_ERROR, message=exc.message)
        return types.CreateMessageResult(role="assistant", model=model,
                                         content=types.TextContent(type="text", text=response.text))

    def _elicit(self, spec: ServerSpec, params: Any) -> Any:
        """A server's question for the user, asked through `Spell.input` on the thread of the call in flight."""
        from mcp import types

        schema = getattr(params, "requested_schema", None) or {}
        ask = self._ask
        if ask is None or self.session.ask_user is None:
            return types.ElicitResult(action="cancel")
        try:
            answers = ask(_ask_form, self.session.ask_user, f"[{spec.name}] {params.message}", schema)
        except ApiError:
            return types.ElicitResult(action="cancel")
        return types.ElicitResult(action="accept", content=answers)


async def _noop() -> None:
    return None


async def _stop_all(connections: list[Connection]) -> None:
    for connection in connections:
        await connection.stop()


def _ask_form(ask: Any, message: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One `Spell.input` per field of an elicitation's flat schema; an answer is coerced to the field's type."""
    answers: dict[str, Any] = {}
    for field, prop in (schema.get("properties") or {}).items():
        label = prop.get("title") or prop.get("description") or field
        text = ask(f"{message} {label}: ")
        kind = prop.get("type")
        try:
            answers[field] = (int(text) if kind == "integer" else float(text) if kind == "number"
                              else text.strip().lower() in ("y", "yes", "true", "1") if kind == "boolean" else text)
        except ValueError:
            raise ApiError(f"{label}: {text!r} is not a {kind}") from None
    return answers


def tool_result(name: str, result: Any, output_schema: dict[str, Any] | None) -> Any:
    """A tool's result as a spell value: its structured content, else its text, else a list of content maps."""
    if result.is_error:
        raise ApiError(f"MCP tool {name!r} failed: {_content_text(result.content) or 'no message'}")
    structured = result.structured_content
    if structured is not None:
        props = (output_schema or {}).get("properties") or {}
        if set(props) == {"result"} and set(structured) == {"result"}:  # a plain value, wrapped as the spec asks
            return structured["result"]
        return structured
    blocks = [_content_map(block) for block in result.content]
    if all(b.get("type") == "text" for b in blocks):
        return "\n".join(b["text"] for b in blocks)
    return blocks


def _content_map(block: Any) -> dict[str, Any]:
    data = block.model_dump(mode="json", exclude_none=True, by_alias=False)
    data.pop("annotations", None)
    data.pop("meta", None)
    return data


def _content_text(content: Any) -> str:
    blocks = content if isinstance(content, list) else [content]
    return "\n".join(getattr(b, "text", "") or "" for b in blocks)


def _resource_content(content: Any) -> dict[str, Any]:
    out = {"uri": str(content.uri), "mime_type": content.mime_type}
    if getattr(content, "text", None) is not None:
        out["text"] = content.text
    else:
        out["bytes"] = base64.b64decode(content.blob)
    return _clean(out)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
