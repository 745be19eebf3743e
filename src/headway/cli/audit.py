"""``headway audit list``: the audit log of the local store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import click

from headway.api.audit import entry_json
from headway.cli.local import local_store
from headway.execution import iso
from headway.settings import Settings
from headway.store.base import AuditEntry, AuditQuery


def _date(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 date: '{text}'", param_hint=option) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@click.group()
def audit() -> None:
    """The audit log: every change, who made it, when, before and after."""


@audit.command("list")
@click.option("--namespace", help="Namespace (prefix).")
@click.option("--actor", help="Who: token:<id>, a user name, anonymous, cli:<user>.")
@click.option("--action", help="An action or its prefix: flow, flow.update, execution.kill...")
@click.option("--from", "from_", help="From this ISO-8601 date (inclusive).")
@click.option("--to", help="Until this ISO-8601 date (exclusive).")
@click.option("--size", default=25, show_default=True, type=click.IntRange(1, 1000))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Entries with before and after, as JSON.")
def list_entries(
    namespace: str | None,
    actor: str | None,
    action: str | None,
    from_: str | None,
    to: str | None,
    size: int,
    page: int,
    as_json: bool,
) -> None:
    """List entries, newest first."""
    settings = Settings.load()
    start_after, start_before = _date(from_, "--from"), _date(to, "--to")
    query = AuditQuery(
        tenant=settings.tenant,
        namespace=namespace,
        actor=actor,
        action=action,
        start_after=start_after,
        start_before=start_before,
        page=page,
        size=size,
    )

    async def go() -> tuple[list[AuditEntry], int]:
        async with local_store(settings) as store:
            return await store.search_audit(query)

    found, total = asyncio.run(go())
    if as_json:
        click.echo(
            json.dumps({"results": [entry_json(e) for e in found], "total": total}, indent=2)
        )
        return
    for e in found:
        click.echo(f"{iso(e.at)}  {e.actor:<20} {e.action:<18} {e.target}")
    click.echo(f"{len(found)} of {total}", err=True)
