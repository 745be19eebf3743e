"""Ids of the executors and workers of a process, and taking back what local processes
that died held: their workers' leases (their TaskRuns run again at once) and their
executors' executions (another executor advances them at once).

An id is ``host:pid:random``. What a process of this host that no longer exists held can be
taken back now instead of waiting for it to expire. What other hosts (or live processes)
hold is left to expire.
"""

from __future__ import annotations

import os
import socket

from headway.execution import new_id, utcnow
from headway.store.base import Store


def member_id() -> str:
    """host:pid:random, so that a dead local process's leases can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"


def _dead_here(worker_id: str, host: str) -> bool:
    parts = worker_id.split(":")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def reap_dead_local_leases(store: Store) -> int:
    """Reap the leases and release the ownerships of dead local processes; return how many
    leases were reaped."""
    host = socket.gethostname()
    for owner in await store.owners():
        if _dead_here(owner, host):
            await store.release_ownership(owner)
    dead = [w for w in await store.lease_holders() if _dead_here(w, host)]
    return await store.reap_leases(utcnow(), dead) if dead else 0
