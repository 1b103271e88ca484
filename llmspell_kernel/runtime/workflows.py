"""Workflows: sequential, parallel, conditional and loop compositions of steps.

A step is an agent (handle or name), a tool call `{tool = name, args?}`, a
script function of any engine, or another workflow. Options wrap it:
`{step = ..., name?, retry?, on_error?, timeout?}`.

`run` never raises for a failing step: it returns `{status, output, error?,
steps}` so that partial results can be inspected. Parallel branches run on the
session's thread pool and really overlap while they wait on models or tools;
a script-function branch takes its engine's gate (see `gate.py`), and the
waiting thread serves such calls for the engines it holds.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError, SpellError
from .checkpoints import Checkpoint
from .checkpoints import summary as checkpoint_summary
from .checks import as_list, is_int, positive_int
from .context import acting_as, under_parent
from .events import EventBus, elapsed_ms
from .gate import acquire_serving, wait_futures
from .stored import StoredFunction, function_record

KINDS = ("sequential", "parallel", "conditional", "loop")
STEP_OPTIONS = {"step", "name", "retry", "on_error", "timeout"}
RUN_OPTIONS = {"checkpoint", "run_id"}
WORKFLOW_OPTIONS = {
    "sequential": {"name", "steps"},
    "parallel": {"name", "steps", "max_concurrency", "merge"},
    "conditional": {"name", "branches", "default"},
    "loop": {"name", "step", "until", "max_iterations"},
}


class StepFailed(Exception):
    """A step ended in failure; the workflow stops with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Step:
    """One step and its options, resolved when the workflow is built."""

    target: Any  # Agent, Workflow, ToolStep or a callable
    name: str
    retry: int = 0
    on_error: str = "fail"
    timeout: float | None = None  # seconds

    def spec(self) -> dict[str, Any]:
        """This step as data, to store with a checkpoint (ApiError if its target cannot be stored)."""
        from .agents import Agent

        target = self.target
        if isinstance(target, Agent):
            stored: dict[str, Any] = {"agent": target.name}
        elif isinstance(target, Workflow):
            stored = {"workflow": target.spec()}
        elif isinstance(target, ToolStep):
            stored = {"tool": target.tool, "args": target.args}
        else:
            stored = {"function": _stored(target, f"step {self.name!r}")}
        return {"name": self.name, "retry": self.retry, "on_error": self.on_error, "timeout": self.timeout,
                "target": stored}


@dataclass
class ToolStep:
    tool: str
    args: dict[str, Any] | None  # None: the step's input is the arguments


@dataclass
class Branch:
    when: Callable[[Any], Any]
    step: Step


