"""text: Go strings/strconv/regexp helpers."""

from __future__ import annotations

import math
import re
from typing import Any

from ..meter import SMALL, made
from ..values import MAX_INT, MIN_INT, GoPanic, TengoRuntimeErr, TError, fmt_float, fmt_float_e, go_quote, wrap64
from ._args import define

MAX_STRING_LEN = 2147483647


def _repeat(s: str, n: int) -> Any:
    if wrap64(len(_b(s)) * n) > MAX_STRING_LEN:  # the reference's check, in int64 arithmetic
        raise TengoRuntimeErr("exceeding string size limit")
    if n < 0:
        raise GoPanic("strings: negative Repeat count")
    if s and len(_b(s)) * n > MAX_INT:
        raise GoPanic("strings: Repeat count causes overflow")
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


_RE_ERRORS = [  # Python's wording -> Go's (regexp/syntax), with the text Go quotes
    ("missing ), unterminated subpattern", "missing closing )", "pattern"),
    ("unterminated character set", "missing closing ]", "from"),
    ("nothing to repeat", "missing argument to repetition operator", "char"),
    ("multiple repeat", "invalid nested repetition operator", "pair"),
    ("unbalanced parenthesis", "unexpected )", "pattern"),
]


def _re_error(p: str, e: re.error) -> str:
    for py, go, shown in _RE_ERRORS:
        if str(e).startswith(py):
            pos = e.pos or 0
            text = {"pattern": p, "from": p[pos:], "char": p[pos:pos + 1], "pair": p[max(pos - 1, 0):pos + 1]}[shown]
            return f"error parsing regexp: {go}: `{text}`"
    return f"error parsing regexp: {e}"


def _compile(p: str, rt: Any) -> Any:
    """A bounded regexp; a bad pattern fails the call, as in the reference (its Go error escapes the wrapper)."""
    try:
        re.compile(_go_re(p))  # the syntax check
    except re.error as e:
        raise TengoRuntimeErr(_re_error(p, e)) from None
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


def _matches(rx: Any, text: str, count: int) -> list:
    """Go's FindAll: at most `count` (all when negative); an empty match right after a match is skipped."""
    out: list = []
    prev_end = -1
    for mt in rx.finditer(text):
        if 0 <= count <= len(out):
            break
        if mt.start() == mt.end() == prev_end:
            continue
        prev_end = mt.end()
        out.append(mt)
    return out


def _find(rx: Any, text: str, count: int | None = None) -> Any:
    """[[{text, begin, end} per matched group] per match]; without a count, the first match only."""
    found = _matches(rx, text, 1 if count is None else count)
    out = []
    for mt in found:
        groups = []
        for g in range(rx.groups + 1):
            st, en = mt.span(g)
            if st >= 0:
                groups.append({"text": mt.group(g), "begin": _byte_index(text, st), "end": _byte_index(text, en)})
        out.append(groups)
    return out if out else None


def _expand(mt: Any, template: str) -> str:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$; a name is the longest run of word characters."""
    out, i, n = [], 0, len(template)
    while i < n:
        c = template[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        if template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if template[i + 1] == "{":
            j = template.find("}", i + 2)
            name = template[i + 2:j] if j > 0 else ""
            nxt = j + 1
        else:
            j = i + 1
            while j < n and (template[j].isalnum() or template[j] == "_") and template[j].isascii():
                j += 1
            name, nxt = template[i + 1:j], j
        if not name or (template[i + 1] == "{" and not all(ch.isalnum() or ch == "_" for ch in name)):
            out.append("$")
            i += 1
            continue
        try:
            group = mt.group(int(name) if name.isdigit() else name)
        except (IndexError, KeyError):  # no such group: nothing
            group = None
        out.append(group or "")
        i = nxt
    return "".join(out)


def _replace(rx: Any, text: str, template: str) -> str:
    out, last = [], 0
    for mt in _matches(rx, text, -1):
        out.append(text[last:mt.start()])
        out.append(_expand(mt, template))
        last = mt.end()
    out.append(text[last:])
    return "".join(out)


def _split(rx: Any, text: str, n: int, has_expr: bool = True) -> Any:
    """Go's Regexp.Split."""
    if n == 0:
        return []
    if has_expr and text == "":
        return [""]
    parts: list[str] = []
    beg = end = 0
    for mt in _matches(rx, text, n):
        if n > 0 and len(parts) == n - 1:
            break
        end = mt.start()
        if mt.end() != 0:
            parts.append(text[beg:end])
        beg = mt.end()
    if end != len(text):
        parts.append(text[beg:])
    return parts


