"""The ``headway`` command.

Each command's module is imported when that command runs (``LazyGroup``): ``headway run``
does not pay for the server's imports (FastAPI, uvicorn), which matters for a command that is
started over and over (scripts, recovery loops).
"""

from __future__ import annotations

import importlib
import sys

import click

from headway import __version__
from headway.cli.errors import run_guarded

# name: (module, attribute)
COMMANDS = {
    "run": ("headway.cli.run", "run"),
    "validate": ("headway.cli.validate", "validate"),
    "schema": ("headway.cli.validate", "schema"),
    "executions": ("headway.cli.executions", "executions"),
    "server": ("headway.cli.server", "server"),
    "worker": ("headway.cli.server", "worker"),
    "workers": ("headway.cli.workers", "workers"),
    "flows": ("headway.cli.flows", "flows"),
    "namespace": ("headway.cli.namespaces", "namespace"),
    "tokens": ("headway.cli.tokens", "tokens"),
    "audit": ("headway.cli.audit", "audit"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        command = getattr(importlib.import_module(found[0]), found[1])
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="headway")
def cli() -> None:
    """Headway: Kestra-compatible YAML flows on a durable execution engine."""


def main() -> None:
    sys.exit(run_guarded(cli))
