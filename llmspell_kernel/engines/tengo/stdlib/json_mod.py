"""json: encode (to bytes), decode, indent, html_escape, with the reference's output and error texts.

Validation follows the JSON grammar byte by byte and words its errors as Go's encoding/json scanner
("invalid character 'x' looking for beginning of value", "unexpected end of JSON input"); the end of
the input is read as one space first, as that scanner does, so `nul` fails "in literal null".
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..meter import made
from ..values import Char, ImmArray, ImmMap, TError, Time, fmt_float, fmt_float_e
from ._args import define

MIN_INT, MAX_INT = -(2**63), 2**63 - 1
_WS = b" \t\r\n"
_HEX = b"0123456789abcdefABCDEF"
_DIGITS = b"0123456789"


class _Invalid(Exception):
    pass


def _char(c: int) -> str:
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    return "'" + json.dumps(chr(c))[1:-1] + "'" if c < 0x20 or c == 0x5C else f"'{chr(c)}'"


class _Validator:
    """Checks one JSON text; raises _Invalid with Go's wording."""

    def __init__(self, data: bytes) -> None:
        self.d = data + b" "  # the scanner's end-of-input step
        self.n = len(data)
        self.i = 0

    def peek(self) -> int:
        if self.i > self.n:
            raise _Invalid("unexpected end of JSON input")
        return self.d[self.i]

    def fail(self, context: str) -> _Invalid:
        return _Invalid(f"invalid character {_char(self.d[self.i])} {context}".rstrip())

    def ws(self) -> int:
        while self.peek() in _WS:
            self.i += 1
        return self.peek()

    def run(self) -> None:
        self.value()
        while self.i < self.n + 1 and self.d[self.i] in _WS:
            self.i += 1
        if self.i <= self.n - 1:
            raise self.fail("after top-level value")

    def value(self) -> None:
        c = self.ws()
        if c == 0x7B:
            self.obj()
        elif c == 0x5B:
            self.arr()
        elif c == 0x22:
            self.string()
        elif c == 0x2D or c in _DIGITS:
            self.number()
        elif c in b"tfn":
            word = {0x74: b"true", 0x66: b"false", 0x6E: b"null"}[c]
            self.i += 1
            for want in word[1:]:
                if self.peek() != want:
                    raise self.fail(f"in literal {word.decode()} (expecting '{chr(want)}')")
                self.i += 1
        else:
            raise self.fail("looking for beginning of value")

    def obj(self) -> None:
        self.i += 1
        if self.ws() == 0x7D:
            self.i += 1
            return
        while True:
            if self.ws() != 0x22:
                raise self.fail("looking for beginning of object key string")
            self.string()
            if self.ws() != 0x3A:
                raise self.fail("after object key")
            self.i += 1
            self.value()
            c = self.ws()
            self.i += 1
            if c == 0x7D:
                return
            if c != 0x2C:
                self.i -= 1
                raise self.fail("after object key:value pair")

    def arr(self) -> None:
        self.i += 1
        if self.ws() == 0x5D:
            self.i += 1
            return
        while True:
            self.value()
            c = self.ws()
            self.i += 1
            if c == 0x5D:
                return
            if c != 0x2C:
                self.i -= 1
                raise self.fail("after array element")

    def string(self) -> None:
        self.i += 1
        while True:
            c = self.peek()
            if self.i >= self.n:
                raise _Invalid("unexpected end of JSON input")
            self.i += 1
            if c == 0x22:
                return
            if c == 0x5C:
                e = self.peek()
                if e == 0x75:
                    self.i += 1
                    for _ in range(4):
                        if self.peek() not in _HEX:
                            raise self.fail("in \\u hexadecimal character escape")
                        self.i += 1
                elif e in b'bfnrt"\\/':
                    self.i += 1
                else:
                    raise self.fail("in string escape code")
            elif c < 0x20:
                self.i -= 1
                raise self.fail("in string literal")

    def digits(self) -> None:
        while self.peek() in _DIGITS:
            self.i += 1

    def number(self) -> None:
        if self.peek() == 0x2D:
            self.i += 1
            if self.peek() not in _DIGITS:
                raise self.fail("in numeric literal")
        if self.peek() == 0x30:
            self.i += 1
        else:
            self.digits()
        if self.peek() == 0x2E:
            self.i += 1
            if self.peek() not in _DIGITS:
                raise self.fail("after decimal point in numeric literal")
            self.digits()
        if self.peek() in b"eE":
            self.i += 1
            if self.peek() in b"+-":
                self.i += 1
            if self.peek() not in _DIGITS:
                raise self.fail("in exponent of numeric literal")
            self.digits()


