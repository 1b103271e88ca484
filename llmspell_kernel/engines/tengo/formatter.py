"""A Go-fmt-like formatter over Tengo values (tengo.Format)."""

from __future__ import annotations

import math
from typing import Any

from .meter import SMALL, made
from .values import Char, ImmArray, char_str, fmt_float, fmt_float_e, go_quote, to_str, type_name


def _to_int(v: Any) -> int | None:
    t = type(v)
    if t is int:
        return v
    if t is Char:
        return v.v
    if t is bool:
        return 1 if v else 0
    if t is float:
        return int(v) if v == v and abs(v) < 9.2e18 else None
    return None


class _Spec:
    __slots__ = ("minus", "plus", "prec", "sharp", "space", "width", "zero")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.prec: int | None = None


def _pad(s: str, sp: _Spec, numeric: bool = False) -> str:
    w = sp.width
    if w is None or len(s) >= w:
        return s
    if sp.minus:
        return s + " " * (w - len(s))
    if sp.zero and numeric:
        sign = ""
        if s and s[0] in "+- ":
            sign, s = s[0], s[1:]
        return sign + "0" * (w - len(s) - len(sign)) + s
    if sp.zero and not numeric:
        return "0" * (w - len(s)) + s
    return " " * (w - len(s)) + s


def _fmt_int(v: int, verb: str, sp: _Spec) -> str:
    neg = v < 0
    a = -v if neg else v
    if verb in ("d", "v"):
        digits = str(a)
    elif verb == "b":
        digits = format(a, "b")
    elif verb == "o" or verb == "O":
        digits = format(a, "o")
    elif verb == "x":
        digits = format(a, "x")
    elif verb == "X":
        digits = format(a, "X")
    elif verb == "c":
        return _pad(char_str(v), sp)
    elif verb == "q":
        if not 0 <= v <= 0x10FFFF:  # not a rune (as an unsigned value): a bad verb
            return None  # type: ignore[return-value]
        return _pad(go_quote(char_str(v), "'"), sp)
    elif verb == "U":
        s = f"U+{a:04X}"
        if sp.sharp:
            s += " '" + char_str(v) + "'"
        return _pad(s, sp)
    else:
        return None  # type: ignore[return-value]
    if sp.prec is not None:
        digits = digits.rjust(sp.prec, "0") if not (sp.prec == 0 and a == 0) else ""
    prefix = ""
    if sp.sharp:
        prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "")
    if verb == "O":
        prefix = "0o"
    sign = "-" if neg else ("+" if sp.plus else (" " if sp.space else ""))
    s = sign + prefix + digits
    if sp.zero and sp.prec is None and sp.width and not sp.minus:
        w = sp.width - len(sign) - len(prefix)
        return sign + prefix + digits.rjust(w, "0")
    return _pad(s, sp)


def _fmt_float(f: float, verb: str, sp: _Spec) -> str | None:
    if verb not in "fFeEgGvbxX":
        return None  # a bad verb for a float, infinite or not
    if math.isinf(f) or f != f:
        s = "NaN" if f != f else ("+Inf" if f > 0 else "-Inf")  # Go shows the sign of an infinity
        if s == "NaN" and sp.plus:
            s = "+NaN"
        sp.zero = False
        return _pad(s, sp)
    prec = sp.prec
    if verb in ("f", "F"):
        s = f"{f:.{6 if prec is None else prec}f}"
    elif verb in ("e", "E"):
        s = f"{f:.{6 if prec is None else prec}e}"
        if verb == "E":
            s = s.upper()
    elif verb in ("g", "G", "v"):
        if prec is None:
            r = repr(f)
            if "e" in r or "E" in r:
                mant, exp = r.split("e")
                if mant.endswith(".0"):
                    mant = mant[:-2]
                e = int(exp)
                s = f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
            else:
                s = r[:-2] if r.endswith(".0") else r
            # shortest %g switches to exponent form for exp < -4 || exp >= 6 (%v: 21)
            x = abs(f)
            big = 1e21 if verb == "v" else 1e6
            if x != 0 and (x < 1e-4 or x >= big):
                s = fmt_float_e(f)
            elif x != 0:
                s = fmt_float(f)
        else:
            s = f"{f:.{prec or 1}g}"
            if "e" in s:
                mant, exp = s.split("e")
                e = int(exp)
                s = f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
        if verb == "G":
            s = s.upper()
    elif verb in ("x", "X"):  # hexadecimal mantissa and binary exponent, shortest: 0x1.8p+01
        if f == 0:
            s = ("-" if math.copysign(1, f) < 0 else "") + "0x0p+00"
        else:
            mant, exp = f.hex().split("p")
            mant = mant.rstrip("0").rstrip(".")
            s = f"{mant}p{exp[0]}{int(exp[1:]):02d}"
        s = s.upper() if verb == "X" else s
    elif verb == "b":
        m, e = math.frexp(f)
        s = f"{int(m * (1 << 53))}p{e - 53:+d}"
    else:
        return None
    if sp.plus and not s.startswith("-"):
        s = "+" + s
    elif sp.space and not s.startswith("-"):
        s = " " + s
    return _pad(s, sp, numeric=True)


def _fmt_str(s: str, verb: str, sp: _Spec) -> str | None:
    if verb in ("s", "v"):
        if sp.prec is not None:
            s = s[:sp.prec]
        return _pad(s, sp)
    if verb == "q":
        return _pad(go_quote(s) if not sp.sharp or "`" in s else "`" + s + "`", sp)
    if verb in ("x", "X"):
        return _hex(s.encode("utf-8", "surrogateescape"), verb, sp)
    return None


