"""``headway executions ...`` against the local store."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from headway.cli.errors import EXIT_FAILED, EXIT_OK
from headway.cli.local import LogPrinter, local_engine, local_store
from headway.cli.remote import Remote, server_option
from headway.cli.remote import remote as open_remote
from headway.cli.run import exit_code, parse_pairs, summary
from headway.engine import rerun
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
    """Inspect and act on executions: in the local store, or on a server (``--server``)."""


def _masker(settings: Settings) -> Masker:
    return Masker(settings.secrets.values())


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def _line(execution: Execution) -> str:
    return (
        f"{execution.id}  {execution.namespace}.{execution.flow_id}  "
        f"{execution.current.value:<9} {iso(execution.state.start_date)}"
    )


def _remote_line(data: dict[str, Any]) -> str:
    state = data["state"]
    return (
        f"{data['id']}  {data['namespace']}.{data['flowId']}  "
        f"{state['current']:<9} {state['startDate']}"
    )


def _remote_exit(data: dict[str, Any]) -> int:
    ok = (State.SUCCESS.value, State.WARNING.value, State.PAUSED.value)
    return EXIT_OK if data["state"]["current"] in ok else EXIT_FAILED


def _follow_remote(client: Remote, execution_id: str) -> dict[str, Any]:
    """Print the execution's logs as they come, then return it as it ended."""
    for kind, data in client.events(f"/logs/{execution_id}/follow"):
        if kind == "log":
            click.echo(
                f"{data['timestamp'][11:23]} {data['level']:<5} "
                + (f"[{data['taskId']}] " if data.get("taskId") else "")
                + data["message"],
                err=True,
            )
    final: dict[str, Any] = client.request("GET", f"/executions/{execution_id}")
    return final


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
@server_option
def list_executions(
    namespace: str | None,
    flow_id: str | None,
    states: tuple[str, ...],
    size: int,
    page: int,
    as_json: bool,
    server: str | None,
) -> None:
    """List executions, newest first."""
    settings = Settings.load()
    client = open_remote(settings, server)
    if client is not None:
        params: dict[str, Any] = {"size": size, "page": page, "state": [s.upper() for s in states]}
        if namespace:
            params["namespace"] = namespace
        if flow_id:
            params["flowId"] = flow_id
        with client:
            result = client.request("GET", "/executions/search", params=params)
        if as_json:
            _echo_json(result)
            return
        for data in result["results"]:
            click.echo(_remote_line(data))
        click.echo(f"{len(result['results'])} of {result['total']}", err=True)
        return
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
@server_option
def get_execution(execution_id: str, as_json: bool, server: str | None) -> None:
    """Show one execution and its TaskRuns."""
    settings = Settings.load()
    client = open_remote(settings, server)
    if client is not None:
        with client:
            data = client.request("GET", f"/executions/{execution_id}")
        if as_json:
            _echo_json(data)
            return
        click.echo(_remote_line(data))
        for tr in data["taskRunList"]:
            value = f" [{tr['value']}]" if tr.get("value") is not None else ""
            click.echo(f"  {tr['taskId']}{value}  {tr['state']['current']}")
        return
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
@server_option
def logs(execution_id: str, level: str | None, as_json: bool, server: str | None) -> None:
    """Print the logs of an execution."""
    settings = Settings.load()
    client = open_remote(settings, server)
    if client is not None:
        params = {"minLevel": level} if level else {}
        with client:
            if as_json:
                _echo_json(client.request("GET", f"/logs/{execution_id}", params=params))
            else:
                text = client.request("GET", f"/logs/{execution_id}/download", params=params)
                click.echo(text, nl=False)
        return

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
@server_option
def resume(execution_id: str, inputs: tuple[str, ...], as_json: bool, server: str | None) -> None:
    """Resume a paused execution, then follow it until it ends or pauses again."""
    settings = Settings.load()
    given = parse_pairs(inputs, "--input")
    client = open_remote(settings, server)
    if client is not None:
        with client:
            client.request("POST", f"/executions/{execution_id}/resume", json=given)
            _remote_done(client, execution_id, as_json)

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
@server_option
def kill(execution_id: str, as_json: bool, server: str | None) -> None:
    """Kill an execution: stop its running tasks and end it KILLED."""
    settings = Settings.load()
    client = open_remote(settings, server)
    if client is not None:
        with client:
            client.request("DELETE", f"/executions/{execution_id}/kill")
            final = _follow_remote(client, execution_id)
        if as_json:
            _echo_json(final)
        click.echo(f"execution {execution_id} {final['state']['current']}", err=True)
        ended = final["state"]["current"] == State.KILLED.value
        raise click.exceptions.Exit(EXIT_OK if ended else EXIT_FAILED)
    execution = asyncio.run(_get(settings, execution_id))
    if execution.current.terminal:
        raise HeadwayError(f"execution '{execution_id}' already ended {execution.current.value}")
    execution = asyncio.run(_act(settings, execution_id, "kill", {}))
    if as_json:
        _echo_json(execution.to_json(_masker(settings)))
    click.echo(summary(execution), err=True)
    raise click.exceptions.Exit(EXIT_OK if execution.current is State.KILLED else EXIT_FAILED)


