"""The ``headway`` command."""

from __future__ import annotations

import sys

import click

from headway import __version__
from headway.cli.audit import audit
from headway.cli.errors import run_guarded
from headway.cli.executions import executions
from headway.cli.flows import flows
from headway.cli.run import run
from headway.cli.server import server
from headway.cli.tokens import tokens
from headway.cli.validate import schema, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="headway")
def cli() -> None:
    """Headway: Kestra-compatible YAML flows on a durable execution engine."""


cli.add_command(run)
cli.add_command(validate)
cli.add_command(schema)
cli.add_command(executions)
cli.add_command(server)
cli.add_command(tokens)
cli.add_command(audit)
cli.add_command(flows)


def main() -> None:
    sys.exit(run_guarded(cli))
