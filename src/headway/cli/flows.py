"""``headway flows apply|export|list``: GitOps for flows, on a server or the local store."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from headway.cli.local import local_store
from headway.cli.remote import remote as open_remote
from headway.cli.remote import server_option
from headway.plugins.registry import default_registry
from headway.server import gitops
from headway.server.flows_dir import read_sources
from headway.settings import Settings
from headway.store.base import FlowRecord

ACTION_COLORS = {"create": "green", "update": "yellow", "delete": "red"}


@click.group()
def flows() -> None:
    """Apply, export and list flows."""


@flows.command("apply")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--namespace", help="Only this namespace (and those below it).")
@click.option("--prune", is_flag=True, help="Delete the stored flows (of --namespace) not in DIR.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@server_option
def apply(
    directory: Path, namespace: str | None, prune: bool, dry_run: bool, server: str | None
) -> None:
    """Make the flows stored (on the server, or locally) match the YAML files of DIRECTORY:
    the diff of each change is shown first; an invalid flow applies nothing."""
    settings = Settings.load()
    sources = read_sources(directory)
    if not sources:
        raise click.UsageError(f"no flow files (*.yaml, *.yml) in {directory}")
    client = open_remote(settings, server)
    if client is not None:
        body = {
            "flows": [{"source": s.source, "file": s.file} for s in sources],
            "namespace": namespace,
            "prune": prune,
            "dryRun": dry_run,
        }
        with client:
            result = client.request("POST", "/flows/apply", json=body)
        changes = [_change(c) for c in result["changes"]]
    else:
        changes = asyncio.run(_apply_local(settings, sources, namespace, prune, dry_run))
    _show(changes, dry_run)


def _change(data: dict[str, Any]) -> gitops.FlowChange:
    return gitops.FlowChange(
        data["namespace"], data["id"], data["action"], None, data["diff"], data["revision"]
    )


async def _apply_local(
    settings: Settings,
    sources: list[gitops.FlowSource],
    namespace: str | None,
    prune: bool,
    dry_run: bool,
) -> list[gitops.FlowChange]:
    async with local_store(settings) as store:
        changes = gitops.plan(
            sources,
            await store.list_flows(settings.tenant),
            task_types=default_registry(),
            namespace=namespace,
            prune=prune,
        )
        if not dry_run:
            changes = await gitops.apply(store, settings.tenant, changes)
    return changes


def _show(changes: list[gitops.FlowChange], dry_run: bool) -> None:
    color = sys.stdout.isatty()
    for change in changes:
        if change.action == "unchanged":
            continue
        click.secho(
            f"{change.action:<9} {change.namespace}.{change.id}",
            fg=ACTION_COLORS.get(change.action),
            bold=True,
            color=color,
        )
        for line in change.diff.splitlines():
            fg = "green" if line.startswith("+") else "red" if line.startswith("-") else None
            click.secho(f"  {line}", fg=fg, color=color)
    counts = gitops.summary(changes)
    line = (
        f"{counts['create']} created, {counts['update']} updated, {counts['delete']} deleted, "
        f"{counts['unchanged']} unchanged"
    )
    click.echo(f"dry run: {line} (nothing applied)" if dry_run else line, err=True)


@flows.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--namespace", help="Only this namespace (and those below it).")
@server_option
def export(directory: Path, namespace: str | None, server: str | None) -> None:
    """Write each stored flow's source to DIRECTORY/NAMESPACE/ID.yaml."""
    settings = Settings.load()
    records = _list(settings, server, namespace)
    for namespace_, flow_id, source in records:
        target = directory / namespace_ / f"{flow_id}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    click.echo(f"{len(records)} flow(s) written to {directory}", err=True)


@flows.command("list")
@click.option("--namespace", help="Only this namespace (and those below it).")
@server_option
def list_flows(namespace: str | None, server: str | None) -> None:
    """List the stored flows."""
    for namespace_, flow_id, _ in _list(Settings.load(), server, namespace):
        click.echo(f"{namespace_}.{flow_id}")


def _list(
    settings: Settings, server: str | None, namespace: str | None
) -> list[tuple[str, str, str]]:
    client = open_remote(settings, server)
    if client is not None:
        out: list[tuple[str, str, str]] = []
        with client:
            page = 1
            while True:
                params = {
                    "page": page,
                    "size": 1000,
                    **({"namespace": namespace} if namespace else {}),
                }
                found = client.request("GET", "/flows/search", params=params)
                out.extend((f["namespace"], f["id"], f["source"]) for f in found["results"])
                if len(out) >= found["total"] or not found["results"]:
                    return out
                page += 1

    async def local() -> list[FlowRecord]:
        async with local_store(settings) as store:
            return await store.list_flows(settings.tenant)

    return [
        (r.namespace, r.id, r.source)
        for r in asyncio.run(local())
        if gitops.in_namespace(r.namespace, namespace)
    ]
