"""Narrow a ``Dynamic[T]`` property to ``T`` inside ``run``.

By the time ``run`` is called the worker has rendered every property and validated it again,
so a dynamic property holds its typed value. An expression still left means the property was
not rendered; that is a bug of the caller, reported as a non-retryable failure.
"""

from __future__ import annotations

from typing import TypeVar

from headway.errors import TaskFailure

T = TypeVar("T")


def rendered(value: T | str, kind: type[T], name: str) -> T:
    """``value`` as a ``kind``, or a failure naming the property ``name``."""
    if isinstance(value, kind):
        return value
    raise TaskFailure(
        f"property '{name}' was not rendered to a {kind.__name__}: {value!r}", retryable=False
    )
