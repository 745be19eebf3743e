"""An optional capability of a store: being told when other processes commit work.

A store that implements :class:`WorkNotifications` (the PostgreSQL store does, through
LISTEN/NOTIFY; SQLite does not) calls back, on the event loop that registered the callback,
when another process commits:

- ``QUEUE``: TaskRuns enqueued (the notice's ``ready_at``: when the earliest is ready; None
  when unknown) or leases released: a worker claims again;
- ``INBOX``: events or timers added: an executor reads its inbox again;
- ``CANCEL``: a kill asks workers to stop these leased TaskRuns (``task_run_ids``; also
  learnt at the next heartbeat, see :class:`headway.store.base.Renewal`).

A notice may also come without cause (after the store reconnected, when notifications may
have been lost); callbacks must be cheap and must not block (set an ``asyncio.Event``).
Commits of the same store are not reported: the process that made them knows already.
Polling stays the safety net: a notice is a hint that shortens the wait, never the only way
work is found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

QUEUE = "queue"
INBOX = "inbox"
CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Notice:
    channel: str  # QUEUE, INBOX or CANCEL
    ready_at: datetime | None = None
    task_run_ids: tuple[str, ...] = ()


@runtime_checkable
class WorkNotifications(Protocol):
    def on_work(self, channel: str, callback: Callable[[Notice], None]) -> Callable[[], None]:
        """Call ``callback`` on each notice of ``channel`` (QUEUE, INBOX, CANCEL) until the
        returned function is called; must be called from a running event loop."""
        ...