class Workflow:
    """A composition of steps; `run(input)` returns the result map of the contract."""

    def __init__(self, session: Any, kind: str, name: str, *, steps: list[Step] | None = None,
                 branches: list[Branch] | None = None, default: Step | None = None,
                 until: Callable[..., Any] | None = None, max_iterations: int = 0,
                 max_concurrency: int | None = None, merge: Any = "list") -> None:
        self.session, self.kind, self.name = session, kind, name
        self.steps = steps or []
        self.branches = branches or []
        self.default = default
        self.until = until
        self.max_iterations = max_iterations
        self.max_concurrency = max_concurrency
        self.merge = merge

    @property
    def bus(self) -> EventBus:
        return self.session.events

    @property
    def planned_steps(self) -> int:
        """How many steps a run takes when nothing fails: the most a loop may take; one branch of a conditional."""
        if self.kind == "loop":
            return self.max_iterations
        return 1 if self.kind == "conditional" else len(self.steps)

    def info(self) -> dict[str, Any]:
        steps = [b.step for b in self.branches] + ([self.default] if self.default else []) or self.steps
        return {"name": self.name, "kind": self.kind, "steps": [s.name for s in steps]}

    def __repr__(self) -> str:
        return f"<{self.kind} workflow {self.name}>"

    def spec(self) -> dict[str, Any]:
        """The workflow as data: agents and tools by name, script functions by engine and source."""
        spec: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.kind == "conditional":
            spec["branches"] = [{"when": _stored(b.when, "a `when` condition"), "step": b.step.spec()}
                                for b in self.branches]
            spec["default"] = self.default.spec() if self.default is not None else None
        else:
            spec["steps"] = [step.spec() for step in self.steps]
        if self.kind == "parallel":
            spec["max_concurrency"] = self.max_concurrency
            spec["merge"] = self.merge if isinstance(self.merge, str) else _stored(self.merge, "the merge function")
        if self.kind == "loop":
            spec["max_iterations"] = self.max_iterations
            spec["until"] = _stored(self.until, "the `until` function") if self.until is not None else None
        return spec

    # running ----------------------------------------------------------------
    def run(self, input: Any = None, checkpoint: Checkpoint | None = None) -> dict[str, Any]:
        """Run on `input`; with a checkpoint, each finished step is recorded and a recorded one is not run again."""
        records: list[dict[str, Any]] = []
        result: dict[str, Any] = {"status": "completed", "output": None, "steps": records}
        with acting_as(workflow=self.name):
            data = {"workflow": self.name, "kind": self.kind, "input": input, "steps": self.planned_steps}
            if checkpoint is not None:
                data["run_id"] = result["run_id"] = checkpoint.run_id
            start = self.bus.emit("workflow.start", data, source=f"workflow:{self.name}")
            began = time.perf_counter()
            try:
                with under_parent(start.id):
                    result["output"] = getattr(self, f"_run_{self.kind}")(input, records, checkpoint)
            except StepFailed as failure:
                result.update(status="failed", error=failure.message)
            if checkpoint is not None:
                checkpoint.end(result)
            data = {"workflow": self.name, "kind": self.kind, "status": result["status"]}
            if result["status"] == "failed":
                self.bus.emit("workflow.error", {**data, "error": result["error"]}, source=f"workflow:{self.name}",
                              parent_id=start.id, duration=elapsed_ms(began))
            else:
                self.bus.emit("workflow.complete", {**data, "output": result["output"]},
                              source=f"workflow:{self.name}", parent_id=start.id, duration=elapsed_ms(began))
        return result

    def _run_sequential(self, input: Any, records: list, checkpoint: Checkpoint | None) -> Any:
        value = input
        for index, step in enumerate(self.steps):
            value = self._step(step, index, value, records, checkpoint)
        return value

    def _run_parallel(self, input: Any, records: list, checkpoint: Checkpoint | None) -> Any:
        slots: list[dict[str, Any] | None] = [None] * len(self.steps)
        limit = threading.BoundedSemaphore(self.max_concurrency or len(self.steps) or 1)

        def branch(index: int, step: Step) -> Any:
            acquire_serving(limit)  # run inline on this thread (pool.py), it may wait for a branch that calls us
            mine: list[dict[str, Any]] = []
            try:
                return self._step(step, index, input, mine, checkpoint)
            finally:
                slots[index] = mine[0] if mine else None
                limit.release()

        futures = [self.session.submit(branch, i, s) for i, s in enumerate(self.steps)]
        wait_futures(futures)
        records.extend(r for r in slots if r is not None)
        failures = [f.exception() for f in futures if f.exception() is not None]
        if failures:
            raise failures[0] if isinstance(failures[0], StepFailed) else StepFailed(str(failures[0]))
        outputs = [f.result() for f in futures]
        if self.merge == "list":
            return outputs
        if self.merge == "map":
            return {step.name: out for step, out in zip(self.steps, outputs, strict=True)}
        try:
            return self.merge(outputs)
        except SpellError as exc:
            raise StepFailed(f"merge function failed: {exc.message}") from None

    def _run_conditional(self, input: Any, records: list, checkpoint: Checkpoint | None) -> Any:
        for index, branch in enumerate(self.branches):
            try:
                chosen = branch.when(input)
            except SpellError as exc:
                raise StepFailed(f"condition of branch {index + 1} failed: {exc.message}") from None
            if _truthy(chosen):
                return self._step(branch.step, index, input, records, checkpoint)
        if self.default is not None:
            return self._step(self.default, len(self.branches), input, records, checkpoint)
        return input  # no branch matched and no default: the input passes through

    def _run_loop(self, input: Any, records: list, checkpoint: Checkpoint | None) -> Any:
        step, value = self.steps[0], input
        for i in range(1, self.max_iterations + 1):
            value = self._step(step, i - 1, value, records, checkpoint, label=f"{step.name}#{i}")
            if self.until is None:
                continue
            try:
                done = self.until(value, i)
            except SpellError as exc:
                raise StepFailed(f"`until` failed at iteration {i}: {exc.message}") from None
            if _truthy(done):
                return value
        if self.until is None:
            return value
        raise StepFailed(f"loop {self.name!r} reached max_iterations ({self.max_iterations}) before `until` held")

    # one step ---------------------------------------------------------------
    def _step(self, step: Step, index: int, input: Any, records: list, checkpoint: Checkpoint | None,
              label: str | None = None) -> Any:
        name = label or step.name
        data = {"workflow": self.name, "step": name, "index": index}
        source = f"workflow:{self.name}"
        done = checkpoint.finished(str(index)) if checkpoint is not None else None
        if done is not None:  # finished before the crash: its recorded output, without running it again
            records.append({"name": name, "status": done["status"], "output": done["output"], "error": None,
                            "duration": 0.0, "restored": True})
            self.bus.emit("step.restore", {**data, "status": done["status"]}, source=source)
            return done["output"]
        start = self.bus.emit("step.start", data, source=source)
        began = time.perf_counter()
        record = {"name": name, "status": "completed", "output": None, "error": None, "duration": 0.0}
        records.append(record)
        attempt = 0
        while True:
            attempt += 1
            spent = False  # a model call that used all its llm_retries: the step does not multiply them
            try:
                with under_parent(start.id):
                    output = self._attempt(step, input)
                break
            except StepFailed as failure:
                error = failure.message
            except SpellError as exc:
                error, spent = exc.message, getattr(exc, "retried", False)
            if attempt <= step.retry and not spent:
                self.bus.emit("step.retry", {**data, "attempt": attempt, "error": error}, source=source,
                              parent_id=start.id)
                continue
            record.update(duration=elapsed_ms(began), error=error)
            if step.on_error == "skip":
                record.update(status="skipped", output=input)
                if checkpoint is not None:
                    checkpoint.step_done(str(index), "skipped", input)
                self.bus.emit("step.skip", {**data, "error": error}, source=source, parent_id=start.id,
                              duration=record["duration"])
                return input
            record["status"] = "failed"
            self.bus.emit("step.error", {**data, "error": error}, source=source, parent_id=start.id,
                          duration=record["duration"])
            raise StepFailed(f"step {name!r} failed: {error}")
        record.update(output=output, duration=elapsed_ms(began))
        if checkpoint is not None:
            checkpoint.step_done(str(index), "completed", output)
        self.bus.emit("step.complete", data, source=source, parent_id=start.id, duration=record["duration"])
        return output

    def _attempt(self, step: Step, input: Any) -> Any:
        if step.timeout is None:
            return self._invoke(step.target, input)
        future: Future = self.session.submit(self._invoke, step.target, input)
        wait_futures([future], timeout=step.timeout)
        if not future.done():
            # the work cannot be killed from here; its result is dropped when it ends
            raise StepFailed(f"timed out after {step.timeout * 1000:g} ms")
        return future.result()

    def _invoke(self, target: Any, input: Any) -> Any:
        from .agents import Agent

        if isinstance(target, Agent):
            return target.run(input)
        if isinstance(target, Workflow):
            result = target.run(input)
            if result["status"] == "failed":
                raise StepFailed(result["error"])
            return result["output"]
        if isinstance(target, ToolStep):
            args = target.args if target.args is not None else input
            if not isinstance(args, dict):
                raise StepFailed(f"tool {target.tool!r} takes a map of arguments: give the step `args`, "
                                 f"or a map as its input (got {type(args).__name__})")
            return self.session.tools.call(target.tool, args)
        return target(input)


