"""json: encode (to bytes), decode, indent, html_escape."""

from __future__ import annotations

import json
from typing import Any

from ..meter import made
from ..values import Char, ImmArray, ImmMap, TError, Time, fmt_float, time_str
from ._args import define


def _enc(v: Any) -> Any:
    t = type(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            return "null"
        return fmt_float(v) if abs(v) < 1e21 else repr(v).replace("e+", "e+")
    if t is str:
        return json.dumps(v, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if t is list or t is ImmArray:
        made(len(v) << 3)  # an array held many times is written out each time: metered as it goes
        return "[" + ",".join(_enc(e) for e in v) + "]"
    if t is dict or t is ImmMap:
        made(len(v) << 3)
        return "{" + ",".join(_enc(k) + ":" + _enc(e) for k, e in sorted(v.items())) + "}"
    if t is bytes:
        import base64

        return '"' + base64.b64encode(v).decode() + '"'
    if t is Char:
        return str(v.v)
    if t is TError:
        return _enc(v.value) if False else '"' + "error" + '"'
    if t is Time:
        return '"' + time_str(v) + '"'
    return "null"


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _dec(e) for k, e in v.items()}
    if isinstance(v, list):
        return [_dec(e) for e in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return v


def _decode(b: bytes) -> Any:
    try:
        return _dec(json.loads(b.decode("utf-8", "surrogateescape")))
    except (ValueError, RecursionError) as e:
        return TError(str(e).split(":")[0])


def _indent(b: bytes, prefix: str, ind: str) -> Any:
    try:
        obj = json.loads(b)
    except ValueError as e:
        return TError(str(e))
    s = json.dumps(obj, indent=ind if ind else 0, ensure_ascii=False)
    return ("\n" + prefix).join(s.split("\n")).encode()


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}
    define(m, "encode", 1, "a", lambda v: _enc(v).encode("utf-8", "surrogateescape"))
    define(m, "decode", 1, "y", _decode)
    define(m, "indent", 3, "yss", _indent)
    define(m, "html_escape", 1, "y", lambda b: b.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026"))  # noqa: E501
    return m
