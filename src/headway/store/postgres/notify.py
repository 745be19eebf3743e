"""Wake-ups through LISTEN/NOTIFY: a commit that enqueues TaskRuns that no worker holds yet
notifies ``headway_queue``, one that adds events or timers notifies ``headway_inbox``, one
that asks workers to stop TaskRuns (a kill) notifies ``headway_cancel`` with their ids; a
:class:`Listener` hears them on a connection of its own and calls back (see
:mod:`headway.store.notifications`).

A notification carries the id of the store that sent it (its own commits are not reported
back: the engine already knows of them) and, for the queue, when the earliest TaskRun it
enqueued is ready. Notifications are delivered when the transaction commits, never before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

import psycopg

from headway.execution import iso, parse_iso
from headway.store.base import Batch
from headway.store.notifications import CANCEL, INBOX, QUEUE, Notice
from headway.store.postgres import rows
from headway.store.postgres.connection import Database, connect_kwargs

log = logging.getLogger(__name__)

CHANNELS = {QUEUE: "headway_queue", INBOX: "headway_inbox", CANCEL: "headway_cancel"}
# TaskRun ids per cancel notification (a payload holds at most 8000 bytes).
IDS_PER_NOTICE = 200
NOTIFY = "SELECT pg_notify(%s, %s)"
RECONNECT_AFTER_S = (0.1, 0.5, 1.0, 2.0, 5.0)


def params(batch: Batch, origin: str) -> list[tuple[object, ...]]:
    """The notifications a batch sends when it commits."""
    sent: list[tuple[object, ...]] = []
    # Rows leased already (handed to the executor's own worker) are no one else's work.
    free = [q for q in batch.enqueue if q.worker_id is None]
    if free:
        ready_at = min(rows.ts(q.ready_at) for q in free)
        sent.append((CHANNELS[QUEUE], f"{origin} {iso(ready_at)}"))
    if batch.events or batch.timers:
        sent.append((CHANNELS[INBOX], origin))
    cancel = sorted(set(batch.cancel))
    for start in range(0, len(cancel), IDS_PER_NOTICE):
        ids = " ".join(cancel[start : start + IDS_PER_NOTICE])
        sent.append((CHANNELS[CANCEL], f"{origin} {ids}"))
    return sent


def inbox_params(origin: str) -> list[tuple[object, ...]]:
    """The notification of events added outside a batch (leases reaped)."""
    return [(CHANNELS[INBOX], origin)]


def parse(channel: str, payload: str) -> tuple[str, Notice] | None:
    """The sender and the notice of a notification, or None if it is not ours."""
    kinds = {name: kind for kind, name in CHANNELS.items()}
    kind = kinds.get(channel)
    if kind is None:
        return None
    origin, _, rest = payload.partition(" ")
    if kind == CANCEL:
        return origin, Notice(kind, task_run_ids=tuple(rest.split()))
    ready = rest
    ready_at: datetime | None = None
    if ready:
        with contextlib.suppress(ValueError):
            ready_at = parse_iso(ready)
    return origin, Notice(kind, ready_at)


Callback = Callable[[Notice], None]


class Listener:
    """Listens on a connection of its own and calls the callbacks of each channel.

    When the connection is lost it reconnects (backing off) and then calls every callback
    once with a notice without date: notifications sent meanwhile were lost, look again.
    Callbacks run on the event loop and must not raise.
    """

    def __init__(self, database: Database, origin: str) -> None:
        self.database = database
        self.origin = origin
        self.callbacks: dict[str, list[Callback]] = {kind: [] for kind in CHANNELS}
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def add(self, kind: str, callback: Callback) -> Callable[[], None]:
        if kind not in self.callbacks:
            known = ", ".join(sorted(CHANNELS))
            raise ValueError(f"unknown notification channel '{kind}' (expected {known})")
        self.callbacks[kind].append(callback)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="headway-listen")

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self.callbacks[kind].remove(callback)

        return remove

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.database.url, **connect_kwargs())
            except psycopg.Error as exc:
                delay = RECONNECT_AFTER_S[min(failures, len(RECONNECT_AFTER_S) - 1)]
                log.warning(
                    "%s; listening again in %.1fs", self.database.error("LISTEN", exc), delay
                )
                failures += 1
                await asyncio.sleep(delay)
                continue
            try:
                async with conn:
                    for channel in CHANNELS.values():
                        await conn.execute(f"LISTEN {channel}")
                    self.connected.set()
                    if failures:
                        self._fire_all()  # what was sent while we were away is lost
                    failures = 0
                    async for note in conn.notifies():
                        self._dispatch(note.channel, note.payload)
            except psycopg.Error as exc:
                self.connected.clear()
                delay = RECONNECT_AFTER_S[min(failures, len(RECONNECT_AFTER_S) - 1)]
                log.warning(
                    "%s; listening again in %.1fs", self.database.error("LISTEN", exc), delay
                )
                failures += 1
                await asyncio.sleep(delay)

    def _dispatch(self, channel: str, payload: str) -> None:
        parsed = parse(channel, payload)
        if parsed is None or parsed[0] == self.origin:
            return
        notice = parsed[1]
        for callback in list(self.callbacks[notice.channel]):
            callback(notice)

    def _fire_all(self) -> None:
        for kind, callbacks in self.callbacks.items():
            for callback in list(callbacks):
                callback(Notice(kind))