def _pad(s: str, n: int, w: str, left: bool) -> str:
    """The reference pads to `n` bytes with the pad repeated, cut to size at the pad's far end."""
    if n > MAX_STRING_LEN:
        raise TengoRuntimeErr("exceeding string size limit")
    sb, wb = _b(s), _b(w)
    if len(sb) >= n or not wb:
        return s
    if n > SMALL:
        made(n)  # asked after the reference's limit (its error comes first) and before the padding is made
    count = (n - len(wb)) // len(wb) + 1
    if left:
        return _s((wb * count + sb)[-n:])
    return _s((sb + wb * count)[:n])


# parse_int, parse_float and parse_bool fail the call (not an error value) as the reference's do: their Go
# error lands in the wrapper's own return value


def _parse_int(s: str, base: int, bits: int) -> Any:
    t = s.replace("_", "") if base == 0 else s
    try:
        v = int(t, base)
    except ValueError:
        raise TengoRuntimeErr(f'strconv.ParseInt: parsing {go_quote(s)}: invalid syntax') from None
    bits = bits or 64
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not lo <= v <= hi:
        raise TengoRuntimeErr(f'strconv.ParseInt: parsing {go_quote(s)}: value out of range')
    return v


def _parse_float(s: str) -> Any:
    from ..builtins import parse_go_float

    v = parse_go_float(s)
    if v is None:
        raise TengoRuntimeErr(f'strconv.ParseFloat: parsing {go_quote(s)}: invalid syntax')
    return v


def _parse_bool(s: str) -> Any:
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise TengoRuntimeErr(f'strconv.ParseBool: parsing {go_quote(s)}: invalid syntax')


def _format_float(f: float, fm: str, prec: int, bits: int) -> str:
    """strconv.FormatFloat for 'f', 'e', 'E', 'g', 'G' and 'b'."""
    if fm == "b":
        if f == 0 or f != f or f in (float("inf"), float("-inf")):
            return fmt_float(f) if f != 0 else ("-" if math.copysign(1, f) < 0 else "") + "0p-1074"
        m, e = math.frexp(abs(f))
        exp = e - 53
        return f"{'-' if f < 0 else ''}{int(m * (1 << 53))}p{'+' if exp >= 0 else ''}{exp}"
    if prec < 0:
        if fm == "f":
            return fmt_float(f)
        if fm in ("e", "E"):
            s = fmt_float_e(f)
        else:  # shortest 'g': %e when the exponent is below -4 or at least 6
            s = fmt_float_e(f)
            exp = int(s.rsplit("e", 1)[1]) if "e" in s else 0
            if -4 <= exp < 6:
                s = fmt_float(f)
        return s.upper() if fm in ("E", "G") and f == f else s
    if fm in ("f", "e", "E", "g", "G"):
        return format(f, f".{prec}{fm}")
    return fmt_float(f)


def _is_separator(ch: str) -> bool:
    """strings.Title's word boundary."""
    if ch.isascii():
        return not (ch.isalnum() or ch == "_")
    return not (ch.isalpha() or ch.isdigit()) and ch.isspace()


def _one(ch: str, mapped: str) -> str:
    """Go maps case one rune at a time (unicode.ToUpper): a mapping to several characters is not taken."""
    return mapped if len(mapped) == 1 else ch


def _upper(s: str) -> str:
    return "".join(_one(ch, ch.upper()) for ch in s)


def _lower(s: str) -> str:
    return "".join(ch.lower()[0] for ch in s)  # only U+0130 lowers to two characters; Go gives the first


def _to_title(s: str) -> str:
    return "".join(_one(ch, ch.title()) for ch in s)


def _title(s: str) -> str:
    out, prev = [], " "
    for ch in s:
        out.append(_one(ch, ch.title()) if _is_separator(prev) else ch)
        prev = ch
    return "".join(out)


def _fold(s: str) -> list[str]:
    return [_lower(_upper(ch)) for ch in s]


