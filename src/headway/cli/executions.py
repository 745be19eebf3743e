"""``headway executions ...`` against the local store."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from headway.cli.errors import EXIT_FAILED, EXIT_OK
from headway.cli.local import LogPrinter, local_engine, local_store
from headway.cli.run import exit_code, parse_pairs, summary
from headway.errors import HeadwayError, NotFoundError
from headway.execution import Execution, iso
from headway.flows.inputs import resolve_inputs
from headway.masking import Masker
from headway.plugins.flowable.pause import Pause
from headway.settings import Settings
from headway.state import State
from headway.store import ExecutionQuery


@click.group()
def executions() -> None:
    """Inspect and act on executions in the local store."""


def _masker(settings: Settings) -> Masker:
    return Masker(settings.secrets.values())


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def _line(execution: Execution) -> str:
    return (
        f"{execution.id}  {execution.namespace}.{execution.flow_id}  "
        f"{execution.current.value:<9} {iso(execution.state.start_date)}"
    )


@executions.command("list")
@click.option("--namespace", help="Namespace (prefix).")
@click.option("--flow", "flow_id", help="Flow id.")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in State], case_sensitive=False),
)
@click.option("--size", default=25, show_default=True, type=click.IntRange(1, 1000))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
def list_executions(
    namespace: str | None,
    flow_id: str | None,
    states: tuple[str, ...],
    size: int,
    page: int,
    as_json: bool,
) -> None:
    """List executions, newest first."""
    settings = Settings.load()
    query = ExecutionQuery(
        tenant=settings.tenant,
        namespace=namespace,
        flow_id=flow_id,
        states=tuple(State(s.upper()) for s in states),
        size=size,
        page=page,
    )

    async def go() -> tuple[list[Execution], int]:
        async with local_store(settings) as store:
            return await store.search_executions(query)

    found, total = asyncio.run(go())
    if as_json:
        _echo_json({"results": [e.to_json(_masker(settings)) for e in found], "total": total})
        return
    for execution in found:
        click.echo(_line(execution))
    click.echo(f"{len(found)} of {total}", err=True)


async def _get(settings: Settings, execution_id: str) -> Execution:
    async with local_store(settings) as store:
        execution = await store.get_execution(execution_id)
    if execution is None:
        raise NotFoundError(f"execution '{execution_id}' not found")
    return execution


@executions.command("get")
@click.argument("execution_id")
@click.option("--json", "as_json", is_flag=True)
def get_execution(execution_id: str, as_json: bool) -> None:
    """Show one execution and its TaskRuns."""
    settings = Settings.load()
    execution = asyncio.run(_get(settings, execution_id))
    if as_json:
        _echo_json(execution.to_json(_masker(settings)))
        return
    click.echo(_line(execution))
    for tr in execution.task_runs:
        value = f" [{tr.value}]" if tr.value is not None else ""
        click.echo(f"  {tr.task_id}{value}  {tr.current.value}")


@executions.command("logs")
@click.argument("execution_id")
@click.option(
    "--level", type=click.Choice(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]), help="Minimum level."
)
@click.option("--json", "as_json", is_flag=True)
def logs(execution_id: str, level: str | None, as_json: bool) -> None:
    """Print the logs of an execution."""
    settings = Settings.load()

    async def go() -> list[Any]:
        async with local_store(settings) as store:
            if await store.get_execution(execution_id) is None:
                raise NotFoundError(f"execution '{execution_id}' not found")
            return [entry for _, entry in await store.list_logs(execution_id, min_level=level)]

    entries = asyncio.run(go())
    if as_json:
        _echo_json([e.to_json() for e in entries])
        return
    for entry in entries:
        click.echo(entry.line())


@executions.command("recover")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the executions as a JSON array on stdout."
)
def recover(as_json: bool) -> None:
    """Continue every execution a stopped process left unfinished, until each is terminal
    or paused; then print them."""
    settings = Settings.load()

    async def go() -> list[Execution]:
        printer = None if as_json else LogPrinter(only_followed=False)
        async with local_engine(settings, printer=printer) as engine:
            return await engine.settle_all()

    done = asyncio.run(go())
    if as_json:
        _echo_json([e.to_json(_masker(settings)) for e in done])
    else:
        for execution in done:
            click.echo(_line(execution))
        click.echo(f"{len(done)} execution(s) recovered", err=True)


async def _act(
    settings: Settings, execution_id: str, kind: str, payload: dict[str, Any]
) -> Execution:
    printer = LogPrinter(only_followed=True)
    printer.follow(execution_id)
    async with local_engine(settings, printer=printer) as engine:
        await engine.executor.request(execution_id, kind, payload)
        return await engine.wait(execution_id)


@executions.command("resume")
@click.argument("execution_id")
@click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An input of the pause's onResume (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
def resume(execution_id: str, inputs: tuple[str, ...], as_json: bool) -> None:
    """Resume a paused execution, then run it until it ends or pauses again."""
    settings = Settings.load()
    given = parse_pairs(inputs, "--input")

    printer = LogPrinter(only_followed=True)
    printer.follow(execution_id)

    async def go() -> Execution:
        async with local_engine(settings, printer=printer) as engine:
            view = await engine.executor.view(execution_id)
            if view is None:
                raise NotFoundError(f"execution '{execution_id}' not found")
            if view.execution.current is not State.PAUSED:
                raise HeadwayError(
                    f"execution '{execution_id}' is {view.execution.current.value}, not PAUSED"
                )
            paused = [tr for tr in view.execution.task_runs if tr.current is State.PAUSED]
            for tr in paused:
                task = view.task(tr.task_id)
                if isinstance(task, Pause):
                    resolve_inputs(task.on_resume, given)
            await engine.executor.request(execution_id, "resume", {"inputs": given})
            return await engine.wait(execution_id)

    execution = asyncio.run(go())
    if as_json:
        _echo_json(execution.to_json(_masker(settings)))
    click.echo(summary(execution), err=True)
    raise click.exceptions.Exit(exit_code(execution))


@executions.command("kill")
@click.argument("execution_id")
@click.option("--json", "as_json", is_flag=True)
def kill(execution_id: str, as_json: bool) -> None:
    """Kill an execution: stop its running tasks and end it KILLED."""
    settings = Settings.load()
    execution = asyncio.run(_get(settings, execution_id))
    if execution.current.terminal:
        raise HeadwayError(f"execution '{execution_id}' already ended {execution.current.value}")
    execution = asyncio.run(_act(settings, execution_id, "kill", {}))
    if as_json:
        _echo_json(execution.to_json(_masker(settings)))
    click.echo(summary(execution), err=True)
    raise click.exceptions.Exit(EXIT_OK if execution.current is State.KILLED else EXIT_FAILED)
