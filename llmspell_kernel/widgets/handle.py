"""What every session widget offers, without importing ipywidgets (the API table imports this module).

A session widget watches one session store (the event bus, the state store) and redraws in batches.
Scripts see it as a `Widget` handle (`api/widgets.py`); `display(w)` shows it in every engine.
"""

from __future__ import annotations

from typing import Any


class SessionWidget:
    """A mixin for the widgets of this package: batched redraws, a summary, and a stop."""

    def flush(self) -> None:
        """Apply every pending change to the model now, instead of at the next batch."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """What the widget shows, as a plain map (for scripts, tests and the text form)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop following the session; the views keep the last state."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop following the session, then close the widget (its comm and views)."""
        try:
            self.stop()
        except AttributeError:  # never fully built: its __init__ failed before it followed anything
            pass
        super().close()  # type: ignore[misc]  # the widget class this mixin is combined with

    def __repr__(self) -> str:
        # ipywidgets' repr lists every trait: far too long for a widget that holds pages of rows
        try:
            return f"<{type(self).__name__} {self.summary()}>"
        except AttributeError:  # not fully built yet
            return f"<{type(self).__name__}>"
