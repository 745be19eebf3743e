"""Date filters and functions: Java patterns, named formats, inputs, zones, units."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from headway.errors import ExpressionError
from headway.expressions import evaluate, render

START = "2024-01-02T03:04:05.123Z"
CONTEXT: dict[str, Any] = {"execution": {"startDate": START}}


def fmt(pattern: str, time_zone: str | None = None, value: Any = START) -> str:
    context = {"d": value, "pattern": pattern, "zone": time_zone}
    result = evaluate("d | date(pattern, timeZone=zone)", context)
    assert isinstance(result, str)
    return result


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd", "2024-01-02"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-01-02T03:04:05.123Z"),
        ("yy", "24"),
        ("y", "2024"),
        ("uuuu", "2024"),
        ("M/d", "1/2"),
        ("MM", "01"),
        ("MMM", "Jan"),
        ("MMMM", "January"),
        ("dd", "02"),
        ("D", "2"),
        ("DDD", "002"),
        ("HH:mm:ss", "03:04:05"),
        ("H", "3"),
        ("hh a", "03 AM"),
        ("h", "3"),
        ("k", "3"),
        ("K", "3"),
        ("S", "1"),
        ("SSS", "123"),
        ("SSSSSS", "123000"),
        ("SSSSSSSSS", "123000000"),
        ("EEE", "Tue"),
        ("EEEE", "Tuesday"),
        ("E", "Tue"),
        ("e", "3"),
        ("Q", "1"),
        ("QQQ", "Q1"),
        ("G", "AD"),
        ("w", "1"),
        ("XXX", "Z"),
        ("X", "Z"),
        ("xxx", "+00:00"),
        ("Z", "+0000"),
        ("ZZZZ", "GMT"),
        ("z", "UTC"),
        ("O", "GMT"),
        ("'quoted' yyyy", "quoted 2024"),
        ("'it''s' yyyy", "it's 2024"),
        ("''yyyy''", "'2024'"),
        ("yyyy[-MM]", "2024-01"),
        ("yyyy/MM/dd HH-mm", "2024/01/02 03-04"),
    ],
)
def test_java_patterns(pattern: str, expected: str) -> None:
    assert fmt(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "zone", "expected"),
    [
        ("yyyy-MM-dd HH:mm XXX", "Europe/Paris", "2024-01-02 04:04 +01:00"),
        ("z", "Europe/Paris", "CET"),
        ("VV", "Europe/Paris", "Europe/Paris"),
        ("Z", "Europe/Paris", "+0100"),
        ("ZZZZ", "Europe/Paris", "GMT+01:00"),
        ("ZZZZZ", "Europe/Paris", "+01:00"),
        ("O", "Europe/Paris", "GMT+1"),
        ("OOOO", "Europe/Paris", "GMT+01:00"),
        ("X", "Europe/Paris", "+01"),
        ("XX", "Europe/Paris", "+0100"),
        ("x", "Europe/Paris", "+01"),
        ("yyyy-MM-dd HH:mm XXX", "America/New_York", "2024-01-01 22:04 -05:00"),
        ("HH:mm XXX", "Asia/Kolkata", "08:34 +05:30"),
        ("HH:mm XXX", "+02:00", "05:04 +02:00"),
        ("HH:mm XXX", "UTC", "03:04 Z"),
    ],
)
def test_time_zones(pattern: str, zone: str, expected: str) -> None:
    assert fmt(pattern, zone) == expected


def test_summer_time() -> None:
    assert fmt("HH:mm z XXX", "Europe/Paris", "2024-07-01T12:00:00Z") == "14:00 CEST +02:00"


@pytest.mark.parametrize(
    ("name", "zone", "expected"),
    [
        ("iso", None, "2024-01-02T03:04:05.123000Z"),
        ("iso_sec", None, "2024-01-02T03:04:05Z"),
        ("iso_milli", None, "2024-01-02T03:04:05.123Z"),
        ("sql", None, "2024-01-02 03:04:05.123000"),
        ("sql_seq", None, "2024-01-02 03:04:05"),
        ("iso_date_time", None, "2024-01-02T03:04:05.123Z"),
        ("iso_date_time", "Europe/Paris", "2024-01-02T04:04:05.123+01:00[Europe/Paris]"),
        ("iso_zoned_date_time", "Europe/Paris", "2024-01-02T04:04:05.123+01:00[Europe/Paris]"),
        ("iso_offset_date_time", "Europe/Paris", "2024-01-02T04:04:05.123+01:00"),
        ("iso_local_date_time", "Europe/Paris", "2024-01-02T04:04:05.123"),
        ("iso_date", None, "2024-01-02Z"),
        ("iso_local_date", None, "2024-01-02"),
        ("iso_time", None, "03:04:05.123Z"),
        ("iso_local_time", None, "03:04:05.123"),
        ("iso_instant", "Europe/Paris", "2024-01-02T03:04:05.123Z"),
        ("iso_week_date", None, "2024-W01-2Z"),
        ("iso_ordinal_date", None, "2024-002Z"),
        ("rfc_1123_date_time", None, "Tue, 2 Jan 2024 03:04:05 GMT"),
        ("rfc_1123_date_time", "Europe/Paris", "Tue, 2 Jan 2024 04:04:05 +0100"),
        ("short", None, "1/2/24, 3:04 AM"),
        ("medium", None, "Jan 2, 2024, 3:04:05 AM"),
    ],
)
def test_named_formats(name: str, zone: str | None, expected: str) -> None:
    assert fmt(name, zone) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02 03:04:05"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02 03:04:05"),
        (datetime(2024, 1, 2, 4, 4, 5, tzinfo=UTC) + timedelta(hours=-1), "2024-01-02 03:04:05"),
        (date(2024, 1, 2), "2024-01-02 12:00:00"),
        (1704164645, "2024-01-02 03:04:05"),
        ("2024-01-02", "2024-01-02 00:00:00"),
        ("2024-01-02T03:04:05", "2024-01-02 03:04:05"),
        ("2024-01-02T04:04:05+01:00", "2024-01-02 03:04:05"),
        ("2024-01-02T04:04:05.123+01:00[Europe/Paris]", "2024-01-02 03:04:05"),
        ("2024-01-02T03:04:05.123456789Z", "2024-01-02 03:04:05"),
    ],
)
def test_date_inputs(value: Any, expected: str) -> None:
    assert fmt("yyyy-MM-dd HH:mm:ss", None, value) == expected


def test_named_arguments_and_existing_format() -> None:
    context = {"d": "02/01/2024 03:04"}
    template = "{{ d | date(format='yyyy-MM-dd HH:mm', existingFormat='dd/MM/yyyy HH:mm') }}"
    assert render(template, context) == "2024-01-02 03:04"
    template = (
        "{{ d | date('yyyy-MM-dd', timeZone='Europe/Paris', existingFormat='dd/MM/yyyy HH:mm') }}"
    )
    assert render(template, context) == "2024-01-02"
    assert render("{{ d | date }}", {"d": START}) == "2024-01-02T03:04:05.123000Z"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("execution.startDate | dateAdd(-1, 'HOURS')", "2024-01-02T02:04:05.123000Z"),
        ("execution.startDate | dateAdd(1, 'DAYS')", "2024-01-03T03:04:05.123000Z"),
        ("execution.startDate | dateAdd(2, 'WEEKS')", "2024-01-16T03:04:05.123000Z"),
        ("execution.startDate | dateAdd(-1, 'YEARS')", "2023-01-02T03:04:05.123000Z"),
        ("execution.startDate | dateAdd(30, 'MINUTES')", "2024-01-02T03:34:05.123000Z"),
        ("execution.startDate | dateAdd(-5, 'SECONDS')", "2024-01-02T03:04:00.123000Z"),
        ("execution.startDate | dateAdd(500, 'MILLIS')", "2024-01-02T03:04:05.623000Z"),
        ("execution.startDate | dateAdd(7, 'MICROS')", "2024-01-02T03:04:05.123007Z"),
        ("execution.startDate | dateAdd(1, 'HALF_DAYS')", "2024-01-02T15:04:05.123000Z"),
        ("'2024-01-31' | dateAdd(1, 'MONTHS', 'yyyy-MM-dd')", "2024-02-29"),
        ("execution.startDate | dateAdd(1, 'DAYS', format='yyyy-MM-dd')", "2024-01-03"),
        ("execution.startDate | dateAdd(-1, 'HOURS') | date('HH:mm')", "02:04"),
        (
            "'2024-03-30T12:00:00+01:00' | dateAdd(1, 'DAYS', 'yyyy-MM-dd HH:mm XXX', "
            "timeZone='Europe/Paris')",
            "2024-03-31 12:00 +02:00",
        ),
        (
            "'2024-03-30T12:00:00+01:00' | dateAdd(24, 'HOURS', 'yyyy-MM-dd HH:mm XXX', "
            "timeZone='Europe/Paris')",
            "2024-03-31 13:00 +02:00",
        ),
        ("execution.startDate | timestamp", 1704164645),
        ("execution.startDate | timestampMilli", 1704164645123),
        ("execution.startDate | timestampMicro", 1704164645123000),
        ("execution.startDate | timestampNano", 1704164645123000000),
        ("'1969-12-31T23:59:59.5Z' | timestamp", -1),
    ],
)
def test_date_add_and_timestamps(expression: str, expected: Any) -> None:
    assert evaluate(expression, CONTEXT) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("execution.startDate | dateAdd(1, 'FORTNIGHTS')", "Unknown unit 'FORTNIGHTS'"),
        ("execution.startDate | dateAdd('1', 'DAYS')", "the amount must be an integer"),
        ("'yesterday' | date('yyyy')", "'yesterday' is not an ISO-8601 date"),
        ("execution.startDate | date('yyyy', timeZone='Mars/Olympus')", "Unknown time zone"),
        ("execution.startDate | date('yyyy bb')", "Unknown pattern letter 'b'"),
        ("execution.startDate | date('yyyy \\'open')", "unclosed quote"),
        ("[1] | date('yyyy')", "expected a date, got a list"),
        ("'01/02' | date('yyyy', existingFormat='MM-dd')", "does not match the format"),
    ],
)
def test_date_errors(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, CONTEXT)
    assert message in str(caught.value)


def test_now() -> None:
    before = datetime.now(UTC).strftime("%Y-%m-%d")
    today = render("{{ now() | date('yyyy-MM-dd') }}", {})
    after = datetime.now(UTC).strftime("%Y-%m-%d")
    assert today in (before, after)
    moment = evaluate("now()", {})
    assert isinstance(moment, datetime)
    assert moment.utcoffset() == timedelta(0)
    tokyo = evaluate("now(timeZone='Asia/Tokyo')", {})
    assert isinstance(tokyo, datetime)
    assert tokyo.utcoffset() == timedelta(hours=9)
    assert evaluate("now(format='yyyy')", {}) == datetime.now(UTC).strftime("%Y")
    assert render("{{ now() }}", {}).endswith("Z")


def test_datetimes_print_as_iso_8601() -> None:
    context = {
        "utc": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "millis": datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC),
        "micros": datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        "day": date(2024, 1, 2),
    }
    assert render("{{ utc }}", context) == "2024-01-02T03:04:05Z"
    assert render("{{ millis }}", context) == "2024-01-02T03:04:05.123Z"
    assert render("{{ micros }}", context) == "2024-01-02T03:04:05.123456Z"
    assert render("{{ day }}", context) == "2024-01-02"
    assert render("{{ [utc] }}", context) == '["2024-01-02T03:04:05Z"]'
