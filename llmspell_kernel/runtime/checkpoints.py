"""Workflow checkpoints: a run that records each finished step, so that it can resume after a crash.

`wf.run(input, {checkpoint = true})` stores the workflow's definition (agents and tools by
name, script functions by engine and source) and its input, then each step's output as the
step ends, durably, before the next step starts. `Workflow.resume(run_id)` builds the
workflow again from the record and runs it: a step with a recorded output returns it
without running again, so nothing finished is repeated. A nested workflow is one step.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from ..errors import ApiError


class Checkpoint:
    """The record of one checkpointed run, saved to the session's store at every change."""

    def __init__(self, store: Any, record: dict[str, Any]) -> None:
        self.store, self.record = store, record
        self._lock = threading.Lock()

    @classmethod
    def start(cls, store: Any, spec: dict[str, Any], input: Any, run_id: str | None = None) -> Checkpoint:
        if run_id is None:
            run_id = f"run-{uuid.uuid4().hex[:12]}"
        elif not isinstance(run_id, str) or not run_id:
            raise ApiError("run_id must be a non-empty string")
        elif store.load_checkpoint(run_id) is not None:
            raise ApiError(f"a run {run_id!r} exists already: resume it with Workflow.resume({run_id!r})")
        checkpoint = cls(store, {"run_id": run_id, "workflow": spec, "input": input, "done": {},
                                 "status": "running", "time": time.time()})
        checkpoint._save()
        return checkpoint

    @classmethod
    def load(cls, store: Any, run_id: str) -> Checkpoint:
        record = store.load_checkpoint(run_id) if isinstance(run_id, str) else None
        if record is None:
            known = [r["run_id"] for r in store.list_checkpoints()]
            raise ApiError(f"no checkpointed run {run_id!r}; known runs: {', '.join(known) or 'none'}")
        return cls(store, record)

    @property
    def run_id(self) -> str:
        return self.record["run_id"]

    def finished(self, key: str) -> dict[str, Any] | None:
        """The recorded end of step `key` ({status, output}), or None if it has not finished."""
        with self._lock:
            return self.record["done"].get(key)

    def step_done(self, key: str, status: str, output: Any) -> None:
        with self._lock:
            self.record["done"][key] = {"status": status, "output": output}
            self._save()

    def end(self, result: dict[str, Any]) -> None:
        with self._lock:
            self.record.update(status=result["status"], output=result.get("output"), error=result.get("error"))
            self._save()

    def _save(self) -> None:
        self.record["updated"] = time.time()
        self.store.save_checkpoint(self.record)


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """What `Workflow.runs()` shows of a checkpointed run."""
    return {"run_id": record["run_id"], "workflow": record["workflow"]["name"], "status": record["status"],
            "steps_done": len(record["done"]), "time": record["time"]}
