"""The errors a spell can meet, as one family rooted at `SpellError`.

Every engine maps its own failures onto these classes, so that the kernel,
the magics and the CLI report them the same way (and the CLI maps each class
to one exit code).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Frame:
    """One frame of a script's own stack: where, in the user's code."""

    chunk: str
    line: int | None = None
    column: int | None = None
    function: str | None = None

    def __str__(self) -> str:
        where = self.chunk
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where} in {self.function}" if self.function else where


@dataclass
class SpellError(Exception):
    """A failure of a spell, named by engine, chunk (cell or file) and line."""

    message: str
    engine: str | None = None
    chunk: str | None = None
    line: int | None = None
    column: int | None = None
    frames: list[Frame] = field(default_factory=list)
    source_line: str | None = None

    kind = "Error"  # the word shown before the message
    show_python_traceback = False  # `%spell config debug=true` turns it on
    exit_code = 3  # the CLI's exit code for this class

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.location()}{self.kind}: {self.message}" if self.location() else self.message

    def location(self) -> str:
        """`engine chunk:line: ` or the empty string when nothing is known."""
        parts = []
        if self.engine:
            parts.append(self.engine)
        if self.chunk:
            where = self.chunk
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        return (" ".join(parts) + ": ") if parts else ""

    def located(self, **where: object) -> SpellError:
        """Fill in location fields that are still unknown; returns self."""
        for name, value in where.items():
            if getattr(self, name, None) in (None, []) and value is not None:
                setattr(self, name, value)
        return self

    def _render_traceback_(self) -> list[str]:
        """IPython's hook: show the script's location and stack, not Python's internals."""
        lines = self.render()
        if SpellError.show_python_traceback and self.__traceback__ is not None:
            import traceback

            lines += ["", "Python traceback (debug=true):", *traceback.format_exception(self)]
        return [f"\x1b[0;31m{lines[0]}\x1b[0m", *lines[1:]]

    def render(self) -> list[str]:
        """The traceback lines shown to a user: location, source with a caret, stack."""
        lines = [f"{self.kind}: {self.message}"]
        if self.chunk:
            lines.append(f"  in {self.location().rstrip(': ')}")
        if self.source_line is not None:
            lines.append(f"    {self.source_line.rstrip()}")
            if self.column:
                lines.append("    " + " " * (self.column - 1) + "^")
        if self.frames:
            lines.append("  script stack:")
            lines.extend(f"    {frame}" for frame in self.frames)
        return lines


class ScriptRuntimeError(SpellError):
    """The script raised, or an operation in it failed."""

    kind = "RuntimeError"


class ScriptSyntaxError(SpellError):
    """The chunk does not parse or compile."""

    kind = "SyntaxError"


class ApiError(SpellError):
    """A spell API call was given bad arguments or failed."""

    kind = "ApiError"


class ConversionError(ApiError):
    """A value cannot cross between an engine and Python (or another engine)."""

    kind = "ConversionError"


class SandboxError(SpellError):
    """The script tried something the sandbox does not allow."""

    kind = "SandboxError"
    exit_code = 5


class LimitError(SpellError):
    """A resource limit stopped the script."""

    kind = "LimitError"
    exit_code = 3


class TimeLimitError(LimitError):
    """The chunk ran past its time limit."""

    kind = "TimeoutError"
    exit_code = 4


class MemoryLimitError(LimitError):
    """The engine reached its memory (or allocation) limit."""

    kind = "MemoryError"


class BudgetError(SpellError):
    """A token or cost budget (session, spell run or agent) refused a model call or was overspent."""

    kind = "BudgetError"
    exit_code = 6
    usage = None  # an overspending call's Usage: it was paid for, so its agent counts it


class InterruptedSpell(SpellError):
    """The user interrupted the chunk (Ctrl-C, the kernel's stop button)."""

    kind = "KeyboardInterrupt"


class LLMError(ApiError):
    """A model call failed: names the provider and model, and why."""

    kind = "LLMError"
    retried = False  # its retries (llm_retries) are spent: a workflow step's `retry` does not repeat them


class MissingKeyError(LLMError):
    """A real provider was asked for, but its API key is not set."""

    kind = "MissingKeyError"


class InternalError(SpellError):
    """A bug of ours, never a user's mistake; the CLI exits 1."""

    kind = "InternalError"
    exit_code = 1


def unexpected(exc: BaseException, **where: object) -> SpellError:
    """A non-SpellError exception that reached an engine's or the CLI's boundary, as the SpellError to report.

    Python's recursion limit is a limit of the spell's, not a bug of ours: a tool that calls itself,
    a `State.update` function that updates again, or source nested 100,000 brackets deep each nest
    Python frames until it is reached. Anything else is an InternalError.
    """
    if _recursion(exc):
        return LimitError("stack overflow: calls (or the source's brackets) nested too deeply "
                          "for Python's recursion limit", **where)
    return InternalError(f"{type(exc).__name__}: {exc}", **where)


def _recursion(exc: BaseException) -> bool:
    """Whether Python's recursion limit is behind `exc`: a RecursionError, one it caused, or one that a Rust
    extension reached inside a callback and turned into a panic (pyo3's PanicException, as rpds does under
    jsonschema): where the limit strikes is wherever the deepest frame happens to be."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RecursionError):
            return True
        if type(seen).__name__ == "PanicException" and "RecursionError" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
