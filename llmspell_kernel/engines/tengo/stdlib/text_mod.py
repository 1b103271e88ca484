"""text: Go strings/strconv/regexp helpers."""

from __future__ import annotations

import re
from typing import Any

from ..ops import SMALL, made
from ..values import MAX_INT, MIN_INT, TengoRuntimeErr, TError, fmt_float, go_quote
from ._args import define


def _repeat(s: str, n: int) -> Any:
    if n < 0:
        return TError("negative count")
    if len(s) * n > SMALL:
        made(len(s) * n)  # the budget may stop a huge repeat before it is made
    return s * n


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _byte_index(s: str, i: int) -> int:
    return -1 if i < 0 else len(_b(s[:i]))


def _split_n(s: str, sep: str, n: int, after: bool = False) -> list:
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[:n - 1] + ["".join(chars[n - 1:])]  # noqa: RUF005
        return chars
    parts = s.split(sep, n - 1 if n > 0 else -1)
    if after:
        return [p + sep for p in parts[:-1]] + [parts[-1]]
    return parts


def _go_re(p: str) -> str:
    # Go RE2 named groups (?P<n>...) are Python-compatible; \z -> \Z
    return p.replace(r"\z", r"\Z")


REGEX_CAP = 30.0  # seconds one regexp call may take when the script has no time limit


def _compile(p: str, rt: Any) -> Any:
    try:
        re.compile(_go_re(p))  # the syntax check, with the messages the tests know
    except re.error as e:
        return TError(f"error parsing regexp: {e}")
    import regex  # the same syntax (V0), and a timeout: a backtracking pattern cannot outrun the time limit

    return _Regexp(regex.compile(_go_re(p), regex.V0), rt)


class _Regexp:
    """A compiled regexp whose every call is bounded in time. Go's RE2 never backtracks; Python's engines
    do, so `(a+)+$` could otherwise run for hours, out of reach of the time limit and the stop button."""

    def __init__(self, compiled: Any, rt: Any) -> None:
        self.rx, self.rt, self.groups = compiled, rt, compiled.groups

    def _bounded(self, method: str, *args: Any) -> Any:
        left = self.rt.time_left() if self.rt.time_left is not None else None
        limit = REGEX_CAP if left is None else min(max(left, 0.001), REGEX_CAP)
        try:
            result = getattr(self.rx, method)(*args, timeout=limit)
            return list(result) if method == "finditer" else result
        except TimeoutError:
            self.rt._tick()  # past the script's time limit: the engine's own error, located
            raise TengoRuntimeErr(f"the regular expression ran longer than {limit:g} s; simplify it "
                                  "(nested repetition such as (a+)+ backtracks)") from None

    def search(self, text: str) -> Any:
        return self._bounded("search", text)

    def finditer(self, text: str) -> Any:
        return self._bounded("finditer", text)

    def sub(self, repl: str, text: str) -> Any:
        return self._bounded("sub", repl, text)

    def split(self, text: str, maxsplit: int) -> Any:
        return self._bounded("split", text, maxsplit)


def _find(rx: Any, text: str, count: int) -> Any:
    out = []
    for mt in rx.finditer(text):
        if 0 <= count <= len(out):
            break
        groups = []
        for g in range(rx.groups + 1):
            st, en = mt.span(g)
            groups.append({"text": mt.group(g) or "", "begin": _byte_index(text, st), "end": _byte_index(text, en)})
        out.append(groups)
    return out if out else None


