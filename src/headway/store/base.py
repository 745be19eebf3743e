"""The store interface: every query the engine needs is a named method.

Writes that belong together go through :meth:`Store.commit` with a :class:`Batch`, applied in
one transaction: that is how a state change is written with the event that caused it.

Who writes what:
- the executor owns executions and TaskRuns (it is the only writer of their rows); it reads
  its inbox of :class:`Event` (task results, resumes, kills, new executions) and acknowledges
  the events in the same batch that applies them;
- workers claim :class:`QueuedTaskRun` rows with a lease, and report by adding events;
- logs are appended by anyone.

Several processes may share one store (PostgreSQL): an executor advances only the executions
it owns (:meth:`Store.inbox` with an :class:`Ownership` takes them), a worker reports only for
the rows it still leases, and a :class:`Fence` makes the store check both in the batch's own
transaction, so a writer that lost them (its lease ran out while it was cut off) writes
nothing (:class:`Fenced`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headway.errors import StoreError
from headway.execution import Execution, LogEntry, TaskRun, iso
from headway.state import State

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """A stored revision of a flow's source."""

    tenant: str
    namespace: str
    id: str
    revision: int
    source: str
    deleted: bool = False
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Something the executor must apply to an execution.

    kinds: ``created`` (evaluate a new execution), ``started`` / ``result`` (a worker began or
    finished an attempt; payload: taskRunId, attempt, state, outputs, message), ``lost`` (the
    lease of a worker on an attempt ended before its result: payload taskRunId, attempt,
    workerId), ``resume`` (payload: taskRunId or none, inputs), ``kill``, ``wake`` (evaluate
    again), ``restart``.
    """

    seq: int
    execution_id: str
    kind: str
    payload: JSON = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewEvent:
    execution_id: str
    kind: str
    payload: JSON = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueuedTaskRun:
    """A TaskRun ready to run (or to retry at ``ready_at``), possibly leased by a worker."""

    task_run_id: str
    execution_id: str
    attempt: int
    ready_at: datetime
    worker_id: str | None = None
    lease_until: datetime | None = None
    worker_group: str | None = None


@dataclass(frozen=True, slots=True)
class Timer:
    """Evaluate an execution again at ``due_at`` (a pause's delay, a WaitFor's next check)."""

    execution_id: str
    due_at: datetime
    task_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Inbox:
    """What the executor has to do: events, due timers, and when the next timer falls due;
    read with an :class:`Ownership`, only those of the executions it owns, and ``owned``: the
    token of each (a new token: the execution changed hands since, drop any cached copy)."""

    events: list[Event]
    timers: list[Timer]
    next_timer_at: datetime | None
    owned: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ownership:
    """An executor reading its inbox: it takes (until ``until``) the executions that have
    events or due timers, and those of ``also``, unless another executor's ownership of
    them has not expired."""

    owner: str
    until: datetime
    also: tuple[str, ...] = ()


@dataclass(slots=True)
class Fence:
    """What the writer of a batch must still hold for the batch to apply, checked (and
    locked) in its transaction before any write: the executions ``executor`` owns, the
    queue rows leased to workers, as (task_run_id, worker_id), and a named lease, as (name,
    holder) (the scheduler's leadership). ``release``: executions the executor gives up
    (they ended)."""

    executor: str | None = None
    executions: list[str] = field(default_factory=list)
    leases: list[tuple[str, str]] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    named_lease: tuple[str, str] | None = None


class Fenced(StoreError):
    """A batch was refused: its writer no longer owns an execution or leases a row it named
    in its :class:`Fence` (another process took over). Nothing of the batch was written."""


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A worker process, as it registers itself and renews its registration."""

    id: str
    group: str | None
    slots: int
    host: str
    started: datetime
    heartbeat: datetime | None = None

    def alive(self, now: datetime, lease_seconds: float) -> bool:
        """Whether its last heartbeat is within a lease of ``now``."""
        return self.heartbeat is not None and (now - self.heartbeat).total_seconds() < lease_seconds

    def to_json(self, now: datetime, lease_seconds: float) -> JSON:
        return {
            "id": self.id,
            "group": self.group,
            "slots": self.slots,
            "host": self.host,
            "started": iso(self.started),
            "heartbeat": None if self.heartbeat is None else iso(self.heartbeat),
            "alive": self.alive(now, lease_seconds),
        }


@dataclass(frozen=True, slots=True)
class Renewal:
    """What a worker's heartbeat learns: the TaskRuns it still leases, and those of them a
    kill asked to stop."""

    held: frozenset[str]
    cancelled: frozenset[str]


@dataclass(frozen=True, slots=True)
class KVEntry:
    tenant: str
    namespace: str
    key: str
    value: Any
    expires_at: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExecutionChanges:
    """An execution as stored, with only the TaskRuns written after a revision its reader
    knew (see :meth:`Store.execution_changes`)."""

    # Its TaskRuns: those written after the known revision (or more), in creation order.
    execution: Execution
    # The revision to know next time (the latest of its TaskRun writes that were read).
    revision: int
    # How many TaskRuns it has in all: fewer than the reader's plus the new ones means some
    # were deleted (a restart drops runs), and it must read the execution whole.
    task_run_count: int


@dataclass(slots=True)
class Batch:
    """Writes applied together in one transaction, in this order, except that ``dequeue``
    comes before ``enqueue`` and ``clear_timers`` before ``timers``: one batch can dequeue a
    finished attempt and enqueue the retry of the same TaskRun, or replace an execution's
    timers."""

    executions: list[Execution] = field(default_factory=list)  # upsert the execution row
    task_runs: list[TaskRun] = field(default_factory=list)  # upsert TaskRun rows
    # TaskRun ids to delete (a restart drops the runs of errors and finally branches);
    # applied before the upserts.
    delete_task_runs: list[str] = field(default_factory=list)
    enqueue: list[QueuedTaskRun] = field(default_factory=list)  # upsert by task_run_id
    dequeue: list[str] = field(default_factory=list)  # task_run ids
    events: list[NewEvent] = field(default_factory=list)
    ack_events: list[int] = field(default_factory=list)  # seqs to delete
    timers: list[Timer] = field(default_factory=list)
    clear_timers: list[str] = field(default_factory=list)  # execution ids: drop all their timers
    logs: list[LogEntry] = field(default_factory=list)
    # Leased TaskRuns whose workers must stop them (a kill): flagged in the queue.
    cancel: list[str] = field(default_factory=list)
    fence: Fence | None = None

    @classmethod
    def combine(cls, batches: list[Batch]) -> Batch:
        """The writes of several batches in one (group commit): each list concatenated in
        the batches' order, their fences joined (one writer: the same executor, or only
        workers' leases). Batches of different executions only: the order the store
        applies (removals before additions) then holds for each of them."""
        out = cls()
        fences = [b.fence for b in batches if b.fence is not None]
        for batch in batches:
            out.executions.extend(batch.executions)
            out.task_runs.extend(batch.task_runs)
            out.delete_task_runs.extend(batch.delete_task_runs)
            out.enqueue.extend(batch.enqueue)
            out.dequeue.extend(batch.dequeue)
            out.events.extend(batch.events)
            out.ack_events.extend(batch.ack_events)
            out.timers.extend(batch.timers)
            out.clear_timers.extend(batch.clear_timers)
            out.logs.extend(batch.logs)
            out.cancel.extend(batch.cancel)
        if fences:
            executors = {f.executor for f in fences if f.executor is not None}
            assert len(executors) <= 1, "batches of one writer only"
            assert all(f.named_lease is None for f in fences), "named leases are not joined"
            out.fence = Fence(
                executors.pop() if executors else None,
                [e for f in fences for e in f.executions],
                [held for f in fences for held in f.leases],
                [e for f in fences for e in f.release],
            )
        return out

    def __bool__(self) -> bool:
        return any(
            (
                self.cancel,
                self.fence is not None and self.fence.release,
                self.executions,
                self.task_runs,
                self.delete_task_runs,
                self.enqueue,
                self.dequeue,
                self.events,
                self.ack_events,
                self.timers,
                self.clear_timers,
                self.logs,
            )
        )


@dataclass(slots=True)
class Backfill:
    """A backfill of a Schedule: executions for each date from ``start`` to ``end``
    (``current_date``: the next one to create)."""

    start: datetime
    current_date: datetime
    end: datetime | None = None
    inputs: JSON = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    paused: bool = False


@dataclass(slots=True)
class TriggerState:
    """The state of one trigger of one flow: when it fires next, when it last fired, the
    execution it started that is still running (a schedule does not overlap it), an
    evaluation lock (a poll in progress), a backfill, and ``data`` (windows of
    preconditions, the flow revision it was computed from)."""

    tenant: str
    namespace: str
    flow_id: str
    trigger_id: str
    next_date: datetime | None = None
    last_date: datetime | None = None
    disabled: bool = False
    execution_id: str | None = None
    locked_until: datetime | None = None
    backfill: Backfill | None = None
    data: JSON = field(default_factory=dict)
    updated: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.tenant, self.namespace, self.flow_id, self.trigger_id)


