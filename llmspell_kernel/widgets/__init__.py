"""ipywidgets views of a session: workflow progress, the event timeline and the state-history browser."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def esm(view: str) -> str:
    """A view's ES module, after the shared element helper (each anywidget module loads on its own)."""
    return (HERE / "dom.js").read_text(encoding="utf-8") + "\n" + (HERE / view).read_text(encoding="utf-8")
