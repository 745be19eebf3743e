"""Script tasks: shell and Python commands and scripts, run by a task runner.

``shell.commands``, ``shell.script``, ``python.commands`` and ``python.script`` (with Kestra's
``io.kestra.plugin.scripts.*`` names). Only the Process runner runs today
(:mod:`headway.runners.process`). Registered through the ``headway.plugins`` entry point
``scripts``, like any third-party plugin. Scripts report outputs with
:mod:`headway.plugins.scripts.helper`.
"""

from __future__ import annotations

from headway.flows.tasks import TaskBase
from headway.plugins.scripts.python import PythonCommands, PythonScript
from headway.plugins.scripts.shell import ShellCommands, ShellScript

PLUGINS: tuple[type[TaskBase], ...] = (ShellCommands, ShellScript, PythonCommands, PythonScript)

__all__ = ["PLUGINS", "PythonCommands", "PythonScript", "ShellCommands", "ShellScript"]
