"""KV keys and the typed values of the KV Set task (``kvType``).

Values are stored as JSON-compatible data: NUMBER, BOOLEAN and JSON as the parsed value;
DATETIME, DATE and DURATION as normalised ISO-8601 text (``2024-05-01T10:00:00Z``,
``2024-05-01``, ``PT1H30M``), checked before they are written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from headway.durations import format_duration, parse_duration

KVType = Literal["STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"]

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")


def check_key(key: str) -> None:
    """Kestra's rule for KV keys; raise ValueError naming the key."""
    if not KEY_PATTERN.match(key):
        raise ValueError(
            f"invalid KV key '{key}': a key starts with a letter or a digit and holds only "
            "letters, digits, dots, underscores and hyphens"
        )


def to_kv_type(value: Any, kv_type: str) -> Any:
    """``value`` converted to ``kv_type``; ValueError says what was expected."""
    convert = _CONVERTERS.get(kv_type)
    if convert is None:
        raise ValueError(f"unknown kvType '{kv_type}' (expected one of {', '.join(_CONVERTERS)})")
    try:
        return convert(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"value {value!r} is not a valid {kv_type}: {exc}") from None


def _string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _number(value: Any) -> int | float:
    parsed = json.loads(value) if isinstance(value, str) else value
    if isinstance(parsed, bool) or not isinstance(parsed, int | float):
        raise ValueError("expected a number such as 42 or 3.14")
    return parsed


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


def _datetime(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        raise ValueError("expected an ISO-8601 date-time such as 2024-05-01T10:00:00Z")
    moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _date(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise ValueError("expected an ISO-8601 date such as 2024-05-01")


def _duration(value: Any) -> str:
    if isinstance(value, str):
        value = parse_duration(value)
    if not isinstance(value, timedelta):
        raise ValueError("expected an ISO-8601 duration such as PT1H")
    return format_duration(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "STRING": _string,
    "NUMBER": _number,
    "BOOLEAN": _boolean,
    "DATETIME": _datetime,
    "DATE": _date,
    "DURATION": _duration,
    "JSON": _json,
}
