"""Built-in functions: ``now()``, ``uuid()``, ``range()``, ``max()``, ``min()``, ``fromJson()``...

Functions that need I/O (``secret``, ``kv``, ``read``, ``render``...) are not here: the
engine passes them to each render, and they take precedence over these.
"""

from __future__ import annotations

import builtins
import json
import random
import uuid as uuid_module
from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml as yaml_module

from headway.expressions.dates import zone
from headway.expressions.errors import ExpressionError, kind
from headway.expressions.java_format import format_date
from headway.expressions.values import inclusive_range


def now(
    format: str | None = None,
    timeZone: str | None = None,
    existingFormat: str | None = None,
    locale: str | None = None,
) -> datetime | str:
    """The current time, aware, in ``timeZone`` (UTC by default); a string if ``format``."""
    moment = datetime.now(zone(timeZone))
    return moment if format is None else format_date(moment, format)


def uuid() -> str:
    return str(uuid_module.uuid4())


def range_(start: Any, end: Any, step: Any = 1) -> list[Any]:
    return inclusive_range(start, end, step)


def _values(args: tuple[Any, ...], name: str) -> list[Any]:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], list | tuple) else list(args)
    if not values:
        raise ExpressionError(f"{name}() needs at least one value")
    return values


def max_(*args: Any) -> Any:
    return builtins.max(_values(args, "max"))


def min_(*args: Any) -> Any:
    return builtins.min(_values(args, "min"))


def from_json(value: Any) -> Any:
    """Parse a JSON string; null stays null and an already parsed list or map is kept."""
    if value is None or isinstance(value, dict | list):
        return value
    if not isinstance(value, str | bytes):
        raise ExpressionError(f"expected a JSON string, got {kind(value)}")
    try:
        return json.loads(value)
    except ValueError as error:
        raise ExpressionError(f"invalid JSON: {error}") from None


def from_yaml(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return yaml_module.safe_load(value)
    except yaml_module.YAMLError as error:
        raise ExpressionError(f"invalid YAML: {error}") from None


def random_int(lower: int, upper: int) -> int:
    """A random integer from ``lower`` (included) to ``upper`` (excluded)."""
    return random.randrange(lower, upper)


BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "now": now,
    "uuid": uuid,
    "range": range_,
    "max": max_,
    "min": min_,
    "fromJson": from_json,
    "json": from_json,
    "jsonDecode": from_json,
    "yaml": from_yaml,
    "randomInt": random_int,
}
