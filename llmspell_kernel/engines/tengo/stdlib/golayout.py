"""Go time layouts ("2006-01-02T15:04:05Z07:00"): formatting and parsing, as Go's time package reads them.

A layout is literal text and reference-time elements; `tokens` splits it the way Go does (longest element
first at each position, `_2006` is a literal `_` and a year, `.000`/`.999` are fractions only when no digit
follows). Parsing reports Go's error texts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..values import Time

_NS = 1_000_000_000
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_ZONES = ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07", "-070000", "-07:00:00", "-0700", "-07:00", "-07"]
_SIMPLE = ["January", "Jan", "Monday", "Mon", "MST", "2006", "002", "__2", "_2", "01", "02", "03", "04", "05",
           "06", "15", "PM", "pm", "1", "2", "3", "4", "5"]


def tokens(layout: str) -> list[tuple[str, str]]:
    """[(kind, text)]: kind "lit" for literal text, else the element ("2006", "Z07:00", ".000", ...)."""
    out: list[tuple[str, str]] = []
    lit, i, n = "", 0, len(layout)
    while i < n:
        found = None
        if layout.startswith("_2006", i):
            lit += "_"
            i += 1
            continue
        if layout[i] in ".," and i + 1 < n and layout[i + 1] in "09":
            j = i + 1
            while j < n and layout[j] == layout[i + 1]:
                j += 1
            if not (j < n and layout[j].isdigit()):
                found = layout[i:j]
        if found is None:
            for el in _ZONES + _SIMPLE:
                if layout.startswith(el, i):
                    found = el
                    break
        if found is None:
            lit += layout[i]
            i += 1
            continue
        if lit:
            out.append(("lit", lit))
            lit = ""
        kind = found if found[0] not in ".," else ("frac0" if found[1] == "0" else "frac9")
        out.append((kind, found))
        i += len(found)
    if lit:
        out.append(("lit", lit))
    return out


def _offset(off: int, el: str) -> str:
    if el[0] == "Z" and off == 0:
        return "Z"
    sign = "-" if off < 0 else "+"
    off = abs(off)
    h, m, s = off // 3600, off % 3600 // 60, off % 60
    body = el[1:]
    if body == "07":
        return f"{sign}{h:02d}"
    if body in ("0700", "07:00"):
        sep = ":" if ":" in body else ""
        return f"{sign}{h:02d}{sep}{m:02d}"
    sep = ":" if ":" in body else ""
    return f"{sign}{h:02d}{sep}{m:02d}{sep}{s:02d}"


def go_format(t: Time, layout: str) -> str:
    d = t.parts()
    ns = t.nanos()
    out = []
    for kind, text in tokens(layout):
        if kind == "lit":
            out.append(text)
        elif kind == "2006":
            out.append(f"{d.year:04d}")
        elif kind == "06":
            out.append(f"{d.year % 100:02d}")
        elif kind in ("January", "Jan"):
            out.append(MONTHS[d.month - 1][: None if kind == "January" else 3])
        elif kind in ("Monday", "Mon"):
            out.append(DAYS[(d.weekday() + 1) % 7][: None if kind == "Monday" else 3])
        elif kind in ("01", "1"):
            out.append(f"{d.month:02d}" if kind == "01" else str(d.month))
        elif kind in ("02", "2", "_2"):
            out.append({"02": f"{d.day:02d}", "2": str(d.day), "_2": f"{d.day:2d}"}[kind])
        elif kind in ("002", "__2"):
            yd = d.timetuple().tm_yday
            out.append(f"{yd:03d}" if kind == "002" else f"{yd:3d}")
        elif kind == "15":
            out.append(f"{d.hour:02d}")
        elif kind in ("3", "03"):
            h12 = d.hour % 12 or 12
            out.append(str(h12) if kind == "3" else f"{h12:02d}")
        elif kind in ("4", "04"):
            out.append(str(d.minute) if kind == "4" else f"{d.minute:02d}")
        elif kind in ("5", "05"):
            out.append(str(d.second) if kind == "5" else f"{d.second:02d}")
        elif kind in ("PM", "pm"):
            s = "PM" if d.hour >= 12 else "AM"
            out.append(s if kind == "PM" else s.lower())
        elif kind == "MST":
            out.append(t.zone if t.zone else _offset(t.off, "-0700"))
        elif kind in _ZONES:
            out.append(_offset(t.off, kind))
        else:  # fractions of a second
            digits = f"{ns:09d}"[: len(text) - 1]
            if kind == "frac9":
                digits = f"{ns:09d}".rstrip("0")[: len(text) - 1]
                if not digits:
                    continue
            out.append(text[0] + digits)
    return "".join(out)


# clock elements: the field each sets and its largest value
_CLOCK = {"15": ("hour", 23), "3": ("hour", 12), "03": ("hour", 12), "4": ("minute", 59), "04": ("minute", 59),
          "5": ("second", 59), "05": ("second", 59)}


class ParseError(Exception):
    pass


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def go_parse(layout: str, value: str, local_zone: Any = None) -> Time:
    """time.Parse(layout, value): a time in UTC, or at a fixed offset the value gives; ParseError otherwise."""
    rest = value
    year, month, day, hour, minute, sec, ns = 1, 1, 1, 0, 0, 0, 0
    pm: bool | None = None
    off: int | None = None
    zone = ""
    yday = -1

    def fail(elem: str, bad: str) -> ParseError:
        return ParseError(f"parsing time {_quote(value)} as {_quote(layout)}: cannot parse {_quote(bad)} as "
                          f"{_quote(elem)}")

    def num(elem: str, lo: int, hi: int, fixed: bool = False) -> int:
        nonlocal rest
        k = 0
        while k < len(rest) and k < hi and rest[k].isdigit():
            k += 1
        if k < lo or (fixed and k != hi):
            raise fail(elem, rest)
        v = int(rest[:k])
        rest = rest[k:]
        return v

    def word(elem: str, names: list[str]) -> int:
        nonlocal rest
        for idx, name in enumerate(names):
            if rest[: len(name)].lower() == name.lower():
                rest = rest[len(name):]
                return idx
        raise fail(elem, rest)

    toks = tokens(layout)
    for ti, (kind, text) in enumerate(toks):
        if kind == "lit":
            stripped = text.lstrip(" ")
            rest_s = rest.lstrip(" ") if text != stripped or not text else rest
            if not rest_s.startswith(stripped):
                raise fail(text, rest)
            rest = rest_s[len(stripped):]
            continue
        elem = text
        if kind == "2006":
            if len(rest) < 4 or not rest[:4].isdigit():
                raise fail(elem, rest)
            year, rest = int(rest[:4]), rest[4:]
        elif kind == "06":
            v = num(elem, 2, 2, True)
            year = v + (1900 if v >= 69 else 2000)
        elif kind == "January":
            month = word(elem, MONTHS) + 1
        elif kind == "Jan":
            month = word(elem, [m[:3] for m in MONTHS]) + 1
        elif kind == "Monday":
            word(elem, DAYS)
        elif kind == "Mon":
            word(elem, [d[:3] for d in DAYS])
        elif kind in ("01", "1"):
            month = num(elem, 1 if kind == "1" else 2, 2, kind == "01")
            if not 1 <= month <= 12:
                raise ParseError(f"parsing time {_quote(value)}: month out of range")
        elif kind in ("02", "2", "_2"):
            if kind == "_2" and rest.startswith(" "):
                rest = rest[1:]
            day = num(elem, 1 if kind != "02" else 2, 2, kind == "02")
        elif kind in ("002", "__2"):
            rest = rest.lstrip(" ") if kind == "__2" else rest
            yday = num(elem, 3 if kind == "002" else 1, 3, kind == "002")
        elif kind in _CLOCK:
            field, most = _CLOCK[kind]
            v = num(elem, len(kind) if kind != "15" else 1, 2, len(kind) == 2 and kind != "15")
            if v > most:
                raise ParseError(f"parsing time {_quote(value)}: {field} out of range")
            if field == "hour":
                hour = v
            elif field == "minute":
                minute = v
            else:
                sec = v
                # a fraction the layout does not mention is accepted after the seconds
                nxt = toks[ti + 1][0] if ti + 1 < len(toks) else ""
                if len(rest) >= 2 and rest[0] in ".," and rest[1].isdigit() and not nxt.startswith("frac"):
                    k = 1
                    while k < len(rest) and rest[k].isdigit():
                        k += 1
                    ns = int((rest[1:k] + "000000000")[:9])
                    rest = rest[k:]
        elif kind in ("PM", "pm"):
            up = rest[:2].upper()
            if up not in ("AM", "PM"):
                raise fail(elem, rest)
            pm, rest = up == "PM", rest[2:]
        elif kind == "MST":
            k = 0
            while k < len(rest) and rest[k].isupper():
                k += 1
            if k < 3:
                raise fail(elem, rest)
            zone, rest = rest[:k], rest[k:]
        elif kind in _ZONES:
            if kind[0] == "Z" and rest.startswith("Z"):
                off, rest = 0, rest[1:]
                continue
            body = kind[1:]
            want = 1 + len(body)
            chunk = rest[:want]
            if len(chunk) < want or chunk[0] not in "+-":
                raise fail(elem, rest)
            digits = chunk[1:].replace(":", "") if ":" in body else chunk[1:]
            if not digits.isdigit() or (":" in body and [c for c in chunk[1:] if not c.isdigit()] != [":"] *
                                        body.count(":")):
                raise fail(elem, rest)
            h, m, s = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
            off = (h * 3600 + m * 60 + s) * (-1 if chunk[0] == "-" else 1)
            rest = rest[want:]
        else:  # fraction
            if not rest or rest[0] != text[0]:
                if kind == "frac9":
                    continue
                raise fail(elem, rest)
            k = 1
            while k < len(rest) and rest[k].isdigit():
                k += 1
            if kind == "frac0" and k - 1 != len(text) - 1:
                raise fail(elem, rest)
            ns = int((rest[1:k] + "000000000")[:9])
            rest = rest[k:]
    if rest:
        raise ParseError(f"parsing time {_quote(value)}: extra text: {_quote(rest)}")
    if pm is not None:
        if pm and hour < 12:
            hour += 12
        elif not pm and hour == 12:
            hour = 0
    if yday >= 0:
        start = dt.date(year, 1, 1) + dt.timedelta(days=yday - 1)
        month, day = start.month, start.day
    try:
        when = dt.datetime(year, month, day, hour, minute, sec, tzinfo=dt.timezone.utc)
    except ValueError:
        raise ParseError(f"parsing time {_quote(value)}: day out of range") from None
    secs = int((when - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)).total_seconds())
    if off is not None:
        return Time((secs - off) * _NS + ns, off, "UTC" if off == 0 else "")
    return Time(secs * _NS + ns, 0, zone or "UTC")
