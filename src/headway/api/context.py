"""What every route reaches: the running engine, the settings, live change notifications."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from headway.engine.engine import Engine
from headway.errors import NotFoundError
from headway.execution import Execution
from headway.settings import Settings
from headway.storage import Storage
from headway.store.base import Batch, Store

JSON = dict[str, Any]

# How often a follower looks at the store even without a commit of this process: changes
# made by other processes (distributed mode) reach it within this delay.
POLL_SECONDS = 1.0


class Changes:
    """Wakes followers of an execution when this process commits something of it."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def on_commit(self, batch: Batch) -> None:
        touched = {e.id for e in batch.executions}
        touched.update(tr.execution_id for tr in batch.task_runs)
        touched.update(entry.execution_id for entry in batch.logs)
        for execution_id in touched:
            for event in self._waiters.get(execution_id, ()):
                event.set()

    @contextlib.asynccontextmanager
    async def watch(self, execution_id: str) -> AsyncIterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiters.setdefault(execution_id, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(execution_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[execution_id]


async def next_change(event: asyncio.Event) -> None:
    """Return when ``event`` fires or after :data:`POLL_SECONDS`, and clear it."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), POLL_SECONDS)
    event.clear()


@dataclass
class ServerContext:
    engine: Engine
    settings: Settings
    changes: Changes = field(default_factory=Changes)
    # Filled by the server when those components run in this process.
    components: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.engine.commit_listeners.append(self.changes.on_commit)

    @property
    def store(self) -> Store:
        return self.engine.store

    @property
    def storage(self) -> Storage:
        return self.engine.storage

    @property
    def tenant(self) -> str:
        return self.settings.tenant

    def execution_json(self, execution: Execution) -> JSON:
        """An execution as the API shows it: Kestra's shape, secrets masked."""
        return execution.to_json(self.engine.env.masker_for(execution))

    async def execution(self, execution_id: str) -> Execution:
        found = await self.store.get_execution(execution_id)
        if found is None or found.tenant != self.tenant:
            raise NotFoundError(f"execution '{execution_id}' not found")
        return found


def ctx_of(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


async def get_ctx(request: Request) -> ServerContext:
    """The routes' dependency; async on purpose: FastAPI runs a plain ``def`` dependency on
    a thread, per request."""
    return ctx_of(request)
