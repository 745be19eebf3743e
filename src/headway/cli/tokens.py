"""``headway tokens create|list|revoke``: API tokens in the local store.

A token's secret is printed once, on stdout (its description goes to stderr), so that
``TOKEN=$(headway tokens create --role runner --namespace team.a)`` keeps only the secret.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Any

import click

from headway.api import tokens as api_tokens
from headway.api.audit import AuditLog
from headway.api.roles import ROLES
from headway.cli.local import local_store
from headway.durations import parse_duration
from headway.errors import NotFoundError
from headway.execution import utcnow
from headway.settings import Settings
from headway.store.base import ApiToken


def cli_actor() -> str:
    """Who acts from the command line, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "cli"


@click.group()
def tokens() -> None:
    """API tokens (for `headway server` with HEADWAY_AUTH=tokens), in the local store."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the token may do.")
@click.option(
    "--namespace",
    required=True,
    help="The namespace prefix the role covers (team.a covers team.a.x); '*' for all.",
)
@click.option("--name", default="", help="A name to recognise the token by.")
@click.option("--expires", help="Lifetime, an ISO-8601 duration (P90D, PT12H); none by default.")
@click.option("--json", "as_json", is_flag=True, help="Print the token and its secret as JSON.")
def create(role: str, namespace: str, name: str, expires: str | None, as_json: bool) -> None:
    """Create a token and print its secret (shown this once only)."""
    try:
        expires_in = parse_duration(expires) if expires else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expires") from None
    settings = Settings.load()

    async def go() -> tuple[ApiToken, str]:
        async with local_store(settings) as store:
            now = utcnow()
            token, secret = await api_tokens.issue(
                store,
                tenant=settings.tenant,
                role=role,
                namespace=namespace,
                name=name,
                created_by=cli_actor(),
                now=now,
                expires_in=expires_in,
            )
            await AuditLog(store, settings).write(
                cli_actor(),
                "token.create",
                token.id,
                namespace=token.namespace or None,
                after=api_tokens.token_json(token, now),
            )
            return token, secret

    try:
        token, secret = asyncio.run(go())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if as_json:
        click.echo(json.dumps({**api_tokens.token_json(token, utcnow()), "token": secret}))
        return
    expiry = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
    click.echo(
        f"token {token.id} ({token.name}): {token.role} on {token.namespace or '*'}{expiry}. "
        "Keep the secret below: it is not shown again.",
        err=True,
    )
    click.echo(secret)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_tokens(as_json: bool) -> None:
    """List tokens (never their secrets), revoked and expired ones included."""
    settings = Settings.load()

    async def go() -> list[ApiToken]:
        async with local_store(settings) as store:
            return await store.list_tokens(settings.tenant)

    now = utcnow()
    found = [api_tokens.token_json(t, now) for t in asyncio.run(go())]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for t in found:
        click.echo(_line(t))
    click.echo(f"{len(found)} tokens", err=True)


def _line(t: dict[str, Any]) -> str:
    expires = f"  expires {t['expiresAt']}" if t["expiresAt"] else ""
    return f"{t['id']}  {t['name']:<20} {t['role']:<7} {t['namespace']:<20} {t['status']}{expires}"


@tokens.command("revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token: it is refused from now on."""
    settings = Settings.load()

    async def go() -> ApiToken:
        async with local_store(settings) as store:
            now = utcnow()
            before = next(
                (t for t in await store.list_tokens(settings.tenant) if t.id == token_id), None
            )
            revoked = await store.revoke_token(settings.tenant, token_id, now)
            if before is None or revoked is None:
                raise NotFoundError(f"token '{token_id}' not found")
            await AuditLog(store, settings).write(
                cli_actor(),
                "token.revoke",
                token_id,
                namespace=revoked.namespace or None,
                before=api_tokens.token_json(before, now),
                after=api_tokens.token_json(revoked, now),
            )
            return revoked

    revoked = asyncio.run(go())
    click.echo(f"token {revoked.id} ({revoked.name}) revoked")