class WorkflowBuilder:
    """Checks a workflow definition from a script and builds the Workflow."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._counters = {kind: itertools.count(1) for kind in KINDS}

    def build(self, kind: str, definition: Any) -> Workflow:
        what = f"Workflow.{kind}"
        if not isinstance(definition, dict):
            raise ApiError(f"{what}(def): def must be a map")
        unknown = set(definition) - WORKFLOW_OPTIONS[kind]
        if unknown:
            raise ApiError(f"{what}: unknown option(s) {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(sorted(WORKFLOW_OPTIONS[kind]))}")
        name = definition.get("name") or f"{kind}_{next(self._counters[kind])}"
        if not isinstance(name, str):
            raise ApiError(f"{what}: name must be a string")
        return getattr(self, f"_{kind}")(what, name, definition)

    # checkpointed runs ----------------------------------------------------------
    def run(self, workflow: Workflow, input: Any, options: Any) -> dict[str, Any]:
        """`wf.run(input, {checkpoint?, run_id?})`: a checkpointed run stores its progress in the session's store."""
        if options in (None, []):
            options = {}
        if not isinstance(options, dict) or set(options) - RUN_OPTIONS:
            raise ApiError(f"run options must be a map of {', '.join(sorted(RUN_OPTIONS))}, not {options!r}")
        if "run_id" in options and not options.get("checkpoint"):
            raise ApiError("run_id names a checkpointed run: give checkpoint = true too")
        if not options.get("checkpoint"):
            return workflow.run(input)
        checkpoint = Checkpoint.start(self.session.store, workflow.spec(), input, options.get("run_id"))
        return workflow.run(input, checkpoint)

    def resume(self, run_id: str) -> dict[str, Any]:
        """Continue a checkpointed run from its first unfinished step, with the workflow rebuilt from the record."""
        checkpoint = Checkpoint.load(self.session.store, run_id)
        workflow = self.from_spec(checkpoint.record["workflow"])
        return workflow.run(checkpoint.record["input"], checkpoint)

    def runs(self) -> list[dict[str, Any]]:
        return [checkpoint_summary(record) for record in self.session.store.list_checkpoints()]

    def from_spec(self, spec: dict[str, Any]) -> Workflow:
        """The workflow that `Workflow.spec()` described."""
        kind, options = spec["kind"], {}
        if kind == "conditional":
            options["branches"] = [Branch(self._function(b["when"]), self._step_from(b["step"]))
                                   for b in spec["branches"]]
            options["default"] = self._step_from(spec["default"]) if spec.get("default") else None
        else:
            options["steps"] = [self._step_from(step) for step in spec["steps"]]
        if kind == "parallel":
            merge = spec["merge"]
            options.update(max_concurrency=spec["max_concurrency"],
                           merge=merge if isinstance(merge, str) else self._function(merge))
        if kind == "loop":
            until = spec["until"]
            options.update(max_iterations=spec["max_iterations"], until=self._function(until) if until else None)
        return Workflow(self.session, kind, spec["name"], **options)

    def _step_from(self, spec: dict[str, Any]) -> Step:
        target = spec["target"]
        if "agent" in target:
            made: Any = self.session.agents.get(target["agent"])
        elif "workflow" in target:
            made = self.from_spec(target["workflow"])
        elif "tool" in target:
            made = ToolStep(target["tool"], target["args"])
        else:
            made = self._function(target["function"])
        return Step(made, spec["name"], retry=spec["retry"], on_error=spec["on_error"], timeout=spec["timeout"])

    def _function(self, record: dict[str, str]) -> StoredFunction:
        return StoredFunction(self.session, record["engine"], record["source"])

    # building from a script's definition ------------------------------------------
    def _sequential(self, what: str, name: str, d: dict) -> Workflow:
        return Workflow(self.session, "sequential", name, steps=self._steps(what, d.get("steps")))

    def _parallel(self, what: str, name: str, d: dict) -> Workflow:
        steps = self._steps(what, d.get("steps"))
        limit = d.get("max_concurrency")
        if limit is not None:
            positive_int(limit, f"{what}: max_concurrency")
        merge = d.get("merge", "list")
        if merge not in ("list", "map") and not callable(merge):
            raise ApiError(f'{what}: merge must be "list", "map" or a function, not {merge!r}')
        if merge == "map" and len({s.name for s in steps}) < len(steps):
            raise ApiError(f'{what}: merge "map" needs distinct step names; give each step a `name`')
        return Workflow(self.session, "parallel", name, steps=steps, max_concurrency=limit, merge=merge)

    def _conditional(self, what: str, name: str, d: dict) -> Workflow:
        branches = []
        for i, branch in enumerate(as_list(d.get("branches")), 1):
            if not isinstance(branch, dict) or not callable(branch.get("when")) or "step" not in branch:
                raise ApiError(f"{what}: branch {i} must be a map of `when` (a function) and `step`")
            branches.append(Branch(branch["when"], self._step(what, branch["step"], i)))
        if not branches:
            raise ApiError(f"{what}: `branches` must be a non-empty list")
        default = d.get("default")
        default_step = self._step(what, default, len(branches) + 1) if default is not None else None
        return Workflow(self.session, "conditional", name, branches=branches, default=default_step)

    def _loop(self, what: str, name: str, d: dict) -> Workflow:
        limit = d.get("max_iterations")
        if limit is None:
            raise ApiError(f"{what}: max_iterations is required (a loop must end)")
        positive_int(limit, f"{what}: max_iterations")
        until = d.get("until")
        if until is not None and not callable(until):
            raise ApiError(f"{what}: `until` must be a function (output, i) -> boolean")
        if d.get("step") is None:
            raise ApiError(f"{what}: `step` is required")
        return Workflow(self.session, "loop", name, steps=[self._step(what, d["step"], 1)], until=until,
                        max_iterations=limit)

    def _steps(self, what: str, steps: Any) -> list[Step]:
        items = as_list(steps)
        if not items:
            raise ApiError(f"{what}: `steps` must be a non-empty list")
        return [self._step(what, item, i) for i, item in enumerate(items, 1)]

    def _step(self, what: str, spec: Any, index: int) -> Step:
        options: dict[str, Any] = {}
        if isinstance(spec, dict) and "step" in spec:
            unknown = set(spec) - STEP_OPTIONS
            if unknown:
                raise ApiError(f"{what}: step {index}: unknown option(s) {', '.join(sorted(unknown))}; "
                               f"known: {', '.join(sorted(STEP_OPTIONS))}")
            options, spec = spec, spec["step"]
        target, default_name = self._target(what, spec, index)
        retry = options.get("retry", 0)
        if not is_int(retry) or retry < 0:
            raise ApiError(f"{what}: step {index}: retry must be a count (0 or more), not {retry!r}")
        on_error = options.get("on_error", "fail")
        if on_error not in ("fail", "skip"):
            raise ApiError(f'{what}: step {index}: on_error must be "fail" or "skip", not {on_error!r}')
        timeout = options.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)
                                    or timeout <= 0):
            raise ApiError(f"{what}: step {index}: timeout must be a positive number of ms, not {timeout!r}")
        name = options.get("name") or default_name
        return Step(target, str(name), retry=retry, on_error=on_error,
                    timeout=timeout / 1000 if timeout is not None else None)

    def _target(self, what: str, spec: Any, index: int) -> tuple[Any, str]:
        from .agents import Agent

        if isinstance(spec, str):
            spec = self.session.agents.get(spec)
        if isinstance(spec, Agent):
            return spec, spec.name
        if isinstance(spec, Workflow):
            return spec, spec.name
        if isinstance(spec, dict) and "tool" in spec:
            if set(spec) - {"tool", "args"}:
                raise ApiError(f"{what}: step {index}: a tool step is a map of `tool` and, optionally, `args`")
            tool = getattr(spec["tool"], "name", spec["tool"])
            self.session.tools.get(tool)  # unknown tools fail now, not mid-run
            args = spec.get("args")
            if args is not None and not isinstance(args, dict):
                raise ApiError(f"{what}: step {index}: tool args must be a map")
            return ToolStep(tool, args), tool
        if callable(spec):
            return spec, f"step_{index}"
        raise ApiError(f"{what}: step {index} must be an agent (handle or name), a tool step (a map of `tool` "
                       f"and `args`), a function or a workflow, not {type(spec).__name__}")


def _stored(fn: Any, what: str) -> dict[str, str]:
    try:
        return function_record(fn)
    except ApiError as exc:
        raise ApiError(f"{what} cannot be checkpointed: {exc.message}") from None


def _truthy(value: Any) -> bool:
    """Script truth: only false and nil (None) are false, as in Lua; JS and Tengo convert first."""
    return value is not None and value is not False
