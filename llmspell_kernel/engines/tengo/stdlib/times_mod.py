"""times: Go time package subset over Time values (ns since epoch + zone)."""

from __future__ import annotations

import datetime as dt
import time as _time
from typing import Any

from ..builtins import bad_type, wrong_args
from ..values import TengoRuntimeErr, Time, now_time, time_str, to_string
from . import user_fn
from ._args import define
from .golayout import ParseError, go_format, go_parse

_NS = 1_000_000_000
_UTC = dt.timezone.utc


def _as_time(fn: str, args: tuple, i: int) -> Time:
    v = args[i]
    if type(v) is Time:
        return v
    if type(v) is int:
        return Time(v * _NS)
    raise bad_type(fn, "first" if i == 0 else "second", "time(compatible)", v)


def _dur_str(d: int) -> str:
    """Go time.Duration.String()."""
    if d == 0:
        return "0s"
    neg = d < 0
    u = -d if neg else d
    if u < _NS:
        for unit, size in (("ns", 1), ("µs", 1000), ("ms", 1_000_000)):
            if u < size * 1000:
                q = u / size
                s = f"{q:.9f}".rstrip("0").rstrip(".") + unit
                return ("-" if neg else "") + s
    h, rem = divmod(u, 3600 * _NS)
    m, rem = divmod(rem, 60 * _NS)
    secs = f"{rem / _NS:.9f}".rstrip("0").rstrip(".")
    out = ""
    if h:
        out += f"{h}h"
    if h or m:
        out += f"{m}m"
    out += secs + "s"
    return ("-" if neg else "") + out


def _dt(t: Time) -> dt.datetime:
    return t.parts()


