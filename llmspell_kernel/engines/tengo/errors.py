"""TengoError: Tengo's parse/compile/runtime errors in the kernel's SpellError family."""

from __future__ import annotations

from llmspell_kernel.errors import Frame, ScriptRuntimeError, ScriptSyntaxError, SpellError


class TengoError(SpellError):
    """Base of every Tengo failure; `tengo_format()` is what the tengo CLI prints."""

    tengo_kind = "Runtime Error"
    more_errors = 0

    def tengo_format(self) -> str:
        lines = [f"{self.tengo_kind}: {self.message}"]
        for f in self.frames:
            where = f.chunk or ""
            if f.line is not None:
                where += f":{f.line}:{f.column if f.column is not None else 0}"
            lines.append(f"\tat {where}")
        text = "\n".join(lines)
        if self.more_errors:
            text += f" (and {self.more_errors} more errors)"
        return text


class TengoSyntaxError(TengoError, ScriptSyntaxError):
    """Parse Error / Compile Error."""

    tengo_kind = "Compile Error"


class TengoRuntimeError(TengoError, ScriptRuntimeError):
    """Runtime Error."""

    tengo_kind = "Runtime Error"


def make_error(cls: type, kind: str, message: str, frames: list[Frame], source: str | None = None,
               more: int = 0) -> TengoError:
    top = frames[0] if frames else Frame(chunk="")
    src_line = None
    if source is not None and top.line:
        lines = source.splitlines()
        if 0 < top.line <= len(lines):
            src_line = lines[top.line - 1]
    err = cls(message=message, engine="tengo", chunk=top.chunk, line=top.line, column=top.column,
              frames=frames, source_line=src_line)
    err.tengo_kind = kind
    err.more_errors = more
    return err
