"""What a Dask worker runs for one input: the spell, in a session of its own, measured.

No Dask here: a worker imports this module by name (llmspell-kernel must be installed on the workers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import InternalError, SpellError


@dataclass(frozen=True)
class SpellJob:
    """The spell and the session settings every item's session is made with (sent to the workers)."""

    source: str
    chunk: str  # the spell's file name, for error locations
    engine: str
    settings: dict[str, Any] = field(default_factory=dict)  # Config overrides: model, offline, store, session, …
    retries: int = 0  # extra attempts for an input whose spell fails


class _Spend:
    """An event sink that adds up the tokens and cost of a session's model calls."""

    def __init__(self) -> None:
        self.tokens, self.cost = 0, 0.0

    def __call__(self, event: Any) -> None:
        if event.type == "llm.response":
            usage = event.data.get("usage") or {}
            self.tokens += int(usage.get("total_tokens") or 0)
            self.cost += float(usage.get("cost") or 0.0)


def error_record(exc: BaseException) -> dict[str, Any]:
    """kind, message and line of a failure; anything that is not a spell's own error is an internal one."""
    if not isinstance(exc, SpellError):
        exc = InternalError(f"{type(exc).__name__}: {exc}")
    return {"kind": exc.kind, "message": exc.message, "line": exc.line, "where": exc.location().rstrip(": ") or None}


def run_item(job: SpellJob, item_id: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Run the spell once on `params`, in a fresh session; returns the output record of this input."""
    from ..runtime.render import to_json
    from ..runtime.session import Session

    spend, began, attempts = _Spend(), time.perf_counter(), 0
    record: dict[str, Any] = {"id": item_id}
    while True:
        attempts += 1
        try:
            with Session(**job.settings) as session:
                session.events.add_sink(spend)
                value = session.run(job.source, job.engine, chunk=job.chunk, params=params)
                record.update(ok=True, value=_plain(value, to_json), error=None)
        except Exception as exc:
            record.update(ok=False, value=None, error=error_record(exc))
        if record["ok"] or attempts > job.retries:
            break
    record.update(duration=round(time.perf_counter() - began, 4), tokens=spend.tokens, cost=spend.cost,
                  attempts=attempts, worker=_worker_address())
    return record


def _plain(value: Any, to_json: Any) -> Any:
    """The spell's value as JSON data (handles such as agents become their one-line description)."""
    import json

    return json.loads(to_json(value, indent=None))


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # run outside a Dask worker
        return None
