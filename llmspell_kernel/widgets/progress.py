"""A progress bar for each workflow a notebook cell runs, driven by the workflow's own events.

The bar is shown when the top-level workflow starts (nested workflows count as one step of
their parent), moves on every finished or skipped step, and ends green on success or red
on failure, with the failing step named.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..runtime.events import Event


class _Bar:
    def __init__(self, name: str, total: int) -> None:
        import ipywidgets as widgets

        self.progress = widgets.IntProgress(value=0, min=0, max=max(total, 1), description=name,
                                            bar_style="info", style={"description_width": "initial"})
        self.label = widgets.Label(value=f"0/{total} steps")
        self.box = widgets.HBox([self.progress, self.label])
        self.total = total

    def advance(self) -> None:
        self.progress.value = min(self.progress.value + 1, self.progress.max)
        self.label.value = f"{self.progress.value}/{self.total} steps"

    def finish(self, ok: bool, error: str | None = None) -> None:
        if ok:
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
            self.label.value = "done"
        else:
            self.progress.bar_style = "danger"
            self.label.value = f"failed: {error}" if error else "failed"


class WorkflowProgress:
    """An event sink: one bar per top-level workflow run. `show` displays a widget in the running cell.

    Only the workflows this process runs get a bar (`own(event_id)`): a session shared with other processes
    (SQLite or Redis) also brings their events to the bus, and their bars would land in whatever cell runs.
    """

    def __init__(self, show: Callable[[Any], None], own: Callable[[str], bool] = lambda event_id: True) -> None:
        self.show, self.own = show, own
        self._bars: dict[str, _Bar] = {}  # workflow.start id -> bar
        self._steps: dict[str, _Bar] = {}  # step.start id of a shown workflow -> its bar
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        kind = event.type
        if not (kind.startswith("workflow.") or kind.startswith("step.")) or not self.own(event.id):
            return
        try:
            self._handle(event)
        except Exception:  # a sink must never stop the workflow it watches
            pass

    def _handle(self, event: Event) -> None:
        kind, parent = event.type, event.parent_id
        with self._lock:
            if kind == "workflow.start" and parent not in self._steps:
                bar = self._bars[event.id] = _Bar(event.data.get("workflow", "workflow"), event.data.get("steps", 0))
                self.show(bar.box)
            elif kind == "step.start" and parent in self._bars:
                self._steps[event.id] = self._bars[parent]
            elif kind in ("step.complete", "step.skip") and parent in self._steps:
                self._steps.pop(parent).advance()
            elif kind == "step.error" and parent in self._steps:
                self._steps.pop(parent)
            elif kind in ("workflow.complete", "workflow.error") and parent in self._bars:
                self._bars.pop(parent).finish(kind == "workflow.complete", event.data.get("error"))