def _hex(b: bytes, verb: str, sp: _Spec) -> str:
    h = b.hex() if verb == "x" else b.hex().upper()
    if sp.space:
        h = " ".join(h[i:i + 2] for i in range(0, len(h), 2))
    return _pad(h, sp)


def _string(v: Any) -> str:
    """The value's String() in the reference: a string is quoted."""
    return go_quote(v) if type(v) is str else to_str(v)


def _bad(verb: str, v: Any, sp: _Spec | None = None) -> str:
    """%!verb(String()=value): the value printed as %v with the directive's width and precision."""
    shown = _string(v)
    if sp is not None:
        shown = _pad(shown[:sp.prec] if sp.prec is not None else shown, sp)
    return f"%!{verb}({_string(v)}={shown})"


def _arg_number(fmt: str, i: int, nargs: int) -> tuple[int | None, int, bool]:
    """An explicit `[n]` at fmt[i]: (zero-based index or None when bad, the next position, whether one was there)."""
    if i >= len(fmt) or fmt[i] != "[":
        return None, i, False
    close = fmt.find("]", i + 1)
    if len(fmt) - i < 3 or close < 0:
        return None, i + 1, True
    digits = fmt[i + 1:close]
    if not digits.isdigit() or not digits.isascii():
        return None, close + 1, True
    index = int(digits) - 1
    return (index if 0 <= index < nargs else None), close + 1, True


def format_values(fmt: str, args: list) -> str:
    """Go's Printf loop (flags, explicit argument indexes `%[2]d`, `*` width and precision) over Tengo values."""
    out: list[str] = []
    i, n, nargs = 0, len(fmt), len(args)
    argi = 0
    reordered = False
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        good = True
        sp = _Spec()
        while i < n and fmt[i] in "+-# 0":
            c = fmt[i]
            if c == "+":
                sp.plus = True
            elif c == "-":
                sp.minus = True
            elif c == "#":
                sp.sharp = True
            elif c == " ":
                sp.space = True
            else:
                sp.zero = True
            i += 1

        def arg_number() -> bool:
            nonlocal i, argi, good, reordered
            idx, i, found = _arg_number(fmt, i, nargs)
            if found:
                reordered = True
                if idx is None:
                    good = False
                else:
                    argi = idx
            return found and idx is not None

        after_index = arg_number()
        if i < n and fmt[i] == "*":
            i += 1
            w = _to_int(args[argi]) if argi < nargs else None
            argi += 1 if argi < nargs else 0
            if w is None:
                out.append("%!(BADWIDTH)")
            else:
                if w < 0:
                    sp.minus, w = True, -w
                sp.width = w
            after_index = False
        else:
            s = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > s:
                sp.width = int(fmt[s:i])
                if after_index:  # "%[3]2d"
                    good = False
        if i + 1 < n and fmt[i] == ".":
            i += 1
            if after_index:  # "%[3].2d"
                good = False
            after_index = arg_number()
            if i < n and fmt[i] == "*":
                i += 1
                p = _to_int(args[argi]) if argi < nargs else None
                argi += 1 if argi < nargs else 0
                sp.prec = p if p is not None and p >= 0 else None
                if p is None:
                    out.append("%!(BADPREC)")
                after_index = False
            else:
                s = i
                while i < n and fmt[i].isdigit():
                    i += 1
                sp.prec = int(fmt[s:i]) if i > s else 0
        if not after_index:
            after_index = arg_number()
        if max(sp.width or 0, sp.prec or 0) > SMALL:  # a width or precision sizes the result: ask first
            made(max(sp.width or 0, sp.prec or 0))
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif not good:
            out.append(f"%!{verb}(BADINDEX)")
        elif argi >= nargs:
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(format_one(args[argi], verb, sp))
            argi += 1
    if not reordered and argi < nargs:
        out.append("%!(EXTRA " + ", ".join(f"{type_name(a)}={_string(a)}" for a in args[argi:]) + ")")
    return "".join(out)


def format_one(v: Any, verb: str, sp: _Spec) -> str:
    if verb == "T":
        return _pad(type_name(v), sp)
    if verb == "v":
        s = to_str(v)
        return _pad(s[:sp.prec] if sp.prec is not None else s, sp)
    t = type(v)
    r: str | None
    if t is bool:
        r = _pad("true" if v else "false", sp) if verb == "t" else None
    elif t is float:
        r = _fmt_float(v, verb, sp)
    elif t is int:
        r = _fmt_int(v, verb, sp)
    elif t is str:
        r = _fmt_str(v, verb, sp)
    elif t is bytes:
        if verb == "s":
            r = _pad(v.decode("utf-8", "surrogateescape"), sp)
        elif verb in ("x", "X"):
            r = _hex(v, verb, sp)
        elif verb == "d":
            r = "[" + " ".join(str(b) for b in v) + "]"
        elif verb == "q":
            r = _pad(go_quote(v.decode("utf-8", "surrogateescape")), sp)
        else:
            r = None
    elif t is list or t is ImmArray or t is dict:
        r = _fmt_str(to_str(v), verb, sp)
    else:
        r = _fmt_str(to_str(v), verb, sp)
    return r if r is not None else _bad(verb, v, sp)
