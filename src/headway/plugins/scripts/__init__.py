"""Script tasks: shell, Python and Node.js commands and scripts, run by a task runner.

``shell.commands``, ``shell.script``, ``python.commands``, ``python.script``, ``node.commands``
and ``node.script`` (with Kestra's ``io.kestra.plugin.scripts.*`` names). Only the Process
runner runs today (:mod:`headway.runners.process`). Registered through the
``headway.plugins`` entry point ``scripts``, like any third-party plugin. Python scripts report
outputs with :mod:`headway.scripting` (``import headway``), others print protocol lines.
"""

from __future__ import annotations

from headway.flows.tasks import TaskBase
from headway.plugins.scripts.node import NodeCommands, NodeScript
from headway.plugins.scripts.python import PythonCommands, PythonScript
from headway.plugins.scripts.shell import ShellCommands, ShellScript

PLUGINS: tuple[type[TaskBase], ...] = (
    ShellCommands,
    ShellScript,
    PythonCommands,
    PythonScript,
    NodeCommands,
    NodeScript,
)

__all__ = [
    "PLUGINS",
    "NodeCommands",
    "NodeScript",
    "PythonCommands",
    "PythonScript",
    "ShellCommands",
    "ShellScript",
]
