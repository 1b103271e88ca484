"""hex: encode bytes to hex, decode back."""

from __future__ import annotations

from typing import Any

from ._args import define, err


def _decode(s: str) -> Any:
    try:
        return bytes.fromhex(s) if len(s) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in s) else err(
            "encoding/hex: odd length hex string" if len(s) % 2 else "encoding/hex: invalid byte")
    except ValueError:
        return err("encoding/hex: invalid byte")


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}
    define(m, "encode", 1, "y", lambda b: b.hex())
    define(m, "decode", 1, "s", _decode)
    return m
