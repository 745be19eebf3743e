"""Helpers for scripts run by Headway's script tasks: print protocol lines on stdout.

    import headway
    headway.outputs({"rows": 42})    # the task's vars.rows is 42
    from headway import Kestra
    Kestra.outputs({"rows": 42})     # the same, spelled as Kestra's Python library

The module uses only the standard library, and ``import headway`` imports only it: a script
pays nothing for the rest of Headway. A top-level ``kestra`` module is not provided: it would
shadow Kestra's own library when both are installed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any


def _emit(payload: Mapping[str, Any]) -> None:
    sys.stdout.write(f"::{json.dumps(payload, default=str)}::\n")
    sys.stdout.flush()


def outputs(values: Mapping[str, Any]) -> None:
    """Add ``values`` to the task's ``vars`` output."""
    _emit({"outputs": dict(values)})


def log(level: str, message: str) -> None:
    """Log ``message`` at ``level`` (TRACE, DEBUG, INFO, WARN, ERROR) on the TaskRun."""
    _emit({"logs": [{"level": level.upper(), "message": message}]})


def counter(name: str, value: float, tags: Mapping[str, str] | None = None) -> None:
    """Record a counter metric on the TaskRun."""
    _emit({"metrics": [{"name": name, "type": "counter", "value": value, "tags": tags or {}}]})


def timer(name: str, seconds: float, tags: Mapping[str, str] | None = None) -> None:
    """Record a timer metric (a duration in seconds) on the TaskRun."""
    _emit({"metrics": [{"name": name, "type": "timer", "value": seconds, "tags": tags or {}}]})


class Kestra:
    """The subset of Kestra's Python ``Kestra`` class that maps onto Headway."""

    outputs = staticmethod(outputs)
    log = staticmethod(log)
    counter = staticmethod(counter)
    timer = staticmethod(timer)
