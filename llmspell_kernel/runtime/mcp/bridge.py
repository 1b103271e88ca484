"""One asyncio event loop on a daemon thread, for the mcp package's coroutines.

Engines and the kernel are threads that block; the mcp package is asyncio. A caller submits a coroutine and
waits for it with the gate's `wait_futures`, so it keeps serving jobs other threads post to it (an engine it
holds, a question for the user), and the stop button's KeyboardInterrupt reaches it and cancels the coroutine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..gate import wait_futures

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str = "llmspell-mcp") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], stop: Callable[[], BaseException | None] = lambda: None) -> T:
        """Run `coro` on the loop and wait for it. An interrupt of the waiting thread, or the error `stop()`
        returns (the calling engine's time limit, checked every 0.1 s), cancels it."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            while not future.done():
                wait_futures([future], timeout=0.1)
                error = stop()
                if error is not None:
                    raise error
        except BaseException:
            future.cancel()
            raise
        return future.result()

    def stop(self, cleanup: Coroutine[Any, Any, Any] | None = None, timeout: float = 10.0) -> None:
        """Run `cleanup` (bounded by `timeout`), then end the loop and its thread."""
        if cleanup is not None and self._thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(cleanup, self.loop)
            try:
                future.result(timeout)
            except BaseException:
                future.cancel()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()
