"""fmt: print, printf, println, sprintf."""

from __future__ import annotations

from typing import Any

from ..builtins import bad_type, wrong_args
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
        if not args:
            raise wrong_args("user-function:printf")
        f = args[0]
        if type(f) is not str:
            raise bad_type("user-function:printf", "format", "string", f)
        if len(args) == 1:
            out(to_str(f))  # the reference prints the String() (quoted) form here
            return
        out(format_values(f, list(args[1:])))

    def fmt_sprintf(*args: Any) -> Any:
        if not args:
            raise wrong_args("user-function:sprintf")
        f = args[0]
        if type(f) is not str:
            raise bad_type("user-function:sprintf", "format", "string", f)
        if len(args) == 1:
            return f
        return format_values(f, list(args[1:]))

    return {
        "print": user_fn("print", fmt_print),
        "printf": user_fn("printf", fmt_printf),
        "println": user_fn("println", fmt_println),
        "sprintf": user_fn("sprintf", fmt_sprintf),
    }
