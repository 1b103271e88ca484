"""`json`, `display`, `Display`, `Spell` and `Async`: the small globals."""

from __future__ import annotations

import json
import math
import time
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..runtime.context import current_author
from ..runtime.gate import wait_futures
from .spec import HandleType, Namespace, api

if TYPE_CHECKING:  # the runtime module loads when a spell first uses it
    from concurrent.futures import Future


class JsonApi(Namespace):
    """JSON text to values and back."""

    api_name = "json"

    @api(example=("json", {"ok": True, "items": [1, 2]}))
    def encode(self, value: Any, indent: int | None = None) -> str:
        """JSON text for a value (keys sorted, so output is stable)."""
        try:
            return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=indent, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ApiError(f"json.encode: {exc}") from None

    @api(example=("json", '{"ok": true}'))
    def decode(self, text: str) -> Any:
        """The value of a JSON text."""
        if not isinstance(text, str):
            raise ApiError(f"json.decode: expected a string, got {type(text).__name__}")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ApiError(f"json.decode: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


class GlobalsApi(Namespace):
    """Functions available as plain globals."""

    api_name = ""

    @api(example=("", {"title": "Report", "pages": 3}))
    def display(self, value: Any) -> None:
        """Show a value: rich output in a notebook (maps and lists as JSON), text elsewhere."""
        self.session.display(value)


class DisplayApi(Namespace):
    """Rich output in a notebook; plain text elsewhere."""

    api_name = "Display"

    @api(example=("Display", "# Results\n*done*"))
    def markdown(self, text: str) -> None:
        """Show Markdown."""
        self.session.display(str(text), mime="text/markdown")

    @api(example=("Display", "<b>done</b>"))
    def html(self, html: str) -> None:
        """Show HTML."""
        self.session.display(str(html), mime="text/html")

    @api(example=("Display", {"ok": True}))
    def json(self, value: Any) -> None:
        """Show a value as an expandable JSON tree."""
        self.session.display(value, mime="application/json")


class SpellApi(Namespace):
    """About the running spell: its parameters and engine, and a sleep.

    `Spell.params` holds the inputs from the CLI (`-p k=v`) or from the magic, as a map.
    `Spell.engine` is "lua", "js" or "tengo".
    """

    api_name = "Spell"

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        session.ask_user = self.input  # an MCP server's questions for the user come this way too

    def values(self, engine: Any) -> dict[str, Any]:
        return {"engine": engine.name, "params": dict(self.session.params)}

    @api(blocking=True, example=("Spell", "Your name? "))
    def input(self, prompt: str = "") -> str:
        """Ask the user for a line of text: through the notebook's input box in Jupyter, the terminal elsewhere."""
        from ..runtime.approval import NoOneToAsk, read_line

        try:
            return read_line(str(prompt))
        except NoOneToAsk as exc:
            raise ApiError(f"Spell.input: {exc}") from None

    @api(example=("Spell", {"tokens": 2000, "cost": 0.05}))
    def budget(self, limits: dict[str, Any] | None = None) -> dict[str, Any]:
        """Set a token and/or cost budget (`{tokens, cost}`, cost in US dollars) for the rest of this run.

        The run is the cell or file being executed. A model call that would pass the budget is refused
        before it is sent, and one that overspends it stops the spell, with a BudgetError. Without
        `limits` it sets nothing. Returns the run's budget and spend: `{tokens, cost, spent_tokens, spent_cost}`
        (an empty map when none is set).
        """
        spend = self.session.llm.spend
        if limits not in (None, [], {}):
            spend.set_run(limits)
        return spend.run.to_dict() if spend.run is not None else {}

    @api(blocking=True, example=("Spell", 100))
    def sleep(self, ms: int | float) -> None:
        """Wait `ms` milliseconds (interruptible)."""
        if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms < 0 or math.isnan(ms):
            raise ApiError(f"Spell.sleep(ms): ms must be a non-negative number, not {ms!r}")
        # in slices: the calling engine's time limit and stop button end the sleep, as they end a loop
        engine = self.session.live_engines.get(current_author().engine or "")
        end = time.monotonic() + ms / 1000
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))
            error = engine.budget_error() if engine is not None and engine._depth else None
            if error is not None:
                raise error


class AsyncApi(Namespace):
    """Futures: wait for one, or for all of a list."""

    api_name = "Async"

    @api(blocking=True, example=("Async", "<future>"))
    def await_(self, future: Future) -> Any:
        """Wait for a future and return its value (or raise its error)."""
        return _result(future)

    @api(blocking=True, example=("Async", ["<future>", "<future>"]))
    def all(self, futures: list[Future]) -> list[Any]:
        """Wait for every future of a list; returns their values in order."""
        if not isinstance(futures, list):
            raise ApiError("Async.all(futures): futures must be a list")
        return [_result(f) for f in futures]


def _result(future: Any) -> Any:
    from concurrent.futures import Future

    if not isinstance(future, Future):
        return future  # awaiting a plain value gives the value, as in JavaScript
    wait_futures([future])
    return future.result()


class FutureMethods(HandleType):
    """A value that will be ready later (`agent.run_async`)."""

    api_name = "Future"
    wraps = "concurrent.futures._base:Future"

    @api(blocking=True, example=("future",))
    def await_(self, future: Future) -> Any:
        """Wait for the value (or raise the error)."""
        return _result(future)

    @api(example=("future",))
    def done(self, future: Future) -> bool:
        """Whether the value is ready."""
        return future.done()
