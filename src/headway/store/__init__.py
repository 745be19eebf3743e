"""Everything durable, behind one interface (:class:`headway.store.base.Store`).

Only this package contains SQL or imports a database driver.
"""

from headway.store.base import (
    Batch,
    Event,
    ExecutionQuery,
    FlowRecord,
    Inbox,
    KVEntry,
    QueuedTaskRun,
    Store,
    Timer,
)
from headway.store.open import open_store

__all__ = [
    "Batch",
    "Event",
    "ExecutionQuery",
    "FlowRecord",
    "Inbox",
    "KVEntry",
    "QueuedTaskRun",
    "Store",
    "Timer",
    "open_store",
]