def _equal_fold(a: str, b: str) -> bool:
    """strings.EqualFold: simple case folding, rune by rune (ß is not SS)."""
    return len(a) == len(b) and _fold(a) == _fold(b)


def _atoi(s: str) -> Any:
    from ..builtins import parse_go_int10

    v = parse_go_int10(s)
    if v is None:
        why = "value out of range" if re.fullmatch(r"[+-]?[0-9]+", s) else "invalid syntax"
        return TError(f'strconv.Atoi: parsing {go_quote(s)}: {why}')
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


def _substr(s: str, lo: int, hi: int | None) -> Any:
    """Byte offsets, clamped to the string; lo > hi fails as in the reference."""
    data = _b(s)
    hi = len(data) if hi is None else hi
    if lo > hi:
        raise TengoRuntimeErr("invalid index type")
    lo, hi = min(max(lo, 0), len(data)), min(max(hi, 0), len(data))
    return _s(data[lo:hi])


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {}
    d = define
    d(m, "re_match", 2, "ss", lambda p, t: _compile(p, rt).search(t) is not None)
    d(m, "re_find", (2, 3), "ssi", lambda p, t, n=None: _find(_compile(p, rt), t, n))
    d(m, "re_replace", 3, "sss", lambda p, t, r: _replace(_compile(p, rt), t, r))
    d(m, "re_split", (2, 3), "ssi", lambda p, t, n=-1: _split(_compile(p, rt), t, n, bool(p)))
    d(m, "re_compile", 1, "s", lambda p: _regexp_obj(_compile(p, rt), bool(p)))
    d(m, "compare", 2, "ss", lambda a, b: (_b(a) > _b(b)) - (_b(a) < _b(b)))
    d(m, "contains", 2, "ss", lambda s, sub: sub in s)
    d(m, "contains_any", 2, "ss", lambda s, cs: any(c in s for c in cs))
    d(m, "count", 2, "ss", lambda s, sub: s.count(sub) if sub else len(s) + 1)
    d(m, "equal_fold", 2, "ss", _equal_fold)
    d(m, "fields", 1, "s", lambda s: s.split())
    d(m, "has_prefix", 2, "ss", lambda s, p: s.startswith(p))
    d(m, "has_suffix", 2, "ss", lambda s, p: s.endswith(p))
    d(m, "index", 2, "ss", lambda s, sub: _byte_index(s, s.find(sub)))
    d(m, "index_any", 2, "ss", _index_any)
    d(m, "join", 2, "as", _join)
    d(m, "last_index", 2, "ss", lambda s, sub: _byte_index(s, s.rfind(sub)))
    d(m, "last_index_any", 2, "ss", _last_index_any)
    d(m, "repeat", 2, "si", _repeat)
    d(m, "replace", 4, "sssi", _replace_n)
    d(m, "substr", (2, 3), "sii", lambda s, lo, hi=None: _substr(s, lo, hi))
    d(m, "split", 2, "ss", lambda s, sep: _split_n(s, sep, -1))
    d(m, "split_after", 2, "ss", lambda s, sep: _split_n(s, sep, -1, True))
    d(m, "split_after_n", 3, "ssi", lambda s, sep, n: _split_n(s, sep, n, True))
    d(m, "split_n", 3, "ssi", lambda s, sep, n: _split_n(s, sep, n))
    d(m, "title", 1, "s", _title)
    d(m, "to_lower", 1, "s", _lower)
    d(m, "to_title", 1, "s", _to_title)
    d(m, "to_upper", 1, "s", _upper)
    d(m, "pad_left", (2, 3), "sis", lambda s, n, w=" ": _pad(s, n, w, True))
    d(m, "pad_right", (2, 3), "sis", lambda s, n, w=" ": _pad(s, n, w, False))
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


def _replace_n(s: str, old: str, new: str, n: int) -> str:
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


def _regexp_obj(rx: Any, has_expr: bool) -> Any:
    from ..values import ImmMap

    m: dict[str, Any] = {}
    define(m, "match", 1, "s", lambda t: rx.search(t) is not None)
    define(m, "find", (1, 2), "si", lambda t, n=None: _find(rx, t, n))
    define(m, "replace", 2, "ss", lambda t, r: _replace(rx, t, r))
    define(m, "split", (1, 2), "si", lambda t, n=-1: _split(rx, t, n, has_expr))
    return ImmMap(m)
