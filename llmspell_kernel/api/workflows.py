"""`Workflow`: compose agents, tools, functions and workflows into sequential, parallel, conditional and loop runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .spec import HandleType, Namespace, api

if TYPE_CHECKING:  # the runtime module loads when a spell first uses it
    from ..runtime.workflows import Workflow


class WorkflowApi(Namespace):
    """Build workflows. A step is an agent (handle or name), `{tool = name, args?}`, a function or a workflow.

    A step with options is `{step = <step>, name?, retry?, on_error?, timeout?}`: `retry` is a
    count (a model call that failed after all its `llm_retries` is not retried again by the step),
    `on_error` is "fail" (the default) or "skip" (the step's input becomes its output), `timeout` is in ms.
    """

    api_name = "Workflow"

    @api(example=("Workflow", {"name": "pipeline", "steps": ["<fn>", "<fn>"]}))
    def sequential(self, definition: dict[str, Any]) -> Workflow:
        """Run `steps` in order; each step's output is the next step's input. Options: `name`, `steps`."""
        return self.session.workflows.build("sequential", definition)

    @api(example=("Workflow", {"steps": ["<fn>", "<fn>"], "max_concurrency": 2, "merge": "list"}))
    def parallel(self, definition: dict[str, Any]) -> Workflow:
        """Run `steps` concurrently, each on the same input.

        Options: `name`, `steps`, `max_concurrency`, and `merge`: "list" (the default: the
        outputs in step order), "map" (by step name) or a function of the list of outputs.
        """
        return self.session.workflows.build("parallel", definition)

    @api(example=("Workflow", {"branches": [{"when": "<fn>", "step": "<fn>"}], "default": "<fn>"}))
    def conditional(self, definition: dict[str, Any]) -> Workflow:
        """Run the step of the first branch whose `when(input)` is true, else `default`.

        Options: `name`, `branches` (`[{when, step}]`), `default`. With no match and no
        default, the input passes through unchanged.
        """
        return self.session.workflows.build("conditional", definition)

    @api(example=("Workflow", {"step": "<fn>", "until": "<fn>", "max_iterations": 5}))
    def loop(self, definition: dict[str, Any]) -> Workflow:
        """Run `step` repeatedly, feeding each output back in, until `until(output, i)` is true.

        Options: `name`, `step`, `until`, `max_iterations` (required). Reaching
        `max_iterations` before `until` holds fails the workflow; without `until` the step
        simply runs `max_iterations` times.
        """
        return self.session.workflows.build("loop", definition)

    @api(blocking=True, example=("Workflow", "run-1a2b3c4d5e6f"))
    def resume(self, run_id: str) -> dict[str, Any]:
        """Continue a checkpointed run (`wf.run(input, {checkpoint = true})`) from its first unfinished step.

        Works after a crash or a restart of a named session: the workflow is rebuilt from the
        checkpoint, and a step that had finished returns its recorded output without running
        again. Returns the run's result map, as `run` does.
        """
        return self.session.workflows.resume(run_id)

    @api(example=("Workflow",))
    def runs(self) -> list[dict[str, Any]]:
        """The checkpointed runs of this session, oldest first: `{run_id, workflow, status, steps_done, time}`."""
        return self.session.workflows.runs()


class WorkflowMethods(HandleType):
    """A workflow handle: run it now or in the background."""

    api_name = "WorkflowHandle"
    wraps = "llmspell_kernel.runtime.workflows:Workflow"

    @api(blocking=True, example=("workflow", "draft", {"checkpoint": True}))
    def run(self, workflow: Workflow, input: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run the workflow on `input`. Returns `{status, output, error?, steps}`; a failing step does not raise.

        `status` is "completed" or "failed"; each of `steps` is `{name, status, output, error,
        duration}` with a status of "completed", "failed" or "skipped". With `options`
        `{checkpoint = true, run_id?}` each finished step is recorded in the session's store and
        the result has a `run_id` for `Workflow.resume`; such a workflow's functions are stored
        by source, so they may use their arguments and globals but no captured local variables.
        """
        return self.session.workflows.run(workflow, input, options)

    @api(example=("workflow", "draft"))
    def run_async(self, workflow: Workflow, input: Any = None, options: dict[str, Any] | None = None) -> Any:
        """Start a run (with the options of `run`) and return a future of its result."""
        return self.session.submit(self.session.workflows.run, workflow, input, options)

    @api(example=("workflow",))
    def info(self, workflow: Workflow) -> dict[str, Any]:
        """The workflow's name, kind and step names."""
        return workflow.info()

    @api(property=True, example=("workflow",))
    def name(self, workflow: Workflow) -> str:
        """The workflow's name."""
        return workflow.name

    @api(property=True, example=("workflow",))
    def kind(self, workflow: Workflow) -> str:
        """"sequential", "parallel", "conditional" or "loop"."""
        return workflow.kind
