"""``headway workers``: the registered workers, from a server or the local store."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from headway.cli.local import local_store
from headway.cli.remote import remote
from headway.execution import parse_iso, utcnow
from headway.settings import Settings


@click.command()
@click.option("--server", help="A Headway server's URL (setting server); else the local store.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def workers(server: str | None, as_json: bool) -> None:
    """The workers registered in the store: every `headway worker`, and every server that
    runs a worker, with its group, slots and last heartbeat."""
    settings = Settings.load()
    client = remote(settings, server)
    if client is not None:
        with client:
            found: list[dict[str, Any]] = client.request("GET", "/workers")["results"]
    else:
        found = asyncio.run(_local(settings))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("no worker registered", err=True)
        return
    now = utcnow()
    for worker in found:
        beat = worker["heartbeat"]
        ago = f"{(now - parse_iso(beat)).total_seconds():.0f}s ago" if beat else "never"
        state = "alive" if worker["alive"] else "silent"
        group = worker["group"] or "-"
        click.echo(
            f"{worker['id']}  {state:6}  group {group}  {worker['slots']} slot(s)  heartbeat {ago}"
        )


async def _local(settings: Settings) -> list[dict[str, Any]]:
    async with local_store(settings) as store:
        now = utcnow()
        return [w.to_json(now, settings.lease_seconds) for w in await store.workers()]
