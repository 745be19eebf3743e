"""``headway validate`` and ``headway schema``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from headway.cli.local import flow_files, load_flow
from headway.errors import FlowInvalidError
from headway.flows.schema import flow_json_schema
from headway.plugins.registry import default_registry


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Validate flow files (directories are searched for *.yaml / *.yml).

    Every problem is printed as FILE:LINE:COLUMN: message. Exits 0 when every flow is
    valid, 2 otherwise.
    """
    files = [f for p in paths for f in flow_files(p)]
    if not files:
        raise click.UsageError("no flow files found (*.yaml, *.yml)")
    invalid = 0
    for path in files:
        try:
            flow, _ = load_flow(path)
        except FlowInvalidError as exc:
            invalid += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        click.echo(f"{path}: ok ({flow.namespace}.{flow.id})")
    if invalid:
        click.echo(f"{invalid} of {len(files)} flow(s) invalid", err=True)
        raise click.exceptions.Exit(2)


@click.command()
def schema() -> None:
    """Print the JSON Schema of the flow language (for editors)."""
    click.echo(json.dumps(flow_json_schema(default_registry()), indent=2))
