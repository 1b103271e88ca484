"""base64: std/url, padded/raw encodings; decoding is as strict as Go's, with its error offsets."""

from __future__ import annotations

import base64
import string
from typing import Any

from ._args import define, err

_STD = frozenset(string.ascii_letters + string.digits + "+/")
_URL = frozenset(string.ascii_letters + string.digits + "-_")


def _corrupt(at: int) -> Any:
    return err(f"illegal base64 data at input byte {at}")


def _dec(s: str, url: bool, raw: bool) -> Any:
    """Decode quantum by quantum as encoding/base64 does, failing at the offset it names."""
    alphabet, n, si = (_URL if url else _STD), len(s), 0
    kept: list[str] = []
    while True:
        j = 0
        while j < 4:
            if si == n:
                if j == 0 or (raw and j > 1):
                    return _finish(kept, url)
                return _corrupt(si - j)
            c = s[si]
            si += 1
            if c in alphabet:
                kept.append(c)
                j += 1
            elif c in "\r\n":
                continue
            elif c != "=" or raw or j < 2:
                return _corrupt(si - 1)
            else:  # padding after 2 or 3 characters ends the input
                if j == 2:
                    if si == n:
                        return _corrupt(n)
                    if s[si] != "=":
                        return _corrupt(si - 1)
                    si += 1
                if si < n:
                    return _corrupt(si)
                return _finish(kept, url)


def _finish(chars: list[str], url: bool) -> bytes:
    text = "".join(chars)
    text += "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text) if url else base64.b64decode(text)


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}

    def enc(url: bool, raw: bool) -> Any:
        def f(b: bytes) -> str:
            s = (base64.urlsafe_b64encode(b) if url else base64.b64encode(b)).decode()
            return s.rstrip("=") if raw else s
        return f

    for prefix, url, raw in (("", False, False), ("raw_", False, True), ("url_", True, False),
                             ("raw_url_", True, True)):
        define(m, prefix + "encode", 1, "y", enc(url, raw), anonymous=True)
        define(m, prefix + "decode", 1, "s", lambda s, url=url, raw=raw: _dec(s, url, raw), anonymous=True)
    return m
