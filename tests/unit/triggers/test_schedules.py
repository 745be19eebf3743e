"""Which dates of a schedule fire: cron with nicknames, seconds and time zones; missed dates
after downtime (ALL, LAST, NONE); lateMaximumDelay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from headway.scheduler.schedules import after, before, due, first_date
from headway.triggers.cron import Cron, CronError
from headway.triggers.model import Schedule, ScheduleOnDates, Trigger

T0 = datetime(2024, 5, 1, 10, 1, tzinfo=UTC)
TRIGGER: TypeAdapter[Any] = TypeAdapter(Trigger)


def schedule(cron: str, **extra: Any) -> Schedule:
    found = TRIGGER.validate_python({"id": "s", "type": "schedule", "cron": cron, **extra})
    assert isinstance(found, Schedule)
    return found


def test_cron_nicknames_seconds_and_time_zones() -> None:
    assert Cron("@hourly").next_after(T0) == T0.replace(hour=11, minute=0)
    assert Cron("*/10 * * * * *").next_after(T0) == T0 + timedelta(seconds=10)
    paris = Cron("0 9 * * *", "Europe/Paris").next_after(T0)
    assert paris.astimezone(UTC) == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    assert Cron("0 9 * * *").previous_before(T0) == T0.replace(hour=9, minute=0)
    with pytest.raises(CronError, match="6 fields"):
        Cron("* * * * *", with_seconds=True)
    with pytest.raises(CronError, match="unknown time zone"):
        Cron("* * * * *", "Nowhere/Town")


def test_a_new_schedule_starts_after_now_or_at_its_legacy_backfill_start() -> None:
    assert first_date(schedule("*/5 * * * *"), T0) == T0.replace(minute=5)
    legacy = schedule("0 * * * *", backfill={"start": "2024-05-01T07:30:00Z"})
    assert first_date(legacy, T0) == T0.replace(hour=8, minute=0)


@pytest.mark.parametrize(
    ("recover", "fired"), [("ALL", [10, 15, 20, 25, 30]), ("LAST", [30]), ("NONE", [])]
)
def test_missed_dates_follow_recover_missed_schedules(recover: str, fired: list[int]) -> None:
    trigger = schedule("*/5 * * * *", recoverMissedSchedules=recover)
    start = T0.replace(minute=32)  # restarted at 10:32, last due at 10:10
    plan = due(trigger, T0.replace(minute=10), start, start)
    assert [d.minute for d in plan.fire] == fired
    assert plan.next_date == T0.replace(minute=35)


def test_dates_due_while_running_fire_late_but_not_later_than_allowed() -> None:
    started = T0
    late = due(schedule("*/5 * * * *"), T0.replace(minute=5), T0.replace(minute=16), started)
    assert [d.minute for d in late.fire] == [5, 10, 15]  # late, but not missed
    trigger = schedule("*/5 * * * *", lateMaximumDelay="PT5M")
    capped = due(trigger, T0.replace(minute=5), T0.replace(minute=16), started)
    assert [d.minute for d in capped.fire] == [15]
    assert [d.minute for d in capped.skipped] == [5, 10]


def test_schedule_on_dates() -> None:
    found = TRIGGER.validate_python(
        {
            "id": "d",
            "type": "io.kestra.plugin.core.trigger.ScheduleOnDates",
            "timezone": "Europe/Paris",
            "dates": ["2024-05-01T14:00:00", "2024-05-01T09:00:00Z", "2024-06-01T00:00:00Z"],
        }
    )
    assert isinstance(found, ScheduleOnDates)
    assert first_date(found, T0) == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert after(found, datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) == datetime(2024, 6, 1, tzinfo=UTC)
    assert before(found, T0) == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert after(found, datetime(2024, 7, 1, tzinfo=UTC)) is None