def _remote_done(client: Remote, execution_id: str, as_json: bool) -> None:
    """Follow an execution on the server to its end (or pause), print it, exit with its
    state's code."""
    final = _follow_remote(client, execution_id)
    if as_json:
        _echo_json(final)
    click.echo(f"execution {final['id']} {final['state']['current']}", err=True)
    raise click.exceptions.Exit(_remote_exit(final))


def _local_rerun(execution_id: str, as_json: bool, act: str, task_run_id: str | None) -> None:
    settings = Settings.load()
    printer = LogPrinter(only_followed=True)

    async def go() -> Execution:
        async with local_engine(settings, printer=printer) as engine:
            if act == "replay":
                view = await engine.executor.view(execution_id)
                if view is None:
                    raise NotFoundError(f"execution '{execution_id}' not found")
                first = view.execution.task_runs[0].id if view.execution.task_runs else ""
                new = await engine.executor.replay(execution_id, task_run_id or first)
                printer.follow(new.id)
                return await engine.wait(new.id)
            execution = await engine.store.get_execution(execution_id)
            if execution is None:
                raise NotFoundError(f"execution '{execution_id}' not found")
            rerun.check_restartable(execution)
            printer.follow(execution_id)
            await engine.executor.request(execution_id, "restart", {})
            return await engine.wait(execution_id)

    execution = asyncio.run(go())
    if as_json:
        _echo_json(execution.to_json(_masker(settings)))
    click.echo(summary(execution), err=True)
    raise click.exceptions.Exit(exit_code(execution))


@executions.command("restart")
@click.argument("execution_id")
@click.option("--json", "as_json", is_flag=True)
@server_option
def restart(execution_id: str, as_json: bool, server: str | None) -> None:
    """Run a FAILED or KILLED execution again from its failed tasks, and follow it."""
    client = open_remote(Settings.load(), server)
    if client is None:
        _local_rerun(execution_id, as_json, "restart", None)
        return
    with client:
        client.request("POST", f"/executions/{execution_id}/restart")
        _remote_done(client, execution_id, as_json)


@executions.command("replay")
@click.argument("execution_id")
@click.option("--task-run", "task_run_id", help="Run again from this TaskRun (default: all).")
@click.option("--json", "as_json", is_flag=True)
@server_option
def replay(execution_id: str, task_run_id: str | None, as_json: bool, server: str | None) -> None:
    """Start a new execution from an ended one, keeping what ran before --task-run."""
    client = open_remote(Settings.load(), server)
    if client is None:
        _local_rerun(execution_id, as_json, "replay", task_run_id)
        return
    params = {"taskRunId": task_run_id} if task_run_id else {}
    with client:
        new = client.request("POST", f"/executions/{execution_id}/replay", params=params)
        click.echo(f"replay of {execution_id}: execution {new['id']}", err=True)
        _remote_done(client, new["id"], as_json)


@executions.command("follow")
@click.argument("execution_id")
@click.option("--json", "as_json", is_flag=True)
@server_option
def follow(execution_id: str, as_json: bool, server: str | None) -> None:
    """Print an execution's logs on a server as they come, until it ends."""
    client = open_remote(Settings.load(), server)
    if client is None:
        raise click.UsageError("follow needs a server: --server URL or HEADWAY_SERVER")
    with client:
        _remote_done(client, execution_id, as_json)