def _check(data: bytes) -> str | None:
    try:
        _Validator(data).run()
    except _Invalid as e:
        return str(e)
    return None


def _int(s: str) -> int:
    return max(MIN_INT, min(MAX_INT, int(s)))  # Go's ParseInt gives the bound on overflow


def _decode(data: bytes) -> Any:
    err = _check(data)
    if err is not None:
        return TError(err)
    text = data.decode("utf-8", "replace")
    return json.loads(text, parse_int=_int, parse_float=float)  # fresh dicts and lists: Tengo's maps and arrays


def _float(f: float) -> str:
    """'f' format, or 'e' (with e-07 written e-7) below 1e-6 and from 1e21, as the reference's encoder picks."""
    a = abs(f)
    if a == 0 or 1e-6 <= a < 1e21:
        return fmt_float(f)
    s = fmt_float_e(f)
    return s[:-2] + s[-1] if s[-4:-1] == "e-0" else s


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _string(s: str) -> str:
    """Escapes quotes, backslashes and control characters only (no HTML escaping, unlike Go's encoding/json)."""
    return '"' + "".join(_ESCAPES.get(ch) or (f"\\u00{ord(ch):02x}" if ch < " " else ch) for ch in s) + '"'


def _enc(v: Any) -> str | None:
    """The reference's encoding; None for a value it cannot encode (a NaN or infinite float)."""
    t = type(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return None if v != v or v in (float("inf"), float("-inf")) else _float(v)
    if t is str:
        return _string(v)
    if t is list or t is ImmArray:
        made(len(v) << 3)  # an array held many times is written out each time: metered as it goes
        parts = [_enc(e) for e in v]
        return None if None in parts else "[" + ",".join(parts) + "]"  # type: ignore[arg-type]
    if t is dict or t is ImmMap:  # the reference's order is Go's random map order: sorted keys are one of them
        made(len(v) << 3)
        keys = sorted(v)
        parts = [_enc(v[k]) for k in keys]
        if None in parts:
            return None
        return "{" + ",".join(_string(k) + ":" + p for k, p in zip(keys, parts, strict=True)) + "}"  # type: ignore[operator]
    if t is bytes:
        return '"' + base64.b64encode(v).decode() + '"'
    if t is Char:
        return str(v.v)
    if t is Time:
        from .times_mod import go_format

        return '"' + go_format(v, "2006-01-02T15:04:05.999999999Z07:00") + '"'
    return ""  # errors, functions and the like encode as nothing


def _encode(v: Any) -> Any:
    s = _enc(v)
    return TError("unsupported float value") if s is None else s.encode("utf-8", "surrogateescape")


def _indent(data: bytes, prefix: str, ind: str) -> Any:
    err = _check(data)
    if err is not None:
        return TError(err)
    out: list[str] = []
    text = data.decode("utf-8", "surrogateescape").lstrip(" \t\r\n")  # Go drops leading space, keeps trailing
    trailing = text[len(text.rstrip(" \t\r\n")):]
    text = text.rstrip(" \t\r\n")
    depth, i, n = 0, 0, len(text)
    pre, step = prefix, ind

    def newline(d: int) -> None:
        out.append("\n" + pre + step * d)

    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "[{":
            k = i + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k < n and text[k] == ("]" if c == "[" else "}"):
                out.append(c + text[k])
                i = k + 1
                continue
            depth += 1
            out.append(c)
            newline(depth)
        elif c in "]}":
            depth -= 1
            newline(depth)
            out.append(c)
        elif c == ",":
            out.append(c)
            newline(depth)
        elif c == ":":
            out.append(": ")
        else:
            out.append(c)
        i += 1
    return ("".join(out) + trailing).encode("utf-8", "surrogateescape")


def _html_escape(b: bytes) -> bytes:
    for k, v in ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), ("\u2028".encode(), b"\\u2028"),
                 ("\u2029".encode(), b"\\u2029")):
        b = b.replace(k, v)
    return b


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}
    define(m, "encode", 1, "a", _encode)
    define(m, "decode", 1, "Y", _decode)
    define(m, "indent", 3, "Yss", _indent)
    define(m, "html_escape", 1, "Y", _html_escape)
    return m
