"""Headway's errors. One root; each class's docstring is its default message."""

from __future__ import annotations

from dataclasses import dataclass


class HeadwayError(Exception):
    """Headway failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Location:
    """Where in a source a problem is: file, 1-based line and column, and the key path."""

    path: tuple[str | int, ...] = ()
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        where = self.file or "<flow>"
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return where

    def dotted_path(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a flow: what, where and what was expected."""

    message: str
    location: Location = Location()

    def __str__(self) -> str:
        path = self.location.dotted_path()
        at = f" (at {path})" if path else ""
        return f"{self.location.describe()}: {self.message}{at}"


class FlowInvalidError(HeadwayError):
    """The flow is invalid."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "The flow is invalid.")


class InputInvalidError(HeadwayError):
    """An input is invalid."""

    def __init__(self, input_id: str, reason: str) -> None:
        self.input_id = input_id
        self.reason = reason
        super().__init__(f"input '{input_id}': {reason}")


class ExpressionError(HeadwayError):
    """An expression could not be rendered."""


class NotFoundError(HeadwayError):
    """Not found."""


class ConflictError(HeadwayError):
    """The request conflicts with the current state."""


class IllegalTransitionError(HeadwayError):
    """This state change is not allowed."""


class StoreError(HeadwayError):
    """The store failed."""


class TaskFailure(HeadwayError):
    """The task failed.

    ``retryable`` says whether the task's retry policy may try again (invalid properties
    after rendering, or a plugin error that says so, are not retryable).
    """

    def __init__(self, message: str | None = None, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
