"""`Widget`: the handle of a live notebook widget (`Event.timeline()`, `State.timeline()`)."""

from __future__ import annotations

from typing import Any

from ..widgets.handle import SessionWidget
from .spec import HandleType, api


class WidgetMethods(HandleType):
    """A live widget of the session: `display(w)` shows it in a notebook; elsewhere it prints a summary."""

    api_name = "Widget"
    wraps = "llmspell_kernel.widgets.handle:SessionWidget"

    @api(example=("timeline",))
    def summary(self, widget: SessionWidget) -> dict[str, Any]:
        """What the widget shows now: for a timeline its filter and row, span, error and token counts;
        for a state history its key filter, version count and current version."""
        return widget.summary()

    @api(example=("timeline",))
    def stop(self, widget: SessionWidget) -> bool:
        """Stop following the session: the pending changes are drawn, then the view keeps what it shows.
        Returns true."""
        widget.stop()
        return True

    @api(example=("timeline",))
    def close(self, widget: SessionWidget) -> bool:
        """Stop following the session and close the widget's views. Returns true."""
        widget.close()
        return True
