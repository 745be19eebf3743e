"""Kestra's script output protocol: a line ``::{json}::`` carries outputs, logs or metrics.

``::{"outputs": {"key": "value"}}::`` adds to the task's ``vars`` output;
``::{"logs": [{"level": "INFO", "message": "..."}]}::`` logs at that level;
``::{"metrics": [...]}::`` records counters and timers on the TaskRun. Any other line is plain
output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_MESSAGE = re.compile(r"^::(\{.*\})::$")
LEVELS = frozenset({"TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR"})


@dataclass
class Message:
    """What a protocol line says."""

    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[Any] = field(default_factory=list)


def parse_line(line: str) -> Message | None:
    """The message of a protocol line, or None for plain output (or a malformed message)."""
    match = _MESSAGE.match(line.strip())
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    message = Message()
    outputs = data.get("outputs")
    if isinstance(outputs, dict):
        message.outputs = outputs
    for entry in _list(data.get("logs")):
        if isinstance(entry, dict) and "message" in entry:
            level = str(entry.get("level", "INFO")).upper()
            message.logs.append((level if level in LEVELS else "INFO", str(entry["message"])))
    message.metrics = _list(data.get("metrics"))
    return message


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]
