"""The progress bar of a batch in a notebook (`%spell batch`): done, failed, rate, ETA and spend as inputs
finish, then a summary table. Duck-typed on `llmspell_kernel.batch.Progress` and `BatchResult` (this layer
sits below the batch runner)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any


class BatchProgress:
    """`update` is the batch's `on_progress` callback; `finish` colours the bar and shows the summary."""

    def __init__(self, total: int, show: Callable[[Any], None], name: str = "batch") -> None:
        import ipywidgets as widgets

        self.bar = widgets.IntProgress(value=0, min=0, max=max(total, 1), description=name, bar_style="info",
                                       style={"description_width": "initial"})
        self.label = widgets.Label(value=f"0/{total} done")
        self.summary = widgets.HTML(value="")
        self.box = widgets.VBox([widgets.HBox([self.bar, self.label]), self.summary])
        show(self.box)

    def update(self, progress: Any) -> None:
        self.bar.value = progress.skipped + progress.done
        self.label.value = progress.line()

    def finish(self, result: Any) -> None:
        summary = result.summary()
        self.bar.value = summary["ok"] + summary["failed"]
        self.bar.bar_style = "warning" if result.cancelled else "danger" if result.failed else "success"
        self.label.value = ("cancelled: the finished inputs are kept" if result.cancelled
                            else f"stopped: {result.over_budget}" if result.over_budget else "done")
        self.summary.value = summary_table(summary, result.failed)


def summary_table(summary: dict[str, Any], failed: list[dict[str, Any]]) -> str:
    """The counts, then one row per failed input (id, kind, message, line), as HTML."""
    counts = "".join(f"<th>{html.escape(str(k))}</th>" for k in summary)
    values = "".join(f"<td>{html.escape(str(v))}</td>" for v in summary.values())
    rows = "".join(f"<tr><td>{html.escape(str(r['id']))}</td><td>{html.escape(r['error']['kind'])}</td>"
                   f"<td>{html.escape(r['error']['message'])}</td><td>{r['error']['line'] or ''}</td></tr>"
                   for r in failed)
    errors = (f"<table><tr><th>id</th><th>kind</th><th>message</th><th>line</th></tr>{rows}</table>"
              if failed else "")
    return f"<table><tr>{counts}</tr><tr>{values}</tr></table>{errors}"
