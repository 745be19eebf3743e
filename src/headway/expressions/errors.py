"""Errors raised while parsing or rendering templates, all of them `ExpressionError`s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headway.errors import ExpressionError

_MAX_SOURCE = 200
_MAX_KEYS = 20


class UndefinedError(ExpressionError):
    """A variable, key or index that the template reads does not exist.

    ``??``, ``???``, ``is defined`` and the ``default`` filter catch it; anything else lets
    it through to the caller, named and located.
    """

    def __init__(self, path: str, hint: str = "", source: str | None = None) -> None:
        self.path = path
        self.hint = hint
        where = f" used in '{source}'" if source is not None else ""
        super().__init__(f"Unable to find '{path}'{where}{hint}")


def shorten(source: str) -> str:
    """The source of a tag, cut to a length that fits in an error message."""
    source = source.strip()
    return source if len(source) <= _MAX_SOURCE else source[: _MAX_SOURCE - 3] + "..."


def locate(error: ExpressionError, source: str) -> ExpressionError:
    """The same error, told where it happened (the text of the tag being evaluated)."""
    shown = shorten(source)
    if isinstance(error, UndefinedError):
        return UndefinedError(error.path, error.hint, shown)
    return ExpressionError(f"{error.message} in '{shown}'")


def available_keys(mapping: Mapping[Any, Any]) -> str:
    """A hint listing the keys a map does have, for an error about one it lacks."""
    if not mapping:
        return " (the map is empty)"
    keys = sorted(str(key) for key in mapping)
    listed = ", ".join(keys[:_MAX_KEYS])
    more = f", ... ({len(keys) - _MAX_KEYS} more)" if len(keys) > _MAX_KEYS else ""
    return f" (available: {listed}{more})"


def kind(value: Any) -> str:
    """The Pebble name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def position(source: str, offset: int) -> str:
    """``line L, column C`` of a character offset in a source."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def syntax_error(source: str, offset: int, message: str) -> ExpressionError:
    """A parse error naming the position, the problem and the line it is on."""
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    line = source[start : end if end != -1 else len(source)]
    return ExpressionError(
        f"Invalid template at {position(source, offset)}: {message} (in '{shorten(line)}')"
    )


__all__ = [
    "ExpressionError",
    "UndefinedError",
    "available_keys",
    "kind",
    "locate",
    "position",
    "shorten",
    "syntax_error",
]
