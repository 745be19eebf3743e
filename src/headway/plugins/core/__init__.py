"""Headway's core runnable tasks: Log, Return, OutputValues, Fail, Sleep, Labels, KV and
the trigger Toggle.

Registered through the ``headway.plugins`` entry point ``core``, like any third-party plugin.
"""

from __future__ import annotations

from headway.flows.tasks import TaskBase
from headway.plugins.core.debug import Return
from headway.plugins.core.execution import Fail, Labels
from headway.plugins.core.flow import Sleep
from headway.plugins.core.kv import KVDelete, KVGet, KVSet
from headway.plugins.core.log import Echo, Log
from headway.plugins.core.outputs import OutputValues
from headway.plugins.core.trigger import Toggle

PLUGINS: tuple[type[TaskBase], ...] = (
    Log,
    Echo,
    Return,
    OutputValues,
    Fail,
    Labels,
    Sleep,
    KVSet,
    KVGet,
    KVDelete,
    Toggle,
)

__all__ = [
    "PLUGINS",
    "Echo",
    "Fail",
    "KVDelete",
    "KVGet",
    "KVSet",
    "Labels",
    "Log",
    "OutputValues",
    "Return",
    "Sleep",
    "Toggle",
]
