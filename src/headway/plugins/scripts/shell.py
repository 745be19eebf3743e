"""Shell tasks: Commands (``shell.commands``) and Script (``shell.script``)."""

from __future__ import annotations

from pydantic import Field

from headway.plugins.scripts.task import Render, ScriptTask
from headway.runners.base import Workspace


class ShellCommands(ScriptTask):
    """Run shell ``commands``, one after another, in one shell."""

    type_name = "shell.commands"
    aliases = ("io.kestra.plugin.scripts.shell.Commands",)

    commands: list[str] = Field(min_length=1)

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        return [await render(command) for command in self.commands]


class ShellScript(ScriptTask):
    """Run a multi-line shell ``script``."""

    type_name = "shell.script"
    aliases = ("io.kestra.plugin.scripts.shell.Script",)

    script: str

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        return [await render(self.script)]
