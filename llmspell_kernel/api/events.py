"""`Event`: emit, subscribe to and list the session's events."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .spec import Namespace, api


class EventApi(Namespace):
    """The session's events: every agent run, model call, tool call, step and state change."""

    api_name = "Event"

    @api(example=("Event", "report.ready", {"pages": 3}))
    def emit(self, type: str, data: Any = None) -> str:
        """Emit a user event. Returns its id."""
        if not isinstance(type, str) or not type:
            raise ApiError("Event.emit(type, data): type must be a non-empty string")
        return self.session.events.emit(type, {} if data is None else _as_map(data), source="user").id

    @api(example=("Event", "tool.*", "<fn>"))
    def on(self, pattern: str, fn: Any) -> str:
        """Call `fn(event)` for each event whose type matches the glob `pattern` (`"tool.*"`).

        Handlers run in emit order, before the emitting call returns. A failing handler is
        reported as a `spell.error` event and does not stop the emitter. Returns a subscription id.
        """
        if not callable(fn):
            raise ApiError("Event.on(pattern, fn): fn must be a function")
        return self.session.events.on(pattern, lambda event: fn(event.to_dict()))

    @api(example=("Event", "sub-1"))
    def off(self, id: str) -> bool:
        """Remove a subscription. Returns whether it existed."""
        return self.session.events.off(id)

    @api(example=("Event", {"type": "tool.*", "status": "error"}))
    def timeline(self, filter: Any = None) -> Any:
        """A live widget of the events as a tree of spans with a waterfall: `display` it in a notebook.

        `filter`: type globs, comma-separated (`"tool.*"`, `"workflow.*,step.*"`), or a map with `type`,
        `engine`, `status` (running, ok, error, skipped, event) and `search` (text). `status = "error"` finds
        failed spans and error events (a failing handler's `spell.error`). The widget can change it later.
        """
        try:
            return self.session.events.widget(None if filter == [] else filter)
        except ValueError as exc:
            raise ApiError(f"Event.timeline: {exc}") from None

    @api(example=("Event", {"type": "agent.*", "limit": 10}))
    def list(self, filter: Any = None) -> list[dict[str, Any]]:
        """Recorded events, oldest first. `filter`: `type` (glob), `source`, `since` (an event id), `limit`."""
        options = _as_map(filter or {})
        unknown = set(options) - {"type", "source", "since", "limit"}
        if unknown:
            raise ApiError(f"Event.list: unknown filter field(s) {', '.join(sorted(unknown))}")
        return [e.to_dict() for e in self.session.events.list(**options)]


def _as_map(value: Any) -> dict[str, Any]:
    if value == []:
        return {}
    if not isinstance(value, dict):
        return {"value": value}
    return value
