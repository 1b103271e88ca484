"""base64: std/url, padded/raw encodings."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ._args import define, err


def _dec(s: str, url: bool, raw: bool) -> Any:
    b = s.encode("utf-8", "surrogateescape")
    if raw:
        b += b"=" * (-len(b) % 4)
    try:
        return base64.b64decode(b, altchars=b"-_" if url else None, validate=True)
    except (binascii.Error, ValueError):
        return err("illegal base64 data at input byte 0")


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}

    def enc(url: bool, raw: bool) -> Any:
        def f(b: bytes) -> str:
            s = (base64.urlsafe_b64encode(b) if url else base64.b64encode(b)).decode()
            return s.rstrip("=") if raw else s
        return f

    define(m, "encode", 1, "y", enc(False, False))
    define(m, "decode", 1, "s", lambda s: _dec(s, False, False))
    define(m, "raw_encode", 1, "y", enc(False, True))
    define(m, "raw_decode", 1, "s", lambda s: _dec(s, False, True))
    define(m, "url_encode", 1, "y", enc(True, False))
    define(m, "url_decode", 1, "s", lambda s: _dec(s, True, False))
    define(m, "raw_url_encode", 1, "y", enc(True, True))
    define(m, "raw_url_decode", 1, "s", lambda s: _dec(s, True, True))
    return m
