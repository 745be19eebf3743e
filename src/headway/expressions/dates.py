"""Dates as Kestra's date filters see them: reading inputs, time zones, adding units.

An input may be a datetime, a date (noon that day, as Kestra does), epoch seconds, or a
string in ISO-8601 (``2024-01-02T03:04:05.123Z``, ``2024-01-02``, with an optional
``[Europe/Paris]`` suffix) or in a given ``existingFormat``. Without a time zone, UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from headway.expressions.errors import ExpressionError, kind
from headway.expressions.java_format import NAMED_FORMATS, pattern_runs

_OFFSET = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")
_UTC_NAMES = frozenset({"UTC", "Z", "GMT", "UT", "Etc/UTC", "Etc/GMT"})

_NANOS_PER_UNIT: dict[str, int] = {
    "NANOS": 1,
    "MICROS": 1_000,
    "MILLIS": 1_000_000,
    "SECONDS": 1_000_000_000,
    "MINUTES": 60_000_000_000,
    "HOURS": 3_600_000_000_000,
    "HALF_DAYS": 43_200_000_000_000,
}
_CALENDAR_UNITS: dict[str, Callable[[int], relativedelta]] = {
    "DAYS": lambda n: relativedelta(days=n),
    "WEEKS": lambda n: relativedelta(weeks=n),
    "MONTHS": lambda n: relativedelta(months=n),
    "YEARS": lambda n: relativedelta(years=n),
    "DECADES": lambda n: relativedelta(years=10 * n),
    "CENTURIES": lambda n: relativedelta(years=100 * n),
    "MILLENNIA": lambda n: relativedelta(years=1000 * n),
}


@lru_cache(maxsize=256)
def zone(name: str | None) -> tzinfo:
    """A Java ZoneId: ``Europe/Paris``, ``UTC``, ``Z``, ``+02:00``, ``GMT+2``; None is UTC."""
    if name is None or name in _UTC_NAMES:
        return UTC
    offset = _OFFSET.fullmatch(name)
    if offset is not None:
        sign, hours, minutes, seconds = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(f"Unknown time zone '{name}'") from None


def to_datetime(value: Any, tz: tzinfo, existing_format: str | None = None) -> datetime:
    """An aware datetime in ``tz`` from whatever a flow holds as a date."""
    if isinstance(value, datetime):
        return value.astimezone(tz) if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(12), tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz)
    if not isinstance(value, str):
        raise ExpressionError(f"expected a date, got {kind(value)}")
    parsed = _parse(value.strip(), existing_format)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def _parse(text: str, existing_format: str | None) -> datetime:
    if existing_format is not None and existing_format not in NAMED_FORMATS:
        try:
            return datetime.strptime(text, _strptime_format(existing_format))
        except ValueError:
            raise ExpressionError(
                f"'{text}' does not match the format '{existing_format}'"
            ) from None
    region: tzinfo | None = None
    if text.endswith("]") and "[" in text:
        text, _, name = text[:-1].partition("[")
        region = zone(name)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ExpressionError(f"'{text}' is not an ISO-8601 date") from None
    if region is not None:
        return parsed.astimezone(region) if parsed.tzinfo else parsed.replace(tzinfo=region)
    return parsed


_STRPTIME: dict[str, str] = {
    "y": "%Y",
    "u": "%Y",
    "yy": "%y",
    "uu": "%y",
    "M": "%m",
    "MM": "%m",
    "MMM": "%b",
    "MMMM": "%B",
    "d": "%d",
    "dd": "%d",
    "D": "%j",
    "DDD": "%j",
    "H": "%H",
    "HH": "%H",
    "h": "%I",
    "hh": "%I",
    "m": "%M",
    "mm": "%M",
    "s": "%S",
    "ss": "%S",
    "a": "%p",
    "E": "%a",
    "EEE": "%a",
    "EEEE": "%A",
    "z": "%Z",
}


@lru_cache(maxsize=256)
def _strptime_format(pattern: str) -> str:
    parts: list[str] = []
    for run in pattern_runs(pattern):
        if isinstance(run, str):
            parts.append(run.replace("%", "%%"))
            continue
        letter, count = run
        if letter in "yu" and count >= 3:
            parts.append("%Y")
        elif letter == "S":
            parts.append("%f")
        elif letter in "XxZ":
            parts.append("%z")
        elif letter * count in _STRPTIME:
            parts.append(_STRPTIME[letter * count])
        else:
            raise ExpressionError(f"cannot parse dates with the pattern letters '{letter * count}'")
    return "".join(parts)


def add(moment: datetime, amount: int, unit: str) -> datetime:
    """``moment`` plus ``amount`` ChronoUnits: time units exactly, days and up on the calendar."""
    name = unit.upper()
    if name in _NANOS_PER_UNIT:
        micros = amount * _NANOS_PER_UNIT[name] // 1000
        shifted = moment.astimezone(UTC) + timedelta(microseconds=micros)
        return shifted.astimezone(moment.tzinfo)
    if name in _CALENDAR_UNITS:
        moved: datetime = moment + _CALENDAR_UNITS[name](amount)
        return moved
    known = ", ".join([*_NANOS_PER_UNIT, *_CALENDAR_UNITS])
    raise ExpressionError(f"Unknown unit '{unit}' (expected one of {known})")
