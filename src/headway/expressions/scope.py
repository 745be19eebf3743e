"""The variables a template sees while it renders: the caller's context under local frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from headway.expressions.errors import UndefinedError, available_keys

Functions = Mapping[str, Callable[..., Any]]

_NO_FUNCTIONS: Functions = {}


class Scope:
    """Name lookup for one render.

    ``{% set %}`` and ``{% for %}`` write to local frames, never to the caller's context,
    which is only read.
    """

    __slots__ = ("context", "frames", "functions")

    def __init__(self, context: Mapping[str, Any], functions: Functions | None) -> None:
        self.context = context
        self.functions = functions if functions is not None else _NO_FUNCTIONS
        self.frames: list[dict[str, Any]] = []

    def lookup(self, name: str) -> Any:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        try:
            return self.context[name]
        except KeyError:
            raise UndefinedError(name, self._hint()) from None

    def assign(self, name: str, value: Any) -> None:
        if not self.frames:
            self.frames.append({})
        self.frames[-1][name] = value

    def _hint(self) -> str:
        names: dict[str, None] = dict.fromkeys(self.context)
        for frame in self.frames:
            names.update(dict.fromkeys(n for n in frame if not n.startswith("\0")))
        return available_keys(names)
