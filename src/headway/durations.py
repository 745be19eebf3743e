"""ISO-8601 durations as Kestra writes them (``PT1H30M``, ``P1D``, ``PT0.25S``)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration; raise ValueError naming the expected shape."""
    m = _DURATION.match(text.strip())
    if not m or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"'{text}' is not an ISO-8601 duration (expected e.g. PT30S, PT1H, P1D)")
    parts = {k: float(v) for k, v in m.groupdict().items() if v and k != "sign"}
    try:
        delta = timedelta(
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        )
    except OverflowError:
        raise ValueError(f"'{text}' is longer than the longest duration (999999999 days)") from None
    return -delta if m.group("sign") else delta


def format_duration(delta: timedelta) -> str:
    """Format as Java's Duration.toString() does: PT1H2M3.5S, PT0S."""
    total = delta.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rem = divmod(total, 3600)
    minutes, seconds = divmod(rem, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if seconds or out == "PT":
        s = f"{seconds:.6f}".rstrip("0").rstrip(".")
        out += f"{s}S"
    return sign + out
