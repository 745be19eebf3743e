"""Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``) and Kestra's named
formats (``iso``, ``iso_sec``, ``sql``, ``iso_date_time``...), in English.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from headway.expressions.errors import ExpressionError
from headway.expressions.values import format_datetime, format_offset

Run = str | tuple[str, int]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ZONE_NAMES = {"UTC": "Coordinated Universal Time", "GMT": "Greenwich Mean Time"}


@lru_cache(maxsize=512)
def pattern_runs(pattern: str) -> tuple[Run, ...]:
    """A pattern as literal strings and (letter, repeat count) pairs; ``[ ]`` are dropped."""
    runs: list[Run] = []
    literal: list[str] = []
    size = len(pattern)
    i = 0
    while i < size:
        char = pattern[i]
        if char == "'":
            if pattern.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            i += 1
            while True:
                if i >= size:
                    raise ExpressionError(f"unclosed quote in the date pattern '{pattern}'")
                if pattern.startswith("''", i):
                    literal.append("'")
                    i += 2
                elif pattern[i] == "'":
                    i += 1
                    break
                else:
                    literal.append(pattern[i])
                    i += 1
        elif char.isascii() and char.isalpha():
            end = i
            while end < size and pattern[end] == char:
                end += 1
            if literal:
                runs.append("".join(literal))
                literal = []
            runs.append((char, end - i))
            i = end
        else:
            if char not in "[]":
                literal.append(char)
            i += 1
    if literal:
        runs.append("".join(literal))
    return tuple(runs)


def _text(name: str, count: int) -> str:
    if count == 4:
        return name
    if count == 5:
        return name[0]
    return name[:3]


def _offset(moment: datetime, letter: str, count: int) -> str:
    offset = moment.utcoffset() or timedelta()
    seconds = int(offset.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if letter == "O":
        if not seconds:
            return "GMT"
        if count == 1:
            return f"GMT{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
        return f"GMT{format_offset(offset)}"
    if letter == "Z":
        if count == 4:
            return "GMT" + (format_offset(offset) if seconds else "")
        if count == 5:
            return format_offset(offset)
        return f"{sign}{hours:02d}{minutes:02d}"
    if not seconds and letter == "X":
        return "Z"
    if count == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    if count in (2, 4):
        return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs and count == 4 else "")
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs and count == 5 else "")


def _zone_id(moment: datetime) -> str:
    if isinstance(moment.tzinfo, ZoneInfo):
        return moment.tzinfo.key
    return format_offset(moment.utcoffset())


def _number(value: int, count: int) -> str:
    return f"{value:0{count}d}"


def _year(year: int, count: int) -> str:
    return f"{year % 100:02d}" if count == 2 else _number(year, count)


def _month(moment: datetime, count: int) -> str:
    if count >= 3:
        return _text(_MONTHS[moment.month - 1], count)
    return _number(moment.month, count)


def _fraction(moment: datetime, count: int) -> str:
    return (f"{moment.microsecond:06d}" + "000")[:count].ljust(count, "0")


def _zone_name(moment: datetime, count: int) -> str:
    name = moment.tzname() or _zone_id(moment)
    return _ZONE_NAMES.get(name, name) if count == 4 else name


def _local_day_of_week(moment: datetime, count: int) -> str:
    if count >= 3:
        return _text(_DAYS[moment.weekday()], count)
    return _number((moment.weekday() + 1) % 7 + 1, count)  # en_US: Sunday is 1


_FIELDS: dict[str, Callable[[datetime, int], str]] = {
    "G": lambda m, c: "Anno Domini" if c == 4 else ("A" if c == 5 else "AD"),
    "y": lambda m, c: _year(m.year, c),
    "u": lambda m, c: _year(m.year, c),
    "Y": lambda m, c: _year(m.isocalendar()[0], c),
    "M": _month,
    "L": _month,
    "d": lambda m, c: _number(m.day, c),
    "D": lambda m, c: _number(m.timetuple().tm_yday, c),
    "Q": lambda m, c: _quarter(m, c),
    "q": lambda m, c: _quarter(m, c),
    "w": lambda m, c: _number(m.isocalendar()[1], c),
    "W": lambda m, c: _number((m.day + m.replace(day=1).weekday() - 1) // 7 + 1, c),
    "F": lambda m, c: _number((m.day - 1) // 7 + 1, c),
    "E": lambda m, c: _text(_DAYS[m.weekday()], c),
    "e": _local_day_of_week,
    "c": _local_day_of_week,
    "a": lambda m, c: "AM" if m.hour < 12 else "PM",
    "h": lambda m, c: _number((m.hour % 12) or 12, c),
    "K": lambda m, c: _number(m.hour % 12, c),
    "k": lambda m, c: _number(m.hour or 24, c),
    "H": lambda m, c: _number(m.hour, c),
    "m": lambda m, c: _number(m.minute, c),
    "s": lambda m, c: _number(m.second, c),
    "S": _fraction,
    "n": lambda m, c: _number(m.microsecond * 1000, c),
    "A": lambda m, c: _number((m.hour * 3600 + m.minute * 60 + m.second) * 1000, c),
    "N": lambda m, c: _number((m.hour * 3600 + m.minute * 60 + m.second) * 10**9, c),
    "V": lambda m, c: _zone_id(m),
    "z": _zone_name,
    "O": lambda m, c: _offset(m, "O", c),
    "X": lambda m, c: _offset(m, "X", c),
    "x": lambda m, c: _offset(m, "x", c),
    "Z": lambda m, c: _offset(m, "Z", c),
}


def _quarter(moment: datetime, count: int) -> str:
    quarter = (moment.month - 1) // 3 + 1
    if count == 3:
        return f"Q{quarter}"
    if count >= 4:
        return f"{quarter}{('st', 'nd', 'rd', 'th')[quarter - 1]} quarter"
    return _number(quarter, count)


def format_pattern(moment: datetime, pattern: str) -> str:
    parts: list[str] = []
    for run in pattern_runs(pattern):
        if isinstance(run, str):
            parts.append(run)
            continue
        letter, count = run
        field = _FIELDS.get(letter)
        if field is None:
            raise ExpressionError(f"Unknown pattern letter '{letter}' in '{pattern}'")
        parts.append(field(moment, count))
    return "".join(parts)


def _local_time(moment: datetime) -> str:
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%H:%M:%S") + (f".{fraction}" if fraction else "")


def _region(moment: datetime) -> str:
    return f"[{moment.tzinfo.key}]" if isinstance(moment.tzinfo, ZoneInfo) else ""


def _offset_id(moment: datetime) -> str:
    return format_offset(moment.utcoffset())


def _instant(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


def _rfc_1123(moment: datetime) -> str:
    zone = _offset(moment, "Z", 1) if moment.utcoffset() else "GMT"
    return format_pattern(moment, "EEE, d MMM yyyy HH:mm:ss ") + zone


def _week_date(moment: datetime) -> str:
    year, week, day = moment.isocalendar()
    return f"{year:04d}-W{week:02d}-{day}{_offset_id(moment)}"


NAMED_FORMATS: dict[str, str | Callable[[datetime], str]] = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
    "sql_sec": "yyyy-MM-dd HH:mm:ss",
    "iso_local_date": "yyyy-MM-dd",
    "iso_ordinal_date": "yyyy-DDDXXX",
    "iso_date": "yyyy-MM-ddXXX",
    "iso_week_date": _week_date,
    "iso_local_time": _local_time,
    "iso_time": lambda m: _local_time(m) + _offset_id(m),
    "iso_offset_time": lambda m: _local_time(m) + _offset_id(m),
    "iso_local_date_time": lambda m: m.strftime("%Y-%m-%dT") + _local_time(m),
    "iso_offset_date_time": lambda m: m.strftime("%Y-%m-%dT") + _local_time(m) + _offset_id(m),
    "iso_date_time": lambda m: (
        m.strftime("%Y-%m-%dT") + _local_time(m) + _offset_id(m) + _region(m)
    ),
    "iso_zoned_date_time": lambda m: (
        m.strftime("%Y-%m-%dT") + _local_time(m) + _offset_id(m) + _region(m)
    ),
    "iso_instant": _instant,
    "rfc_1123_date_time": _rfc_1123,
    "short": "M/d/yy, h:mm a",
    "medium": "MMM d, y, h:mm:ss a",
    "long": "MMMM d, y 'at' h:mm:ss a z",
    "full": "EEEE, MMMM d, y 'at' h:mm:ss a zzzz",
}


def format_date(moment: datetime, pattern: str) -> str:
    """``moment`` in a Java pattern or one of Kestra's named formats."""
    named = NAMED_FORMATS.get(pattern)
    if named is None:
        return format_pattern(moment, pattern)
    if isinstance(named, str):
        return format_pattern(moment, named)
    return named(moment)
