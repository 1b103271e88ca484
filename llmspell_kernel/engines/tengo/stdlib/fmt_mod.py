"""fmt: print, printf, println, sprintf."""

from __future__ import annotations

from typing import Any

from ..builtins import format_args
from ..formatter import format_values
from ..values import to_str, to_string
from . import user_fn


def make(rt: Any) -> dict[str, Any]:
    out = rt.stdout

    def fmt_print(*args: Any) -> None:
        out("".join([to_string(a) for a in args]))

    def fmt_println(*args: Any) -> None:
        out("".join([to_string(a) for a in args]) + "\n")

    def fmt_printf(*args: Any) -> None:
        f, values = format_args("user-function:printf", args)
        out(format_values(f, values) if values else to_str(f))  # alone, the reference prints the quoted form

    def fmt_sprintf(*args: Any) -> Any:
        f, values = format_args("user-function:sprintf", args)
        return format_values(f, values) if values else f

    return {
        "print": user_fn("print", fmt_print),
        "printf": user_fn("printf", fmt_printf),
        "println": user_fn("println", fmt_println),
        "sprintf": user_fn("sprintf", fmt_sprintf),
    }
