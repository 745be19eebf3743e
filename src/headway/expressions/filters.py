"""Filters, the right side of ``|``: Pebble's core filters and Kestra's additions.

A filter is a function of the value and then the arguments, positional in Pebble's order
or named (``date(format='yyyy', timeZone='UTC')``). A null value passes through most of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jq
import yaml

from headway.expressions import dates
from headway.expressions.errors import ExpressionError, kind
from headway.expressions.functions import from_json
from headway.expressions.java_format import format_date
from headway.expressions.predicates import is_empty
from headway.expressions.text_filters import (
    abbreviate,
    abs_,
    base64decode,
    base64encode,
    capitalize,
    digest,
    ends_with,
    escape_char,
    indent,
    lower,
    nindent,
    number,
    number_format,
    replace,
    slugify,
    split,
    starts_with,
    string,
    substring_after,
    substring_after_last,
    substring_before,
    substring_before_last,
    title,
    trim,
    upper,
    urldecode,
    urlencode,
)
from headway.expressions.values import to_json, to_text


def _list(value: Any, name: str) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise ExpressionError(f"'{name}' needs a list, not {kind(value)}")


def _map(value: Any, name: str) -> Mapping[Any, Any]:
    if isinstance(value, Mapping):
        return value
    raise ExpressionError(f"'{name}' needs a map, not {kind(value)}")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# Dates ----------------------------------------------------------------------------------


def date(
    value: Any,
    format: str = "iso",
    timeZone: str | None = None,
    existingFormat: str | None = None,
    locale: str | None = None,
) -> str | None:
    if value is None:
        return None
    tz = dates.zone(timeZone)
    return format_date(dates.to_datetime(value, tz, existingFormat), format)


def date_add(
    value: Any,
    amount: int,
    unit: str,
    format: str = "iso",
    timeZone: str | None = None,
    existingFormat: str | None = None,
    locale: str | None = None,
) -> str | None:
    if value is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ExpressionError(f"the amount must be an integer, not {kind(amount)}")
    tz = dates.zone(timeZone)
    moment = dates.add(dates.to_datetime(value, tz, existingFormat), amount, str(unit))
    return format_date(moment, format)


def _timestamp(scale: int) -> Callable[..., int | None]:
    def timestamp(
        value: Any, timeZone: str | None = None, existingFormat: str | None = None
    ) -> int | None:
        if value is None:
            return None
        moment = dates.to_datetime(value, dates.zone(timeZone), existingFormat)
        delta = moment - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return micros * scale // 1_000_000

    return timestamp


# JSON, YAML, jq ---------------------------------------------------------------------------


def to_json_filter(value: Any) -> str:
    return to_json(value)


@lru_cache(maxsize=256)
def _jq_program(expression: str) -> Any:
    try:
        return jq.compile(expression)
    except ValueError as error:
        raise ExpressionError(f"invalid jq expression '{expression}': {error}") from None


def jq_filter(value: Any, expression: str) -> list[Any] | None:
    """All the results of a jq program, as a list (``| first`` takes the first one)."""
    if value is None:
        return None
    program = _jq_program(expression)
    text = value if isinstance(value, str) else to_json(value)
    try:
        return list(program.input_text(text).all())
    except ValueError as error:
        raise ExpressionError(f"jq expression '{expression}' failed: {error}") from None


def yaml_filter(value: Any) -> str:
    data = json.loads(to_json(value))
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True)


# Lists and maps ---------------------------------------------------------------------------


def length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | Mapping | list | tuple | set | frozenset):
        return len(value)
    return 0


def join(value: Any, separator: str = "") -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return separator.join(to_text(item) for item in value)
    return to_text(value)


def first(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | list | tuple):
        return value[0] if value else None
    raise ExpressionError(f"'first' needs a list or a string, not {kind(value)}")


def last(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | list | tuple):
        return value[-1] if value else None
    raise ExpressionError(f"'last' needs a list or a string, not {kind(value)}")


def keys(value: Any) -> Any:
    return None if value is None else list(_map(value, "keys"))


def values(value: Any) -> Any:
    return None if value is None else list(_map(value, "values").values())


def slice_(value: Any, fromIndex: int = 0, toIndex: int | None = None) -> Any:
    if value is None:
        return None
    if not isinstance(value, str | list | tuple):
        raise ExpressionError(f"'slice' needs a list or a string, not {kind(value)}")
    return value[fromIndex:toIndex]


def sort(value: Any) -> Any:
    return None if value is None else sorted(_list(value, "sort"))


def rsort(value: Any) -> Any:
    return None if value is None else sorted(_list(value, "rsort"), reverse=True)


def reverse(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return _list(value, "reverse")[::-1]


def merge(value: Any, items: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(items, Mapping):
        return {**value, **items}
    if isinstance(value, list | tuple):
        return [*value, *(items if isinstance(items, list | tuple) else [items])]
    raise ExpressionError(f"cannot merge {kind(items)} into {kind(value)}")


def chunk(value: Any, size: int) -> Any:
    if value is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ExpressionError("the chunk size must be an integer >= 1")
    items = _list(value, "chunk")
    return [items[i : i + size] for i in range(0, len(items), size)]


def distinct(value: Any) -> Any:
    if value is None:
        return None
    unique: list[Any] = []
    for item in _list(value, "distinct"):
        if item not in unique:
            unique.append(item)
    return unique


def default(value: Any, default: Any) -> Any:
    """Only reached when ``default`` is called unusually; the `Default` node does the work."""
    return default if is_empty(value) else value


FILTERS: dict[str, Callable[..., Any]] = {
    "abbreviate": abbreviate,
    "abs": abs_,
    "base64decode": base64decode,
    "base64encode": base64encode,
    "capitalize": capitalize,
    "chunk": chunk,
    "date": date,
    "dateAdd": date_add,
    "default": default,
    "distinct": distinct,
    "endsWith": ends_with,
    "escapeChar": escape_char,
    "first": first,
    "fromJson": from_json,
    "indent": indent,
    "jq": jq_filter,
    "join": join,
    "json": to_json_filter,
    "jsonEncode": to_json_filter,
    "keys": keys,
    "last": last,
    "length": length,
    "lower": lower,
    "md5": digest("md5"),
    "merge": merge,
    "nindent": nindent,
    "number": number,
    "numberFormat": number_format,
    "numberformat": number_format,
    "replace": replace,
    "reverse": reverse,
    "rsort": rsort,
    "sha1": digest("sha1"),
    "sha256": digest("sha256"),
    "sha512": digest("sha512"),
    "slice": slice_,
    "slugify": slugify,
    "sort": sort,
    "split": split,
    "startsWith": starts_with,
    "string": string,
    "substringAfter": substring_after,
    "substringAfterLast": substring_after_last,
    "substringBefore": substring_before,
    "substringBeforeLast": substring_before_last,
    "timestamp": _timestamp(1),
    "timestampMilli": _timestamp(1_000),
    "timestampMicro": _timestamp(1_000_000),
    "timestampNano": _timestamp(1_000_000_000),
    "title": title,
    "toJson": to_json_filter,
    "trim": trim,
    "uniq": distinct,
    "upper": upper,
    "urldecode": urldecode,
    "urlencode": urlencode,
    "values": values,
    "yaml": yaml_filter,
}
