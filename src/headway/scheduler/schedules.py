"""Which dates of a Schedule or ScheduleOnDates fire now, after what happened since.

- Dates that fell due before this scheduler started (downtime) are *missed*: all of them
  fire with ``recoverMissedSchedules: ALL`` (the default), the last one with ``LAST``, none
  with ``NONE``.
- Dates that fell due while it runs fire, late or not, unless later than
  ``lateMaximumDelay``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from headway.triggers.model import Schedule, ScheduleOnDates

Timed = Schedule | ScheduleOnDates
# A date that falls due within this of the scheduler's start is on time, not missed.
START_GRACE = timedelta(seconds=1)
MAX_DATES = 10_000


@dataclass
class Due:
    fire: list[datetime] = field(default_factory=list)
    skipped: list[datetime] = field(default_factory=list)
    next_date: datetime | None = None


def first_date(trigger: Timed, now: datetime) -> datetime | None:
    """The first date a new trigger fires: the next one after now (a Schedule's legacy
    ``backfill.start`` starts from there)."""
    if isinstance(trigger, ScheduleOnDates):
        return next((d for d in trigger.sorted_dates() if d >= now), None)
    cron = trigger.parsed()
    start = (trigger.backfill or {}).get("start")
    if start is not None:
        begin = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        if begin.tzinfo is None:
            begin = begin.replace(tzinfo=cron.tz)
        return cron.next_after(begin - timedelta(microseconds=1))
    return cron.next_after(now)


def after(trigger: Timed, moment: datetime) -> datetime | None:
    """The trigger's first date strictly after ``moment``."""
    if isinstance(trigger, ScheduleOnDates):
        return next((d for d in trigger.sorted_dates() if d > moment), None)
    return trigger.parsed().next_after(moment)


def before(trigger: Timed, moment: datetime) -> datetime | None:
    """The trigger's last date strictly before ``moment``."""
    if isinstance(trigger, ScheduleOnDates):
        return next((d for d in reversed(trigger.sorted_dates()) if d < moment), None)
    return trigger.parsed().previous_before(moment)


def dates_until(trigger: Timed, first: datetime, end: datetime) -> list[datetime]:
    """The trigger's dates from ``first`` (included) up to ``end`` (included)."""
    if first > end:
        return []
    if isinstance(trigger, ScheduleOnDates):
        return [d for d in trigger.sorted_dates() if first <= d <= end][:MAX_DATES]
    return [first.astimezone(trigger.parsed().tz), *trigger.parsed().between(first, end, MAX_DATES)]


def due(
    trigger: Timed, next_date: datetime, now: datetime, started: datetime, default: str = "ALL"
) -> Due:
    """The dates to fire now, those skipped, and the next date after them."""
    dates = dates_until(trigger, next_date, now)
    if not dates:
        return Due(next_date=next_date)
    missed = [d for d in dates if d < started - START_GRACE]
    on_time = [d for d in dates if d >= started - START_GRACE]
    recover = trigger.recover_missed_schedules or default
    if recover == "ALL":
        recovered = missed
    elif recover == "LAST":
        recovered = missed[-1:]
    else:
        recovered = []
    fire = recovered + on_time
    delay = trigger.late_maximum_delay if isinstance(trigger, Schedule) else None
    if delay is not None:
        fire = [d for d in fire if now - d <= delay]
    skipped = [d for d in dates if d not in fire]
    return Due(fire=fire, skipped=skipped, next_date=after(trigger, dates[-1]))
