"""Node.js tasks: Commands (``node.commands``) and Script (``node.script``), run with the
``node`` found in ``PATH`` (a task fails with exit code 127 where there is none)."""

from __future__ import annotations

from pydantic import Field

from headway.plugins.scripts.task import Render, ScriptTask
from headway.runners.base import Workspace

# Where node.script writes its script, in the working directory.
SCRIPT_FILE = ".headway_script.js"


class NodeCommands(ScriptTask):
    """Run ``commands`` (``node main.js`` with ``main.js`` among ``inputFiles``)."""

    type_name = "node.commands"
    aliases = ("io.kestra.plugin.scripts.node.Commands",)

    commands: list[str] = Field(min_length=1)

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        return [await render(command) for command in self.commands]


class NodeScript(ScriptTask):
    """Run a Node.js ``script`` (CommonJS, as ``node FILE.js`` runs it)."""

    type_name = "node.script"
    aliases = ("io.kestra.plugin.scripts.node.Script",)

    script: str

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        await workspace.write(SCRIPT_FILE, await render(self.script))
        return [f"node {SCRIPT_FILE}"]