def _from_dt(d: dt.datetime, ns: int = 0) -> Time:
    off = int(d.utcoffset().total_seconds()) if d.utcoffset() is not None else 0
    secs = int((d - dt.datetime(1970, 1, 1, tzinfo=d.tzinfo or _UTC)).total_seconds()) + off if d.tzinfo is None else \
        int((d - dt.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds())
    zone = d.tzname() or "UTC"
    return Time(secs * _NS + ns, off, zone)


def _sleep(rt: Any, d: int) -> None:
    """Sleep in slices, asking the host's budget hook between them: a time limit or a stop ends the sleep."""
    end = _time.monotonic() + max(d, 0) / _NS
    while (left := end - _time.monotonic()) > 0:
        _time.sleep(min(left, 0.05))
        if rt.budget_hook is not None:
            rt.budget_hook()


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "format_ansic": "Mon Jan _2 15:04:05 2006", "format_unix_date": "Mon Jan _2 15:04:05 MST 2006",
        "format_ruby_date": "Mon Jan 02 15:04:05 -0700 2006", "format_rfc822": "02 Jan 06 15:04 MST",
        "format_rfc822z": "02 Jan 06 15:04 -0700", "format_rfc850": "Monday, 02-Jan-06 15:04:05 MST",
        "format_rfc1123": "Mon, 02 Jan 2006 15:04:05 MST", "format_rfc1123z": "Mon, 02 Jan 2006 15:04:05 -0700",
        "format_rfc3339": "2006-01-02T15:04:05Z07:00", "format_rfc3339_nano": "2006-01-02T15:04:05.999999999Z07:00",
        "format_kitchen": "3:04PM", "format_stamp": "Jan _2 15:04:05", "format_stamp_milli": "Jan _2 15:04:05.000",
        "format_stamp_micro": "Jan _2 15:04:05.000000", "format_stamp_nano": "Jan _2 15:04:05.000000000",
        "nanosecond": 1, "microsecond": 1000, "millisecond": 1_000_000, "second": _NS, "minute": 60 * _NS,
        "hour": 3600 * _NS,
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
        "september": 9, "october": 10, "november": 11, "december": 12,
    }

    def tfn(name: str, nargs: int, impl: Any) -> None:
        fn_type = "user-function:" + name

        def f(*args: Any) -> Any:
            if len(args) != nargs:
                raise wrong_args(fn_type)
            return impl(*[_as_time(fn_type, args, i) if i == 0 else args[i] for i in range(nargs)])
        f.__name__ = "u_" + name
        m[name] = user_fn(name, f)

    define(m, "sleep", 1, "i", lambda d: _sleep(rt, d))
    define(m, "parse_duration", 1, "s", _parse_duration)
    tfn("since", 1, lambda t: _time.time_ns() - t.ns)
    tfn("until", 1, lambda t: t.ns - _time.time_ns())
    define(m, "duration_hours", 1, "i", lambda d: d / (3600 * _NS))
    define(m, "duration_minutes", 1, "i", lambda d: d / (60 * _NS))
    define(m, "duration_nanoseconds", 1, "i", lambda d: d)
    define(m, "duration_seconds", 1, "i", lambda d: d / _NS)
    define(m, "duration_string", 1, "i", _dur_str)
    define(m, "month_string", 1, "i", lambda i: dt.date(2000, i, 1).strftime("%B") if 1 <= i <= 12 else f"%!Month({i})")
    define(m, "date", (7, 8), "iiiiiii", _date)
    define(m, "now", 0, "", now_time)
    define(m, "parse", 2, "ss", _parse)
    define(m, "unix", 2, "ii", lambda s, ns: Time(s * _NS + ns))
    tfn("add", 2, lambda t, d: Time(t.ns + d, t.off, t.zone))
    tfn("add_date", 4, lambda t, y, mo, d: _add_date(t, y, mo, d))
    tfn("sub", 2, lambda t, u: t.ns - u.ns if type(u) is Time else 0)
    tfn("after", 2, lambda t, u: t.ns > u.ns)
    tfn("before", 2, lambda t, u: t.ns < u.ns)
    tfn("time_year", 1, lambda t: _dt(t).year)
    tfn("time_month", 1, lambda t: _dt(t).month)
    tfn("time_day", 1, lambda t: _dt(t).day)
    tfn("time_weekday", 1, lambda t: (_dt(t).weekday() + 1) % 7)
    tfn("time_hour", 1, lambda t: _dt(t).hour)
    tfn("time_minute", 1, lambda t: _dt(t).minute)
    tfn("time_second", 1, lambda t: _dt(t).second)
    tfn("time_nanosecond", 1, lambda t: t.nanos())
    tfn("time_unix", 1, lambda t: t.ns // _NS)
    tfn("time_unix_nano", 1, lambda t: t.ns)
    tfn("time_format", 2, lambda t, layout: go_format(t, to_string(layout)))
    tfn("time_location", 1, lambda t: t.loc or t.zone)
    tfn("time_string", 1, time_str)
    tfn("is_zero", 1, lambda t: not t)
    tfn("to_local", 1, lambda t: _to_local(t))
    tfn("to_utc", 1, lambda t: Time(t.ns, 0, "UTC"))
    tfn("in_location", 2, lambda t, name: _in_location(t, to_string(name)))
    return m


def _to_local(t: Time) -> Time:
    lt = _time.localtime(t.ns // _NS)
    return Time(t.ns, lt.tm_gmtoff or 0, lt.tm_zone or "UTC")


def _date(y: int, mo: int, d: int, h: int, mi: int, s: int, ns: int, *loc: Any) -> Time:
    base = dt.datetime(1970, 1, 1, tzinfo=_UTC)
    try:
        when = dt.datetime(y, 1, 1, tzinfo=_UTC) + dt.timedelta(days=0)
        when = when.replace(month=1) + dt.timedelta(days=-1)
        # normalise overflowing fields like Go does
        total_months = (y * 12 + (mo - 1))
        yy, mm = divmod(total_months, 12)
        when = dt.datetime(yy, mm + 1, 1, tzinfo=_UTC) + dt.timedelta(days=d - 1, hours=h, minutes=mi, seconds=s)
    except (ValueError, OverflowError):
        return Time(0)
    secs = int((when - base).total_seconds())
    return Time(secs * _NS + ns, 0, "UTC")


def _add_date(t: Time, y: int, mo: int, d: int) -> Time:
    p = t.parts()
    total = (p.year + y) * 12 + (p.month - 1) + mo
    yy, mm = divmod(total, 12)
    base = dt.datetime(yy, mm + 1, 1, p.hour, p.minute, p.second, tzinfo=p.tzinfo) + dt.timedelta(days=p.day - 1 + d)
    secs = int((base - dt.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds())
    return Time(secs * _NS + t.nanos(), t.off, t.zone)


def _parse(layout: str, value: str) -> Any:
    try:
        return go_parse(layout, value)
    except ParseError as e:  # the reference fails the call (a Go error), it returns no error value
        raise TengoRuntimeErr(str(e)) from None


def _in_location(t: Time, name: str) -> Time:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(name) if name not in ("", "UTC") else dt.timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        raise TengoRuntimeErr(f"unknown time zone {name}") from None
    local = dt.datetime.fromtimestamp(t.ns // _NS, zone)
    return Time(t.ns, int(local.utcoffset().total_seconds()), local.tzname() or "UTC", name or "UTC")


def _parse_duration(s: str) -> Any:
    import re



    units = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 1_000_000, "s": _NS, "m": 60 * _NS, "h": 3600 * _NS}
    m = re.fullmatch(r"([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+", s)
    if not m or s in ("", "+", "-"):
        if s == "0":
            return 0
        raise TengoRuntimeErr(f'time: invalid duration "{s}"')
    total = 0.0
    for num, unit in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", s):
        total += float(num) * units[unit]
    return -int(total) if s.startswith("-") else int(total)
