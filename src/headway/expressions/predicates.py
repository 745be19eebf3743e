"""Pebble tests, the right side of ``is`` / ``is not``: ``x is empty``, ``n is even``...

``defined`` is not here: it needs the unevaluated left side, so the node handles it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from headway.expressions.errors import ExpressionError, kind


def is_null(value: Any) -> bool:
    return value is None


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return len(value) == 0
    return False


def _integer(value: Any, test: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"'is {test}' needs a number, not {kind(value)}")
    return int(value)


def is_even(value: Any) -> bool:
    return _integer(value, "even") % 2 == 0


def is_odd(value: Any) -> bool:
    return _integer(value, "odd") % 2 == 1


def is_iterable(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_json(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


TESTS: dict[str, Callable[..., bool]] = {
    "null": is_null,
    "none": is_null,
    "empty": is_empty,
    "even": is_even,
    "odd": is_odd,
    "iterable": is_iterable,
    "map": is_map,
    "json": is_json,
}
