"""Python tasks: Commands (``python.commands``) and Script (``python.script``).

On the Process runner, ``python`` and ``python3`` are the worker's own interpreter (its
directory comes first in ``PATH``), so the script can import what the worker has installed,
the helper :mod:`headway.scripting` (``import headway``) included. Unless a task says
``warmInterpreter: false`` (or the installation sets ``HEADWAY_PYTHON_FORK_SERVER=0``), plain
``python`` command lines and scripts run in the warm interpreter: a fresh child forked from a
server with the common modules imported (:mod:`headway.runners.fork_server`).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from headway.plugins.scripts.task import Render, ScriptTask
from headway.runners.base import Workspace

# Where python.script writes its script, in the working directory.
SCRIPT_FILE = ".headway_script.py"


class PythonCommands(ScriptTask):
    """Run ``commands`` (``python main.py`` with ``main.py`` among ``inputFiles``)."""

    type_name = "python.commands"
    aliases = ("io.kestra.plugin.scripts.python.Commands",)
    local_path_prefix: ClassVar[tuple[str, ...]] = (str(Path(sys.executable).parent),)

    commands: list[str] = Field(min_length=1)
    # False: a fresh interpreter process, never the warm one (docs/flows.md).
    warm_interpreter: bool = True

    def warm_interpreter_wanted(self) -> bool:
        return self.warm_interpreter

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        return [await render(command) for command in self.commands]


class PythonScript(ScriptTask):
    """Run a Python ``script`` with the worker's interpreter."""

    type_name = "python.script"
    aliases = ("io.kestra.plugin.scripts.python.Script",)
    local_path_prefix: ClassVar[tuple[str, ...]] = (str(Path(sys.executable).parent),)

    script: str
    # False: a fresh interpreter process, never the warm one (docs/flows.md).
    warm_interpreter: bool = True

    def warm_interpreter_wanted(self) -> bool:
        return self.warm_interpreter

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        await workspace.write(SCRIPT_FILE, await render(self.script))
        return [f"{shlex.quote(sys.executable)} {shlex.quote(SCRIPT_FILE)}"]
