"""One connection to one MCP server, living on the session's loop thread.

The mcp package's transports are async context managers that must be entered and left by one task, so each
connection is a task that opens the transport and the ClientSession, then waits to be told to stop. Calls are
other tasks on the same loop. When the server dies, its task ends; the call in flight fails with an error
that says so, and the next call starts the server again.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable
from typing import Any

from ...errors import ApiError
from .config import ServerSpec


class ServerLost(ApiError):
    """The server's process or connection ended during a call."""


class Connection:
    def __init__(self, spec: ServerSpec, *, on_sampling: Callable[..., Any], on_elicit: Callable[..., Any]) -> None:
        self.spec = spec
        self.on_sampling, self.on_elicit = on_sampling, on_elicit
        self.session: Any = None
        self.tools: dict[str, Any] | None = None  # name -> mcp Tool, listed once per start
        self.starts = 0
        self._task: asyncio.Task | None = None
        self._stop: asyncio.Event | None = None
        self._errlog: Any = None
        self._starting: asyncio.Lock | None = None  # calls that arrive together wait for one start

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done() and self.session is not None

    async def ensure(self) -> Any:
        """The live ClientSession, started (or restarted) if need be."""
        if self.alive:
            return self.session
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.alive:
                return self.session
            return await self._start()

    async def _start(self) -> Any:
        await self.stop()
        ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._serve(ready))
        self.starts += 1
        try:
            self.session = await ready
        except Exception as exc:
            raise ApiError(f"MCP server {self.spec.name!r} did not start: {_reason(exc)}{self.stderr_tail()}") from None
        listing = await self.session.list_tools()
        self.tools = {tool.name: tool for tool in listing.tools}
        return self.session

    async def _serve(self, ready: asyncio.Future) -> None:
        from mcp import ClientSession

        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(ClientSession(
                    read, write, sampling_callback=self._sampling, elicitation_callback=self._elicit))
                await session.initialize()
                ready.set_result(session)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
        finally:
            self.session = None

    def _transport(self) -> Any:
        spec = self.spec
        if spec.url is not None:
            from mcp.client.streamable_http import streamable_http_client

            return streamable_http_client(spec.url)
        from mcp.client.stdio import StdioServerParameters, stdio_client

        # the server's stderr goes to a file: the kernel's sys.stderr is no file a process can write, and its
        # last lines explain a failed start or a crash
        self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        params = StdioServerParameters(command=spec.command, args=list(spec.args), env=dict(spec.env) or None,
                                       cwd=spec.cwd)
        return stdio_client(params, errlog=self._errlog)

    def stderr_tail(self, lines: int = 5) -> str:
        if self._errlog is None:
            return ""
        try:
            self._errlog.seek(0)
            tail = [line.rstrip() for line in self._errlog.read().splitlines() if line.strip()][-lines:]
        except (OSError, ValueError):
            return ""
        return ("\nserver stderr:\n  " + "\n  ".join(tail)) if tail else ""

    async def request(self, what: str, make: Callable[[Any], Any], timeout: float | None) -> Any:
        """Run `make(session)` (a coroutine) with a timeout; a server lost meanwhile is a ServerLost error."""
        session = await self.ensure()
        try:
            return await asyncio.wait_for(make(session), timeout)
        except asyncio.TimeoutError:
            raise ApiError(f"MCP {what} timed out after {timeout:g} s") from None
        except ApiError:
            raise
        except Exception as exc:
            if _connection_closed(exc) or not self.alive:
                await self.stop()  # the next call starts the server again
                raise ServerLost(f"MCP server {self.spec.name!r} stopped during {what}: {_reason(exc)} "
                                 f"(it starts again on the next call){self.stderr_tail()}") from None
            raise ApiError(f"MCP {what} failed: {_reason(exc)}") from None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            self._stop.set()
            try:
                await asyncio.wait_for(task, 5)
            except BaseException:
                task.cancel()
        self.session, self.tools = None, None
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    async def _sampling(self, context: Any, params: Any) -> Any:
        return await asyncio.to_thread(self.on_sampling, self.spec, params)

    async def _elicit(self, context: Any, params: Any) -> Any:
        return await asyncio.to_thread(self.on_elicit, self.spec, params)


def _connection_closed(exc: BaseException) -> bool:
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED

    return isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED


def _reason(exc: BaseException) -> str:
    group = getattr(exc, "exceptions", None)  # an ExceptionGroup from the transport's task group
    if isinstance(group, tuple) and group:
        return "; ".join(_reason(e) for e in group)
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, ApiError) else f"{type(exc).__name__}: {text}" if str(exc) else text
