"""The SQLite store: the embedded default (one file, WAL mode, zero setup).

Every method runs its queries on the store's own thread (see :mod:`.thread`); the queries
themselves live in one module per concern (flows, executions, batch, queue, logs, kv).
"""

from __future__ import annotations

from datetime import datetime

from headway.execution import Execution, LogEntry
from headway.state import State
from headway.store.base import (
    ApiToken,
    AuditEntry,
    AuditQuery,
    Batch,
    Event,
    ExecutionChanges,
    ExecutionQuery,
    FlowRecord,
    Inbox,
    KVEntry,
    LogQuery,
    Ownership,
    QueuedTaskRun,
    QueueStats,
    Renewal,
    Store,
    TriggerState,
    WorkerInfo,
)
from headway.store.sqlite import (
    auth,
    batch,
    executions,
    flows,
    kv,
    logs,
    migrations,
    owners,
    queue,
    triggers,
)
from headway.store.sqlite.thread import ConnectionThread


class SQLiteStore(Store):
    """A store in the SQLite database at ``path`` (a file, created with its parent
    directories if needed, or ``:memory:``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread = ConnectionThread(path)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # --- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        await self._thread.open(migrations.migrate)

    async def close(self) -> None:
        await self._thread.close()

    # --- flows -----------------------------------------------------------------------------
    async def save_flow(self, tenant: str, namespace: str, flow_id: str, source: str) -> FlowRecord:
        return await self._thread.run(flows.save_flow, tenant, namespace, flow_id, source)

    async def get_flow(
        self, tenant: str, namespace: str, flow_id: str, revision: int | None = None
    ) -> FlowRecord | None:
        return await self._thread.run(flows.get_flow, tenant, namespace, flow_id, revision)

    async def list_flows(self, tenant: str, namespace: str | None = None) -> list[FlowRecord]:
        return await self._thread.run(flows.list_flows, tenant, namespace)

    async def flow_revisions(self, tenant: str, namespace: str, flow_id: str) -> list[FlowRecord]:
        return await self._thread.run(flows.flow_revisions, tenant, namespace, flow_id)

    async def delete_flow(self, tenant: str, namespace: str, flow_id: str) -> bool:
        return await self._thread.run(flows.delete_flow, tenant, namespace, flow_id)

    # --- executions ------------------------------------------------------------------------
    async def get_execution(self, execution_id: str) -> Execution | None:
        return await self._thread.run(executions.get_execution, execution_id)

    async def execution_changes(self, known: dict[str, int]) -> dict[str, ExecutionChanges]:
        return await self._thread.run(executions.execution_changes, known)

    async def search_executions(self, query: ExecutionQuery) -> tuple[list[Execution], int]:
        return await self._thread.run(executions.search_executions, query)

    async def non_terminal_execution_ids(self) -> list[str]:
        return await self._thread.run(executions.non_terminal_execution_ids)

    async def count_executions(
        self, tenant: str, namespace: str, flow_id: str, states: tuple[State, ...]
    ) -> int:
        return await self._thread.run(
            executions.count_executions, tenant, namespace, flow_id, states
        )

    async def oldest_execution_in_state(
        self, tenant: str, namespace: str, flow_id: str, state: State
    ) -> str | None:
        return await self._thread.run(
            executions.oldest_execution_in_state, tenant, namespace, flow_id, state
        )

    async def delete_execution(self, execution_id: str) -> bool:
        return await self._thread.run(executions.delete_execution, execution_id)

    # --- writes ----------------------------------------------------------------------------
    async def commit(self, batch_: Batch) -> None:
        if batch_:
            await self._thread.run(batch.commit, batch_)

    # --- executor inbox --------------------------------------------------------------------
    async def pending_events(
        self, limit: int = 1000, *, execution_id: str | None = None
    ) -> list[Event]:
        return await self._thread.run(queue.pending_events, limit, execution_id)

    async def inbox(
        self, now: datetime, limit: int = 1000, *, ownership: Ownership | None = None
    ) -> Inbox:
        return await self._thread.run(queue.inbox, now, limit, ownership)

    async def renew_ownership(self, owner: str, until: datetime) -> set[str]:
        return await self._thread.run(owners.renew, owner, until)

    async def release_ownership(self, owner: str) -> int:
        return await self._thread.run(owners.release, owner)

    async def owners(self) -> list[str]:
        return await self._thread.run(owners.holders)

    # --- worker queue ----------------------------------------------------------------------
    async def claim(
        self,
        worker_id: str,
        limit: int,
        now: datetime,
        lease_until: datetime,
        worker_group: str | None = None,
    ) -> list[QueuedTaskRun]:
        return await self._thread.run(queue.claim, worker_id, limit, now, lease_until, worker_group)

    async def heartbeat(
        self, worker: WorkerInfo, running: list[str], now: datetime, until: datetime
    ) -> Renewal:
        return await self._thread.run(queue.heartbeat, worker, running, now, until)

    async def remove_worker(self, worker_id: str) -> None:
        await self._thread.run(queue.remove_worker, worker_id)

    async def prune_workers(self, silent_since: datetime) -> list[str]:
        return await self._thread.run(queue.prune_workers, silent_since)

    async def workers(self) -> list[WorkerInfo]:
        return await self._thread.run(queue.workers)

    async def reap_leases(self, now: datetime, worker_ids: list[str] | None = None) -> int:
        return await self._thread.run(queue.reap_leases, now, worker_ids)

    async def next_ready_at(self) -> datetime | None:
        return await self._thread.run(queue.next_ready_at)

    async def lease_holders(self) -> list[str]:
        return await self._thread.run(queue.lease_holders)

    async def queue_stats(self, now: datetime) -> QueueStats:
        return await self._thread.run(queue.queue_stats, now)

    # --- logs ------------------------------------------------------------------------------
    async def append_logs(self, entries: list[LogEntry]) -> None:
        if entries:
            await self._thread.run(logs.append_logs, entries)

    async def list_logs(
        self,
        execution_id: str,
        *,
        task_run_id: str | None = None,
        min_level: str | None = None,
        after_id: int = 0,
    ) -> list[tuple[int, LogEntry]]:
        return await self._thread.run(
            logs.list_logs, execution_id, task_run_id, min_level, after_id
        )

    async def search_logs(self, query: LogQuery) -> tuple[list[LogEntry], int]:
        return await self._thread.run(logs.search_logs, query)

    # --- key-value -------------------------------------------------------------------------
    async def kv_get(self, tenant: str, namespace: str, key: str, now: datetime) -> KVEntry | None:
        return await self._thread.run(kv.kv_get, tenant, namespace, key, now)

    async def kv_put(self, entry: KVEntry, *, overwrite: bool = True) -> bool:
        return await self._thread.run(kv.kv_put, entry, overwrite)

    async def kv_delete(self, tenant: str, namespace: str, key: str) -> bool:
        return await self._thread.run(kv.kv_delete, tenant, namespace, key)

    async def kv_list(self, tenant: str, namespace: str, now: datetime) -> list[KVEntry]:
        return await self._thread.run(kv.kv_list, tenant, namespace, now)

    # --- triggers ----------------------------------------------------------------------------
    async def get_trigger(
        self, tenant: str, namespace: str, flow_id: str, trigger_id: str
    ) -> TriggerState | None:
        return await self._thread.run(triggers.get_trigger, tenant, namespace, flow_id, trigger_id)

    async def list_triggers(
        self, tenant: str, namespace: str | None = None, flow_id: str | None = None
    ) -> list[TriggerState]:
        return await self._thread.run(triggers.list_triggers, tenant, namespace, flow_id)

    async def save_triggers(self, states: list[TriggerState]) -> None:
        if states:
            await self._thread.run(triggers.save_triggers, states)

    async def delete_triggers(
        self, tenant: str, namespace: str, flow_id: str, keep: list[str] | None = None
    ) -> int:
        return await self._thread.run(triggers.delete_triggers, tenant, namespace, flow_id, keep)

    async def commit_triggered(
        self, batch_: Batch, states: list[TriggerState], ended_done: list[str]
    ) -> None:
        await self._thread.run(triggers.commit_triggered, batch_, states, ended_done)

    async def record_ended(self, tenant: str, execution_ids: list[str]) -> None:
        if execution_ids:
            await self._thread.run(triggers.record_ended, tenant, execution_ids)

    async def ended_executions(self, limit: int = 100) -> list[str]:
        return await self._thread.run(triggers.ended_executions, limit)

    async def acquire_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        return await self._thread.run(triggers.acquire_lease, name, holder, now, until)

    # --- access control ----------------------------------------------------------------------
    async def create_token(self, token: ApiToken, secret_hash: str) -> None:
        await self._thread.run(auth.create_token, token, secret_hash)

    async def token_by_hash(self, tenant: str, secret_hash: str) -> ApiToken | None:
        return await self._thread.run(auth.token_by_hash, tenant, secret_hash)

    async def list_tokens(self, tenant: str) -> list[ApiToken]:
        return await self._thread.run(auth.list_tokens, tenant)

    async def revoke_token(self, tenant: str, token_id: str, now: datetime) -> ApiToken | None:
        return await self._thread.run(auth.revoke_token, tenant, token_id, now)

    async def append_audit(self, entry: AuditEntry) -> int:
        return await self._thread.run(auth.append_audit, entry)

    async def search_audit(self, query: AuditQuery) -> tuple[list[AuditEntry], int]:
        return await self._thread.run(auth.search_audit, query)
