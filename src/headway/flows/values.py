"""Typed values of inputs and outputs: text (from the CLI, a form) or JSON (from the API) to the
Python value of a Kestra type, and back to JSON the way Kestra's API shows it."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import yaml

from headway.durations import format_duration, parse_duration


class InputValueError(ValueError):
    """A value does not fit its type or a validator; ``reason`` says which rule, and never
    shows a secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def show(value: Any) -> str:
    """A value as an error message shows it: short, quoted if text."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime | date | time | timedelta):
        return str(serialize_value(value))
    return str(value)


def _not_a(value: Any, type_name: str, hint: str) -> InputValueError:
    article = "an" if type_name in ("INT", "EMAIL", "ARRAY", "ENUM") else "a"
    return InputValueError(f"{show(value)} is not {article} {type_name} ({hint})")


_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$")
_EMAIL = re.compile(r"^[a-zA-Z0-9_!#$%&'*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+\.[a-zA-Z0-9-]+$")


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise InputValueError(f"expected text, got {show(value)}")


def to_secret(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise InputValueError("expected text for a SECRET")


def to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    raise _not_a(value, "INT", "a whole number, e.g. 42")


def to_float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str) and _FLOAT.match(value.strip()):
        return float(value.strip())
    raise _not_a(value, "FLOAT", "a number, e.g. 3.14")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _not_a(value, "BOOLEAN", "true or false")


def to_datetime(value: Any) -> datetime:
    """An instant, in UTC; a date-time without offset is taken as UTC."""
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str) and len(value.strip()) > 10:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise _not_a(value, "DATETIME", "ISO-8601, e.g. 2024-01-31T10:00:00Z")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _not_a(value, "DATE", "ISO-8601, e.g. 2024-01-31")


def to_time(value: Any) -> time:
    parsed: time | None = value if isinstance(value, time) else None
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise _not_a(value, "TIME", "ISO-8601 without offset, e.g. 10:15:30")
    return parsed


def to_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            pass
    raise _not_a(value, "DURATION", "ISO-8601, e.g. PT30S, PT1H, P1D")


def to_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise InputValueError(f"{show(value)} is not valid JSON: {exc}") from None


def to_yaml(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as exc:
        reason = str(exc).replace("\n", " ")
        raise InputValueError(f"{show(value)} is not valid YAML: {reason}") from None


def to_uri(value: Any) -> str:
    if isinstance(value, str) and _URI.match(value.strip()):
        return value.strip()
    raise _not_a(value, "URI", "e.g. https://example.com/path")


def to_email(value: Any) -> str:
    if isinstance(value, str) and _EMAIL.match(value.strip()):
        return value.strip()
    raise _not_a(value, "EMAIL", "e.g. name@example.com")


def to_file(value: Any) -> str:
    """A FILE input: a local path or a ``kestra:///`` URI, as given."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _not_a(value, "FILE", "a path or a kestra:/// URI")


def to_list(value: Any, type_name: str = "ARRAY") -> list[Any]:
    """A list, or text holding a JSON list."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    raise _not_a(value, type_name, 'a JSON list, e.g. ["a", "b"]')


def to_array(value: Any, item_type: str | None) -> list[Any]:
    items = to_list(value)
    if item_type is None:
        return items
    convert = CONVERTERS[item_type]
    out: list[Any] = []
    for i, item in enumerate(items):
        try:
            out.append(convert(item))
        except InputValueError as exc:
            raise InputValueError(f"item [{i}]: {exc.reason}") from None
    return out


# Type name -> conversion of one value (ARRAY without item type, MULTISELECT as text items).
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "STRING": to_string,
    "ENUM": to_string,
    "SELECT": to_string,
    "SECRET": to_secret,
    "INT": to_int,
    "FLOAT": to_float,
    "BOOLEAN": to_bool,
    "BOOL": to_bool,
    "DATETIME": to_datetime,
    "DATE": to_date,
    "TIME": to_time,
    "DURATION": to_duration,
    "JSON": to_json,
    "YAML": to_yaml,
    "URI": to_uri,
    "EMAIL": to_email,
    "FILE": to_file,
    "ARRAY": lambda v: to_array(v, None),
    "MULTISELECT": lambda v: [to_string(item) for item in to_list(v, "MULTISELECT")],
}


def convert_value(type_name: str, value: Any) -> Any:
    """Convert ``value`` to the Python value of a Kestra type (flow outputs use this too);
    raise :class:`InputValueError`."""
    convert = CONVERTERS.get(type_name)
    if convert is None:
        raise InputValueError(f"unknown type '{type_name}'")
    return convert(value)


def serialize_value(value: Any) -> Any:
    """A typed value as Kestra's API shows it: instants ISO-8601 in UTC with ``Z``, durations
    ``PT..``, dates and times ISO-8601; maps and lists element by element."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Mapping):
        return {str(k): serialize_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [serialize_value(v) for v in value]
    return value
