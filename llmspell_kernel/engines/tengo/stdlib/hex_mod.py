"""hex: encode bytes to hex, decode back (Go's error texts: the first bad byte, else an odd length)."""

from __future__ import annotations

from typing import Any

from ._args import define, err

_HEX = frozenset("0123456789abcdefABCDEF")


def _decode(s: str) -> Any:
    data = s.encode("utf-8", "surrogateescape")
    for byte in data:  # Go checks every byte, in order, before the length
        if chr(byte) not in _HEX:
            c = chr(byte)  # a byte shows as the rune of its value (%#U)
            return err(f"encoding/hex: invalid byte: U+{byte:04X}" + (f" '{c}'" if c.isprintable() else ""))
    if len(data) % 2:
        return err("encoding/hex: odd length hex string")
    return bytes.fromhex(s)


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}
    define(m, "encode", 1, "y", lambda b: b.hex(), anonymous=True)
    define(m, "decode", 1, "s", _decode, anonymous=True)
    return m
