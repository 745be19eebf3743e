"""How Pebble values behave: printing, truthiness, data access, arithmetic and comparison.

Data access is the sandbox: a template can read keys of maps and items of lists, and
nothing else. No Python attribute or method of any object is ever looked up.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from headway.expressions.errors import ExpressionError, UndefinedError, available_keys, kind

_FALSE_STRINGS = frozenset({"", "false", "0", "-0"})


def truthy(value: Any) -> bool:
    """Kestra truthiness, used by ``{% if %}``, ``and``/``or``/``not``, ``? :`` and runIf.

    False: null, false, 0, an empty list or map, and the strings "", "0", "-0" and "false"
    (any case, surrounding whitespace ignored). Everything else is true.
    """
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_STRINGS
    if isinstance(value, int | float | Decimal):
        return value != 0
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return len(value) > 0
    return True


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def format_float(value: float) -> str:
    """A double as Java prints it: ``1.5``, ``2.0``, ``1.0E7``, ``1.0E-4``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    shown = "".join(str(d) for d in digits)
    mantissa = shown[0] + "." + (shown[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{len(shown) - 1 + int(exponent)}"


def format_offset(offset: timedelta | None, zero: str = "Z") -> str:
    """A UTC offset as ``Z`` or ``+HH:MM`` (``+HH:MM:SS`` when it has seconds)."""
    if not offset:
        return zero
    seconds = int(offset.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def format_datetime(value: datetime) -> str:
    """ISO-8601 like Java's Instant: seconds always, millis or micros when present, ``Z``."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    if value.tzinfo is not None:
        text += format_offset(value.utcoffset())
    return text


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def to_json(value: Any) -> str:
    """Compact JSON, as Kestra prints maps and lists (``{"a":1,"b":[true,null]}``)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def to_text(value: Any) -> str:
    """How a value prints inside ``{{ }}``: null is empty, maps and lists are JSON."""
    kind_ = type(value)
    if kind_ is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind_ is bool:
        return "true" if value else "false"
    if kind_ is int:
        return str(value)
    if kind_ is float:
        return format_float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return to_json(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return format_float(float(value))
    return str(value)


def _as_index(key: Any) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.lstrip("-").isdigit():
        return int(key)
    return None


def get_item(container: Any, key: Any, path: str) -> Any:
    """``a.b``, ``a['b']`` and ``a[0]``: a key of a map or an item of a list, nothing else."""
    if type(container) is dict or isinstance(container, Mapping):
        try:
            return container[key]
        except KeyError:
            pass
        except TypeError:
            raise ExpressionError(f"'{path}': {kind(key)} cannot be a map key") from None
        if isinstance(key, int) and not isinstance(key, bool) and str(key) in container:
            return container[str(key)]
        raise UndefinedError(path, available_keys(container))
    if isinstance(container, list | tuple):
        index = _as_index(key)
        if index is None:
            raise UndefinedError(path, f" (a list has no attribute {key!r})")
        try:
            return container[index]
        except IndexError:
            hint = f" (index {index} is out of range for a list of {len(container)})"
            raise UndefinedError(path, hint) from None
    if container is None:
        raise UndefinedError(path, " (the value it is read from is null)")
    raise UndefinedError(path, f" ({kind(container)} has no attribute {key!r})")


def equals(left: Any, right: Any) -> bool:
    """Pebble equality: numbers by value, booleans only equal booleans, else plain equality."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    try:
        return bool(left == right)
    except TypeError:
        return False


def compare(symbol: str, left: Any, right: Any) -> bool:
    """``<``, ``>``, ``<=``, ``>=`` between two numbers, two strings or two dates."""
    comparable = (
        (is_number(left) and is_number(right))
        or (isinstance(left, str) and isinstance(right, str))
        or (isinstance(left, date) and isinstance(right, date))
    )
    if not comparable:
        raise ExpressionError(f"cannot compare {kind(left)} with {kind(right)} using '{symbol}'")
    try:
        if symbol == "<":
            return bool(left < right)
        if symbol == ">":
            return bool(left > right)
        if symbol == "<=":
            return bool(left <= right)
        return bool(left >= right)
    except TypeError as error:
        raise ExpressionError(f"cannot compare with '{symbol}': {error}") from None


def contains(container: Any, item: Any) -> bool:
    """``a contains b``: a substring, a list item (or all items of a list), a map key."""
    if container is None:
        return False
    if isinstance(container, str):
        return item is not None and to_text(item) in container
    if isinstance(container, Mapping):
        keys = item if isinstance(item, list | tuple) else [item]
        try:
            return all(key in container for key in keys)
        except TypeError:
            return False
    if isinstance(container, list | tuple | set | frozenset):
        wanted = item if isinstance(item, list | tuple) else [item]
        return all(any(equals(have, want) for have in container) for want in wanted)
    raise ExpressionError(f"'contains' needs a string, a list or a map, not {kind(container)}")


def _numbers(symbol: str, left: Any, right: Any) -> None:
    if not (is_number(left) and is_number(right)):
        raise ExpressionError(f"cannot apply '{symbol}' to {kind(left)} and {kind(right)}")


def add(left: Any, right: Any) -> Any:
    if isinstance(left, list):
        return left + right if isinstance(right, list) else [*left, right]
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    _numbers("+", left, right)
    return left + right


def subtract(left: Any, right: Any) -> Any:
    _numbers("-", left, right)
    return left - right


def multiply(left: Any, right: Any) -> Any:
    _numbers("*", left, right)
    return left * right


def divide(left: Any, right: Any) -> Any:
    """Java division: two integers give an integer rounded toward zero (7 / 2 = 3)."""
    _numbers("/", left, right)
    if right == 0:
        raise ExpressionError("division by zero")
    if isinstance(left, int) and isinstance(right, int):
        quotient = abs(left) // abs(right)
        return quotient if (left >= 0) == (right >= 0) else -quotient
    return left / right


def modulo(left: Any, right: Any) -> Any:
    """Java remainder: its sign follows the dividend (-7 % 2 = -1)."""
    _numbers("%", left, right)
    if right == 0:
        raise ExpressionError("division by zero")
    if isinstance(left, int) and isinstance(right, int):
        return left - right * divide(left, right)
    return math.fmod(left, right)


def negate(value: Any) -> Any:
    if not is_number(value):
        raise ExpressionError(f"cannot negate {kind(value)}")
    return -value


def concatenate(left: Any, right: Any) -> str:
    return to_text(left) + to_text(right)


def inclusive_range(start: Any, end: Any, step: Any = 1) -> list[Any]:
    """``1..5`` and ``range(1, 5)``: both ends included, as Pebble does; also ``'a'..'e'``."""
    if isinstance(start, str) and isinstance(end, str) and len(start) == len(end) == 1:
        return [chr(code) for code in inclusive_range(ord(start), ord(end), step)]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, step)):
        raise ExpressionError(f"a range needs integers, not {kind(start)} and {kind(end)}")
    if step == 0:
        raise ExpressionError("a range step cannot be 0")
    stop = end + 1 if step > 0 else end - 1
    return list(range(start, stop, step))