@dataclass(frozen=True, slots=True)
class ExecutionQuery:
    tenant: str = "main"
    namespace: str | None = None  # a prefix: 'platform' matches 'platform.ops'
    flow_id: str | None = None
    states: tuple[State, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    start_after: datetime | None = None
    start_before: datetime | None = None
    page: int = 1
    size: int = 25
    # Newest first unless False.
    descending: bool = True


# --- access control records ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as stored: never the token itself, whose SHA-256 is kept beside it.

    ``role`` is one of viewer, runner, editor, admin; ``namespace`` the prefix it covers
    ('' for every namespace)."""

    tenant: str
    id: str
    name: str
    role: str
    namespace: str
    created: datetime
    created_by: str = ""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: who (``actor``), what (``action``, e.g. ``flow.update``, on ``target``),
    when (``at``), in which namespace (None: not of one namespace), before and after."""

    tenant: str
    at: datetime
    actor: str
    action: str
    target: str
    namespace: str | None = None
    before: Any = None
    after: Any = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class AuditQuery:
    tenant: str = "main"
    namespace: str | None = None  # a prefix: 'platform' matches 'platform.ops'
    actor: str | None = None
    action: str | None = None  # 'flow' matches 'flow.update'
    start_after: datetime | None = None  # inclusive
    start_before: datetime | None = None  # exclusive
    page: int = 1
    size: int = 25


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Logs across executions, newest first."""

    tenant: str = "main"
    namespace: str | None = None  # a prefix: 'platform' matches 'platform.ops'
    flow_id: str | None = None
    execution_id: str | None = None
    min_level: str | None = None
    text: str | None = None  # in the message, ignoring case
    after: datetime | None = None
    before: datetime | None = None
    page: int = 1
    size: int = 100


@dataclass(frozen=True, slots=True)
class QueueStats:
    """The worker queue now: rows ready to claim, waiting for a later retry, leased."""

    ready: int
    waiting: int
    leased: int
    oldest_ready_at: datetime | None


class Store(ABC):
    """Durable state of Headway. Implementations: SQLite (embedded), PostgreSQL."""

    # --- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    @abstractmethod
    async def close(self) -> None: ...

    # --- flows -----------------------------------------------------------------------------
    @abstractmethod
    async def save_flow(self, tenant: str, namespace: str, flow_id: str, source: str) -> FlowRecord:
        """Store a new revision if ``source`` differs from the latest one; return the latest."""

    @abstractmethod
    async def get_flow(
        self, tenant: str, namespace: str, flow_id: str, revision: int | None = None
    ) -> FlowRecord | None:
        """The latest (or a given) revision; a deleted flow's latest is returned with
        ``deleted=True`` only when a revision is asked for."""

    @abstractmethod
    async def list_flows(self, tenant: str, namespace: str | None = None) -> list[FlowRecord]:
        """Latest revision of each non-deleted flow, by namespace then id."""

    @abstractmethod
    async def flow_revisions(
        self, tenant: str, namespace: str, flow_id: str
    ) -> list[FlowRecord]: ...

    @abstractmethod
    async def delete_flow(self, tenant: str, namespace: str, flow_id: str) -> bool: ...

    # --- executions ------------------------------------------------------------------------
    @abstractmethod
    async def get_execution(self, execution_id: str) -> Execution | None:
        """The execution with all its TaskRuns (in creation order)."""

    @abstractmethod
    async def execution_changes(self, known: dict[str, int]) -> dict[str, ExecutionChanges]:
        """Executions by id (those that exist), each with the TaskRuns written after the
        revision ``known`` gives it (0: all of them) -- or more: a store without revisions
        gives all of them, with revision 0. For a reader that keeps executions between reads
        (a worker), in one read."""

    @abstractmethod
    async def search_executions(self, query: ExecutionQuery) -> tuple[list[Execution], int]:
        """A page of executions (TaskRuns included) and the total count."""

    @abstractmethod
    async def non_terminal_execution_ids(self) -> list[str]:
        """Every execution whose state is not terminal, oldest first."""

    @abstractmethod
    async def count_executions(
        self, tenant: str, namespace: str, flow_id: str, states: tuple[State, ...]
    ) -> int: ...

    @abstractmethod
    async def oldest_execution_in_state(
        self, tenant: str, namespace: str, flow_id: str, state: State
    ) -> str | None: ...

    @abstractmethod
    async def delete_execution(self, execution_id: str) -> bool:
        """Delete an execution with its TaskRuns, queue rows, events, timers and logs."""

    # --- writes ----------------------------------------------------------------------------
    @abstractmethod
    async def commit(self, batch: Batch) -> None:
        """Apply every write of the batch in one transaction, or none."""

    # --- executor inbox ----------------------------------------------------------------------
    @abstractmethod
    async def pending_events(
        self, limit: int = 1000, *, execution_id: str | None = None
    ) -> list[Event]:
        """Unacknowledged events (of one execution, if given), oldest first."""

    @abstractmethod
    async def inbox(
        self, now: datetime, limit: int = 1000, *, ownership: Ownership | None = None
    ) -> Inbox:
        """In one read: pending events (oldest first), timers due at ``now``, and the
        earliest timer of all; with ``ownership``, of the executions it owns or takes."""

    @abstractmethod
    async def renew_ownership(self, owner: str, until: datetime) -> set[str]:
        """Extend every ownership of ``owner``; return the executions it still owns."""

    @abstractmethod
    async def release_ownership(self, owner: str) -> int:
        """Give up every execution ``owner`` owns (it stops, or is known dead); return how
        many."""

    @abstractmethod
    async def owners(self) -> list[str]:
        """The executors that own executions now."""

    # --- worker queue ----------------------------------------------------------------------
    @abstractmethod
    async def claim(
        self,
        worker_id: str,
        limit: int,
        now: datetime,
        lease_until: datetime,
        worker_group: str | None = None,
    ) -> list[QueuedTaskRun]:
        """Lease up to ``limit`` rows that are ready (``ready_at <= now``) and not leased, in
        ``ready_at`` order; only rows of ``worker_group``."""

    @abstractmethod
    async def heartbeat(
        self, worker: WorkerInfo, running: list[str], now: datetime, until: datetime
    ) -> Renewal:
        """Register the worker (or note it alive at ``now``) and extend its leases on
        ``running`` to ``until``; return which it still holds and which to stop."""

    @abstractmethod
    async def remove_worker(self, worker_id: str) -> None:
        """The worker stopped: forget its registration."""

    @abstractmethod
    async def workers(self) -> list[WorkerInfo]:
        """Registered workers, with their last heartbeat."""

    @abstractmethod
    async def prune_workers(self, silent_since: datetime) -> list[str]:
        """Forget the workers whose last heartbeat is older than ``silent_since`` and that
        lease no queue row (a killed worker's leases are reaped first); return their ids."""

    @abstractmethod
    async def reap_leases(self, now: datetime, worker_ids: list[str] | None = None) -> int:
        """Take back the rows whose lease expired before ``now`` (or, given ``worker_ids``,
        every row those workers lease): each leaves the queue and becomes a ``lost`` event
        for its executor, which decides whether the TaskRun runs again. Return how many."""

    @abstractmethod
    async def next_ready_at(self) -> datetime | None:
        """When the earliest unleased row becomes ready."""

    @abstractmethod
    async def lease_holders(self) -> list[str]:
        """The ids of the workers that hold leases now."""

    @abstractmethod
    async def queue_stats(self, now: datetime) -> QueueStats:
        """Counts of the queue (an expired lease still counts as leased), and the oldest
        ready row."""

    # --- logs ------------------------------------------------------------------------------
    @abstractmethod
    async def append_logs(self, entries: list[LogEntry]) -> None: ...

    @abstractmethod
    async def list_logs(
        self,
        execution_id: str,
        *,
        task_run_id: str | None = None,
        min_level: str | None = None,
        after_id: int = 0,
    ) -> list[tuple[int, LogEntry]]:
        """Logs with their ids, in order; ``after_id`` for following."""

    @abstractmethod
    async def search_logs(self, query: LogQuery) -> tuple[list[LogEntry], int]:
        """A page of logs across executions, newest first, and the total count."""

    # --- key-value -------------------------------------------------------------------------
    @abstractmethod
    async def kv_get(self, tenant: str, namespace: str, key: str, now: datetime) -> KVEntry | None:
        """The entry, or None if absent or expired."""

    @abstractmethod
    async def kv_put(self, entry: KVEntry, *, overwrite: bool = True) -> bool:
        """Write; with overwrite=False, return False if a live entry exists."""

    @abstractmethod
    async def kv_delete(self, tenant: str, namespace: str, key: str) -> bool: ...

    @abstractmethod
    async def kv_list(self, tenant: str, namespace: str, now: datetime) -> list[KVEntry]: ...

    # --- triggers ----------------------------------------------------------------------------
    # State of the triggers flows declare (see headway.triggers and headway.scheduler). Only
    # the scheduler writes it, except enable/disable/unlock/backfill requests of the API.
    @abstractmethod
    async def get_trigger(
        self, tenant: str, namespace: str, flow_id: str, trigger_id: str
    ) -> TriggerState | None: ...

    @abstractmethod
    async def list_triggers(
        self, tenant: str, namespace: str | None = None, flow_id: str | None = None
    ) -> list[TriggerState]:
        """Trigger states by namespace, flow and trigger id; ``namespace`` is a prefix
        ('platform' matches 'platform.ops')."""

    @abstractmethod
    async def save_triggers(self, states: list[TriggerState]) -> None:
        """Insert or replace these trigger states (their ``updated`` is set to now)."""

    @abstractmethod
    async def delete_triggers(
        self, tenant: str, namespace: str, flow_id: str, keep: list[str] | None = None
    ) -> int:
        """Delete the flow's trigger states but those in ``keep``; return how many."""

    @abstractmethod
    async def commit_triggered(
        self, batch: Batch, states: list[TriggerState], ended_done: list[str]
    ) -> None:
        """In one transaction: the batch (new executions), the trigger states that fired
        them, and the acknowledgement of ended executions already evaluated for Flow
        triggers (``ended_done``)."""

    @abstractmethod
    async def record_ended(self, tenant: str, execution_ids: list[str]) -> None:
        """Remember executions that ended, until Flow triggers are evaluated for them
        (:meth:`ended_executions`, acknowledged through :meth:`commit_triggered`)."""

    @abstractmethod
    async def ended_executions(self, limit: int = 100) -> list[str]:
        """Ended executions not yet evaluated for Flow triggers, oldest first."""

    @abstractmethod
    async def acquire_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease ``name`` (the scheduler's leadership) for ``holder``
        until ``until``; False when another holder's lease is still valid at ``now``."""

    # --- access control ----------------------------------------------------------------------
    # API tokens (stored as the SHA-256 of the token, never the token) and the audit log.
    # Written by the API and by `headway tokens` / `headway audit` on the local store.
    @abstractmethod
    async def create_token(self, token: ApiToken, secret_hash: str) -> None:
        """Store a new token with the hash of its secret (a StoreError if either exists)."""

    @abstractmethod
    async def token_by_hash(self, tenant: str, secret_hash: str) -> ApiToken | None:
        """The token whose secret has this hash, revoked or expired ones included."""

    @abstractmethod
    async def list_tokens(self, tenant: str) -> list[ApiToken]:
        """Every token of the tenant, revoked ones included, oldest first."""

    @abstractmethod
    async def revoke_token(self, tenant: str, token_id: str, now: datetime) -> ApiToken | None:
        """Revoke a token from ``now`` (a revoked one keeps its first date); return it, or
        None if there is no such token."""

    @abstractmethod
    async def append_audit(self, entry: AuditEntry) -> int:
        """Write an entry of the audit log; return its id (increasing)."""

    @abstractmethod
    async def search_audit(self, query: AuditQuery) -> tuple[list[AuditEntry], int]:
        """A page of audit entries, newest first, and the total count."""
