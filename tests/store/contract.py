"""The contract every :class:`headway.store.base.Store` implementation passes.

A test module subclasses :class:`StoreContract` (its name does not start with ``Test``, so it
is collected only through subclasses) and provides two fixtures:

- ``store``: an opened, empty store;
- ``other_store``: a second opened store on the same database (another process's connection),
  or ``pytest.skip`` when the database cannot be shared.

The tests use nothing but the Store interface, so that every implementation runs them
unchanged.
"""

from __future__ import annotations

from .contract_auth import AuthContract
from .contract_distributed import (
    FenceContract,
    OwnershipContract,
    ReapContract,
    WorkersContract,
)
from .contract_executions import BatchContract, ExecutionsContract
from .contract_flows import FlowsContract, KVContract, LogsContract
from .contract_queue import InboxContract, QueueContract
from .contract_triggers import TriggersContract

__all__ = ["StoreContract"]


class StoreContract(
    FlowsContract,
    ExecutionsContract,
    BatchContract,
    InboxContract,
    QueueContract,
    OwnershipContract,
    FenceContract,
    ReapContract,
    WorkersContract,
    LogsContract,
    KVContract,
    TriggersContract,
    AuthContract,
):
    """Every test of the store contract (see the module docstring for the fixtures)."""