def _pad(s: str, n: int, w: str, left: bool) -> str:
    if not w:
        w = " "
    if len(s) >= n:
        return s
    need = n - len(s)
    pad = (w * (need // len(w) + 1))[:need]
    return pad + s if left else s + pad


def _parse_int(s: str, base: int, bits: int) -> Any:
    t = s.replace("_", "") if base == 0 else s
    try:
        v = int(t, base)
    except ValueError:
        return TError(f'strconv.ParseInt: parsing {go_quote(s)}: invalid syntax')
    bits = bits or 64
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not lo <= v <= hi:
        return TError(f'strconv.ParseInt: parsing {go_quote(s)}: value out of range')
    return v


def _parse_float(s: str) -> Any:
    from ..builtins import parse_go_float

    v = parse_go_float(s)
    if v is None:
        return TError(f'strconv.ParseFloat: parsing {go_quote(s)}: invalid syntax')
    return v


def _parse_bool(s: str) -> Any:
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return TError(f'strconv.ParseBool: parsing {go_quote(s)}: invalid syntax')


def _format_float(f: float, fm: str, prec: int, bits: int) -> str:
    if fm == "f" and prec < 0:
        return fmt_float(f)
    if prec < 0:
        r = repr(f)
        if fm in ("e", "E"):
            return f"{f:e}".upper() if fm == "E" else f"{f:e}"
        return r
    if fm in ("f", "e", "E", "g", "G"):
        return format(f, f".{prec}{fm}")
    return fmt_float(f)


def _title(s: str) -> str:
    out, prev = [], " "
    for ch in s:
        out.append(ch.upper() if not (prev.isalnum() or prev == "_" or prev == "'") else ch)
        prev = ch
    return "".join(out)


def _atoi(s: str) -> Any:
    from ..builtins import parse_go_int10

    v = parse_go_int10(s)
    if v is None:
        return TError(f'strconv.Atoi: parsing {go_quote(s)}: invalid syntax')
    return v


def _unquote(s: str) -> Any:
    from ..lexer import unquote

    v = unquote(s)
    return TError("invalid syntax") if v is None else v


def _index_any(s: str, chars: str) -> int:
    for i, ch in enumerate(s):
        if ch in chars:
            return _byte_index(s, i)
    return -1


def _last_index_any(s: str, chars: str) -> int:
    for i in range(len(s) - 1, -1, -1):
        if s[i] in chars:
            return _byte_index(s, i)
    return -1


def _substr(s: str, lo: int, hi: int) -> Any:
    rs = list(s)
    lo = max(lo, 0)
    hi = min(hi, len(rs))
    return "".join(rs[lo:hi]) if lo <= hi else ""


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}
    d = define
    d(m, "re_match", 2, "ss", lambda p, t: rx.search(t) is not None if not isinstance(rx := _compile(p, rt), TError) else rx)  # noqa: E501
    d(m, "re_find", (2, 3), "ssi", lambda p, t, n=-1: _find(rx, t, n) if not isinstance(rx := _compile(p, rt), TError) else rx)  # noqa: E501
    d(m, "re_replace", 3, "sss", lambda p, t, r: rx.sub(r.replace("\\", "\\\\").replace("$", "\\"), t)
      if not isinstance(rx := _compile(p, rt), TError) else rx)
    d(m, "re_split", (2, 3), "ssi", lambda p, t, n=-1: (rx.split(t, n - 1 if n > 0 else 0) if n != 0 else [])
      if not isinstance(rx := _compile(p, rt), TError) else rx)
    d(m, "re_compile", 1, "s", lambda p: _regexp_obj(rx) if not isinstance(rx := _compile(p, rt), TError) else rx)
    d(m, "compare", 2, "ss", lambda a, b: (_b(a) > _b(b)) - (_b(a) < _b(b)))
    d(m, "contains", 2, "ss", lambda s, sub: sub in s)
    d(m, "contains_any", 2, "ss", lambda s, cs: any(c in s for c in cs))
    d(m, "count", 2, "ss", lambda s, sub: s.count(sub) if sub else len(s) + 1)
    d(m, "equal_fold", 2, "ss", lambda a, b: a.casefold() == b.casefold())
    d(m, "fields", 1, "s", lambda s: s.split())
    d(m, "has_prefix", 2, "ss", lambda s, p: s.startswith(p))
    d(m, "has_suffix", 2, "ss", lambda s, p: s.endswith(p))
    d(m, "index", 2, "ss", lambda s, sub: _byte_index(s, s.find(sub)))
    d(m, "index_any", 2, "ss", _index_any)
    d(m, "join", 2, "as", _join)
    d(m, "last_index", 2, "ss", lambda s, sub: _byte_index(s, s.rfind(sub)))
    d(m, "last_index_any", 2, "ss", _last_index_any)
    d(m, "repeat", 2, "si", _repeat)
    d(m, "replace", 4, "sssi", _replace)
    d(m, "substr", (2, 3), "sii", lambda s, lo, hi=None: _substr(s, lo, len(s) if hi is None else hi))
    d(m, "split", 2, "ss", lambda s, sep: _split_n(s, sep, -1))
    d(m, "split_after", 2, "ss", lambda s, sep: _split_n(s, sep, -1, True))
    d(m, "split_after_n", 3, "ssi", lambda s, sep, n: _split_n(s, sep, n, True))
    d(m, "split_n", 3, "ssi", lambda s, sep, n: _split_n(s, sep, n))
    d(m, "title", 1, "s", _title)
    d(m, "to_lower", 1, "s", str.lower)
    d(m, "to_title", 1, "s", str.upper)
    d(m, "to_upper", 1, "s", str.upper)
    d(m, "pad_left", (2, 3), "sns", lambda s, n, w=" ": _pad(s, n, w, True))
    d(m, "pad_right", (2, 3), "sns", lambda s, n, w=" ": _pad(s, n, w, False))
    d(m, "trim", 2, "ss", lambda s, cs: s.strip(cs))
    d(m, "trim_left", 2, "ss", lambda s, cs: s.lstrip(cs))
    d(m, "trim_prefix", 2, "ss", lambda s, p: s[len(p):] if p and s.startswith(p) else s)
    d(m, "trim_right", 2, "ss", lambda s, cs: s.rstrip(cs))
    d(m, "trim_space", 1, "s", str.strip)
    d(m, "trim_suffix", 2, "ss", lambda s, p: s[:-len(p)] if p and s.endswith(p) else s)
    d(m, "atoi", 1, "s", _atoi)
    d(m, "format_bool", 1, "a", lambda b: "true" if b is True else "false")
    d(m, "format_float", 4, "fsni", _format_float)
    d(m, "format_int", 2, "ii", lambda i, base: _fmt_base(i, base))
    d(m, "itoa", 1, "i", str)
    d(m, "parse_bool", 1, "s", _parse_bool)
    d(m, "parse_float", 2, "si", lambda s, bits: _parse_float(s))
    d(m, "parse_int", 3, "sii", _parse_int)
    d(m, "quote", 1, "s", go_quote)
    d(m, "unquote", 1, "s", _unquote)
    return m


def _join(arr: Any, sep: str) -> str:
    items = _join_items(arr)
    made(sum(map(len, items)) + len(sep) * max(len(items) - 1, 0))  # a string held many times: ask first
    return sep.join(items)


def _replace(s: str, old: str, new: str, n: int) -> str:
    if len(new) > len(old):  # the result grows: ask for its size before it is made
        count = s.count(old) if n < 0 else min(n, s.count(old))
        made(len(s) + count * (len(new) - len(old)))
    return s.replace(old, new, n if n >= 0 else -1)


def _join_items(arr: Any) -> list:
    from ..values import to_string

    return [to_string(x) for x in arr] if type(arr) in (list, tuple) or isinstance(arr, list) else []


def _fmt_base(i: int, base: int) -> str:
    if not 2 <= base <= 36 or not MIN_INT <= i <= MAX_INT:
        return ""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    n, out = abs(i), []
    while True:
        n, r = divmod(n, base)
        out.append(digits[r])
        if n == 0:
            break
    return ("-" if i < 0 else "") + "".join(reversed(out))


def _regexp_obj(rx: Any) -> Any:
    from ..values import ImmMap

    m: dict[str, Any] = {}
    define(m, "match", 1, "s", lambda t: rx.search(t) is not None)
    define(m, "find", (1, 2), "si", lambda t, n=-1: _find(rx, t, n))
    define(m, "replace", 2, "ss", lambda t, r: rx.sub(r.replace("\\", "\\\\").replace("$", "\\"), t))
    define(m, "split", (1, 2), "si", lambda t, n=-1: rx.split(t, n - 1 if n > 0 else 0) if n != 0 else [])
    return ImmMap(m)
