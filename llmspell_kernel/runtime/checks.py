"""Checks of option values that arrive from scripts, shared by agents and workflows."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError


def as_list(value: Any) -> list[Any]:
    """Script lists arrive as lists, or as empty maps when empty (a Lua `{}`); one value is a list of one."""
    if value is None or value == {}:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def is_int(value: Any) -> bool:
    """An integer, and not a boolean (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(value: Any, name: str) -> int:
    """`value` itself, or an ApiError naming the option (`name`)."""
    if not is_int(value) or value < 1:
        raise ApiError(f"{name} must be a positive integer, not {value!r}")
    return value
