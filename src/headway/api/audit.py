"""The audit log: every change made through the API (and by ``headway tokens``), with who
made it, when, and the state before and after.

Routes that know what they change call :func:`record` with before and after (flows: their
source; KV: their value; tokens). Every other change the API accepts (executions actions,
and routes that do not record themselves) gets an entry from the authorisation layer
(:mod:`headway.api.auth`) once the route has answered without error. Configured secrets are
masked in what is written, and so is the whole value of a KV key whose name says it holds
one (``password``, ``token``, ``secret``...). An entry is written after the change it
describes is committed, not in its transaction: a crash in between loses the entry.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from headway.api.context import ctx_of
from headway.api.roles import ANONYMOUS, Principal
from headway.execution import iso, utcnow
from headway.masking import MASK, Masker
from headway.settings import Settings
from headway.store.base import AuditEntry, Store

_SECRET_NAME = re.compile(r"secret|passw|token|api[-_]?key|credential|private", re.IGNORECASE)


class AuditLog:
    """Writes entries of one tenant, with the configured secrets masked."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.tenant = settings.tenant
        self.masker = Masker(settings.secrets.values())

    async def write(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        namespace: str | None,
        before: Any = None,
        after: Any = None,
    ) -> int:
        entry = AuditEntry(
            tenant=self.tenant,
            at=utcnow(),
            actor=actor,
            action=action,
            target=target,
            namespace=namespace,
            before=self.masker.value(before),
            after=self.masker.value(after),
        )
        return await self.store.append_audit(entry)


def kv_value(key: str, value: Any) -> Any:
    """A KV value as the audit log keeps it: masked whole if its key names a secret."""
    return MASK if value is not None and _SECRET_NAME.search(key) else value


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else ANONYMOUS


async def record(
    request: Request,
    action: str,
    target: str,
    *,
    namespace: str | None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Write an entry for this request's caller; the authorisation layer then writes no
    generic entry for the request."""
    ctx = ctx_of(request)
    await AuditLog(ctx.store, ctx.settings).write(
        principal_of(request).name,
        action,
        target,
        namespace=namespace,
        before=before,
        after=after,
    )
    request.state.audited = True


def nothing_changed(request: Request) -> None:
    """Say that this request changed nothing (a dry run): no generic entry is written."""
    request.state.audited = True


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "date": iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "namespace": entry.namespace,
        "before": entry.before,
        "after": entry.after,
    }
