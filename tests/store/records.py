"""Builders of the records that the store contract writes and reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from headway.execution import Attempt, Execution, LogEntry, StateRecord, TaskRun, new_id
from headway.state import ALLOWED, State
from headway.store.base import Batch, QueuedTaskRun, Store, WorkerInfo

T0 = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state_record(state: State, start: datetime = T0) -> StateRecord:
    """A record that went through the transitions a real run takes to reach ``state``."""
    record = StateRecord.start(State.CREATED, start)
    if state is State.CREATED:
        return record
    if state not in ALLOWED[State.CREATED]:
        record.transition(State.RUNNING, start + timedelta(seconds=1))
    record.transition(state, start + timedelta(seconds=2))
    return record


def execution(
    *,
    execution_id: str | None = None,
    namespace: str = "company.team",
    flow_id: str = "hello",
    state: State = State.CREATED,
    start: datetime = T0,
    labels: dict[str, str] | None = None,
    tenant: str = "main",
) -> Execution:
    return Execution(
        id=execution_id or new_id(),
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=1,
        state=state_record(state, start),
        tenant=tenant,
        labels=[{"key": k, "value": v} for k, v in (labels or {}).items()],
    )


def task_run(
    execution: Execution,
    task_id: str = "t",
    *,
    task_run_id: str | None = None,
    state: State = State.CREATED,
) -> TaskRun:
    return TaskRun(
        id=task_run_id or new_id(),
        execution_id=execution.id,
        task_id=task_id,
        state=state_record(state, execution.state.start_date),
    )


def rich_execution() -> Execution:
    """A finished execution using every field, with TaskRuns using every field."""
    ex = execution(state=State.SUCCESS, labels={"team": "ops", "env": "prod"})
    ex.flow_revision = 7
    ex.inputs = {"name": "Ada", "count": 3, "tags": ["a", "b"], "nested": {"x": None}}
    ex.outputs = {"result": {"rows": [1, 2.5, "três"]}}
    ex.variables = {"greeting": "hello {{ inputs.name }}"}
    ex.trigger = {"id": "daily", "type": "schedule", "variables": {"date": "2024-05-01"}}
    ex.parent_id = "parent0000000000000000"
    ex.original_id = "original00000000000000"
    ex.schedule_date = at(-60)
    ex.extra = {"parentTaskRunId": "p1", "killRequested": False}
    parent = task_run(ex, "each", state=State.SUCCESS)
    parent.outputs = {}
    child = task_run(ex, "work", state=State.SUCCESS)
    child.parent_task_run_id = parent.id
    child.value = "item-1"
    child.iteration = 0
    failed_attempt = Attempt(state_record(State.FAILED, at(1)), worker_id="worker-a")
    ok_attempt = Attempt(state_record(State.SUCCESS, at(5)), worker_id="worker-b")
    child.attempts = [failed_attempt, ok_attempt]
    child.outputs = {"value": 42, "files": {"out.txt": "kestra:///company/team/out.txt"}}
    child.next_retry_date = at(4)
    child.extra = {"waitIteration": 3, "deadline": "2024-05-02T00:00:00Z"}
    ex.task_runs = [parent, child]
    return ex


def queued(
    execution_id: str = "exec",
    task_run_id: str | None = None,
    ready_at: datetime = T0,
    *,
    attempt: int = 1,
    worker_group: str | None = None,
) -> QueuedTaskRun:
    return QueuedTaskRun(
        task_run_id=task_run_id or new_id(),
        execution_id=execution_id,
        attempt=attempt,
        ready_at=ready_at,
        worker_group=worker_group,
    )


def worker(
    worker_id: str = "w1",
    group: str | None = None,
    *,
    slots: int = 4,
    host: str = "host-a",
    started: datetime = T0,
) -> WorkerInfo:
    """A worker as it registers itself (the store sets its heartbeat)."""
    return WorkerInfo(worker_id, group, slots, host, started)


def log(
    execution_id: str,
    message: str,
    *,
    level: str = "INFO",
    task_run_id: str | None = None,
    seconds: float = 0,
) -> LogEntry:
    return LogEntry(
        execution_id=execution_id,
        level=level,
        message=message,
        timestamp=at(seconds),
        namespace="company.team",
        flow_id="hello",
        task_id="t" if task_run_id else None,
        task_run_id=task_run_id,
        attempt_number=1 if task_run_id else None,
    )


async def add(store: Store, *executions: Execution) -> None:
    """Write executions with their TaskRuns."""
    batch = Batch(executions=list(executions))
    for ex in executions:
        batch.task_runs += ex.task_runs
    await store.commit(batch)
