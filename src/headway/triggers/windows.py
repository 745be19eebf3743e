"""Time windows of preconditions and MultipleCondition: each named condition must be met by
some execution within the window; when all are, the trigger fires (and, with
``resetOnSuccess``, starts counting again).

Kestra's window types:
- ``DURATION_WINDOW`` (default, ``window`` PT24H): consecutive windows of ``window``, aligned
  on midnight UTC plus ``windowAdvance``;
- ``SLIDING_WINDOW``: the last ``window`` before now;
- ``DAILY_TIME_DEADLINE``: from midnight until ``deadline`` each day;
- ``DAILY_TIME_WINDOW``: from ``startTime`` to ``endTime`` each day.

The state of a window is JSON kept with the trigger: ``{"start", "end", "results":
{name: date met}}``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from pydantic import model_validator

from headway.execution import iso, parse_iso
from headway.flows.tasks import Duration, Model

WindowType = Literal[
    "DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW"
]
DEFAULT_WINDOW = timedelta(hours=24)


class TimeWindow(Model):
    type: WindowType = "DURATION_WINDOW"
    window: Duration | None = None
    window_advance: Duration | None = None
    start_time: time | None = None
    end_time: time | None = None
    deadline: time | None = None

    @model_validator(mode="after")
    def _complete(self) -> TimeWindow:
        if self.type == "DAILY_TIME_DEADLINE" and self.deadline is None:
            raise ValueError("a DAILY_TIME_DEADLINE window needs a 'deadline' (e.g. 09:00:00)")
        if self.type == "DAILY_TIME_WINDOW" and (self.start_time is None or self.end_time is None):
            raise ValueError("a DAILY_TIME_WINDOW window needs 'startTime' and 'endTime'")
        if self.window is not None and self.window <= timedelta(0):
            raise ValueError("'window' must be a positive duration")
        return self

    def bounds(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The window ``now`` falls in, or None when conditions cannot be met now (after a
        daily deadline, outside a daily window). A sliding window ends at ``now``."""
        now = now.astimezone(UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.type == "SLIDING_WINDOW":
            return now - (self.window or DEFAULT_WINDOW), now
        if self.type == "DAILY_TIME_DEADLINE":
            assert self.deadline is not None
            end = _at(midnight, self.deadline)
            return (midnight, end) if now < end else None
        if self.type == "DAILY_TIME_WINDOW":
            assert self.start_time is not None and self.end_time is not None
            start, end = _at(midnight, self.start_time), _at(midnight, self.end_time)
            return (start, end) if start <= now < end else None
        size = self.window or DEFAULT_WINDOW
        origin = midnight + (self.window_advance or timedelta(0))
        steps = (now - origin) // size
        start = origin + steps * size
        return start, start + size


def _at(midnight: datetime, moment: time) -> datetime:
    return midnight + timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)


def legacy_window(window: str | None, advance: str | None) -> TimeWindow:
    """The window of Kestra's older ``window`` / ``windowAdvance`` keys."""
    data: dict[str, Any] = {"type": "DURATION_WINDOW"}
    if window:
        data["window"] = window
    if advance:
        data["windowAdvance"] = advance
    return TimeWindow.model_validate(data)


def record(
    state: dict[str, Any] | None,
    window: TimeWindow,
    names: list[str],
    met: list[str],
    now: datetime,
    *,
    reset_on_success: bool = True,
) -> tuple[bool, dict[str, Any]]:
    """Record that the conditions ``met`` were met at ``now``; return whether every one of
    ``names`` is met within the window, and the window's new state."""
    bounds = window.bounds(now)
    if bounds is None:
        return False, state or {}
    start, end = bounds
    results: dict[str, str] = dict((state or {}).get("results") or {})
    if window.type == "SLIDING_WINDOW":
        results = {k: v for k, v in results.items() if parse_iso(v) >= start}
    elif (state or {}).get("start") != iso(start):
        results = {}
    for name in met:
        results[name] = iso(now)
    fired = all(name in results for name in names)
    if fired and reset_on_success:
        results = {}
    return fired, {"start": iso(start), "end": iso(end), "results": results}
