"""Cron expressions as Kestra's Schedule reads them: 5 fields, or 6 with seconds first
(``withSeconds``), or a nickname (``@hourly``, ``@daily``...), evaluated in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

NICKNAMES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
DEFAULT_TIMEZONE = "Etc/UTC"


class CronError(ValueError):
    """A cron expression or time zone that cannot be used."""


def zone(name: str) -> ZoneInfo:
    """The time zone of an IANA identifier (``Europe/Paris``); CronError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(
            f"unknown time zone '{name}' (expected e.g. Etc/UTC, Europe/Paris)"
        ) from None


class Cron:
    """A parsed cron expression in a time zone; datetimes in and out are timezone-aware."""

    def __init__(
        self, expression: str, timezone: str = DEFAULT_TIMEZONE, *, with_seconds: bool = False
    ) -> None:
        self.expression = expression.strip()
        self.tz = zone(timezone)
        fields = self.expression.split()
        if self.expression.startswith("@"):
            if self.expression.lower() not in NICKNAMES:
                raise CronError(
                    f"invalid cron expression '{expression}': unknown nickname "
                    f"(expected one of {', '.join(NICKNAMES)})"
                )
            self.expression = self.expression.lower()
            self.seconds = False
        elif len(fields) == 6:
            self.seconds = True
        elif len(fields) == 5 and not with_seconds:
            self.seconds = False
        else:
            expected = "6 fields (seconds first)" if with_seconds else "5 fields, or 6 with seconds"
            raise CronError(
                f"invalid cron expression '{expression}': expected {expected}, got {len(fields)}"
            )
        try:
            self._iter(datetime.now(UTC)).get_next(datetime)
        except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as exc:
            raise CronError(f"invalid cron expression '{expression}': {exc}") from None

    def _iter(self, start: datetime) -> croniter:
        return croniter(
            self.expression, start.astimezone(self.tz), second_at_beginning=self.seconds
        )

    def next_after(self, moment: datetime) -> datetime:
        """The first date of the schedule strictly after ``moment``."""
        found: datetime = self._iter(moment).get_next(datetime)
        return found

    def previous_before(self, moment: datetime) -> datetime:
        """The last date of the schedule strictly before ``moment``."""
        found: datetime = self._iter(moment).get_prev(datetime)
        return found

    def between(self, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
        """Dates after ``start`` and up to ``end`` (inclusive), at most ``limit``."""
        out: list[datetime] = []
        it = self._iter(start)
        while len(out) < limit:
            moment: datetime = it.get_next(datetime)
            if moment > end:
                break
            out.append(moment)
        return out
