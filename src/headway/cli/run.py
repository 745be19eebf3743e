"""``headway run FLOW.yaml``: run one flow in the foreground."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from headway.cli.errors import EXIT_FAILED, EXIT_OK
from headway.cli.local import FlowDirectory, LogPrinter, load_flow, local_engine
from headway.errors import InputInvalidError
from headway.execution import Execution
from headway.flows.inputs import unknown_inputs
from headway.flows.model import Flow
from headway.masking import Masker
from headway.settings import Settings
from headway.state import State


def parse_pairs(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.UsageError(f"{option} takes KEY=VALUE, got '{pair}'")
        out[key] = value
    return out


def file_inputs(flow: Flow, given: dict[str, str]) -> dict[str, str | Path]:
    """FILE inputs given as ``@path`` (Kestra's CLI convention) or as a plain path become
    local files, stored in internal storage when the execution is created; a ``kestra:///``
    URI is kept as it is. A missing file is an invalid input."""
    out: dict[str, str | Path] = dict(given)
    for inp in flow.inputs:
        value = given.get(inp.id)
        if inp.type != "FILE" or value is None or value.startswith("kestra://"):
            continue
        path = Path(value[1:] if value.startswith("@") else value).expanduser()
        if not path.is_file():
            raise InputInvalidError(inp.id, f"no such file: {path}")
        out[inp.id] = path
    return out


def exit_code(execution: Execution) -> int:
    if execution.current in (State.SUCCESS, State.WARNING, State.PAUSED):
        return EXIT_OK
    return EXIT_FAILED


def summary(execution: Execution) -> str:
    text = f"execution {execution.id} {execution.current.value}"
    if execution.current is State.PAUSED:
        text += f" (resume it with: headway executions resume {execution.id})"
    return text


@click.command()
@click.argument("flow_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An input of the flow (repeatable).",
)
@click.option(
    "--label",
    "-l",
    "labels",
    multiple=True,
    metavar="KEY=VALUE",
    help="A label of the execution (repeatable).",
)
@click.option(
    "--flows",
    "flows_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Where subflows are found (default: the flow file's directory).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print only the final execution as JSON on stdout."
)
def run(
    flow_file: Path,
    inputs: tuple[str, ...],
    labels: tuple[str, ...],
    flows_dir: Path | None,
    as_json: bool,
) -> None:
    """Run a flow in the foreground, streaming its logs to stderr.

    Exits 0 for SUCCESS or WARNING (or PAUSED, waiting to be resumed), 1 for another end
    state, 2 for an invalid flow, invalid inputs or bad usage.
    """
    given = parse_pairs(inputs, "--input")
    label_map = parse_pairs(labels, "--label")
    flow, source = load_flow(flow_file)
    for unknown in unknown_inputs(flow.inputs, given):
        click.echo(f"warning: flow '{flow.uid}' has no input '{unknown}'; ignored", err=True)
    values = file_inputs(flow, given)
    directory = FlowDirectory(flows_dir or flow_file.parent)
    settings = Settings.load()

    printer = LogPrinter(only_followed=True)

    async def go() -> Execution:
        async with local_engine(settings, directory, printer=printer) as engine:
            engine.flows.add_local(flow, source, str(flow_file))
            latest, revision = await engine.flows.latest(flow.namespace, flow.id)
            created = await engine.executor.create_execution(
                latest, revision, dict(values), labels=label_map, tenant=settings.tenant
            )
            printer.follow(created.id)
            return await engine.wait(created.id)

    execution = asyncio.run(go())
    if as_json:
        click.echo(json.dumps(execution.to_json(Masker(settings.secrets.values())), indent=2))
    click.echo(summary(execution), err=True)
    raise click.exceptions.Exit(exit_code(execution))
