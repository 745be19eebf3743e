"""Executions, TaskRuns and attempts: the runtime records, and their Kestra JSON shape.

These are plain data. Every change of a state goes through :meth:`StateRecord.transition`,
which checks the allowed-transition table; the engine persists changed records in the same
store transaction as the event that caused them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from headway.durations import format_duration
from headway.masking import MASK, Masker
from headway.state import State, check_transition

JSON = dict[str, Any]


def new_id() -> str:
    """A short, URL-safe, sortable-enough unique id (Kestra uses 22-character base62 ids)."""
    return uuid.uuid4().hex[:22]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(slots=True)
class StateRecord:
    """A current state and the history of every state it went through, with dates."""

    current: State
    histories: list[tuple[State, datetime]]

    @classmethod
    def start(cls, state: State = State.CREATED, at: datetime | None = None) -> StateRecord:
        return cls(state, [(state, at or utcnow())])

    def transition(self, new: State, at: datetime | None = None) -> None:
        """The one place a state changes: checked against the table, recorded in history."""
        check_transition(self.current, new)
        self.current = new
        self.histories.append((new, at or utcnow()))

    @property
    def start_date(self) -> datetime:
        return self.histories[0][1]

    @property
    def end_date(self) -> datetime | None:
        return self.histories[-1][1] if self.current.terminal else None

    @property
    def duration(self) -> timedelta:
        end = self.end_date or utcnow()
        return end - self.start_date

    def to_json(self) -> JSON:
        end = self.end_date
        out: JSON = {
            "current": self.current.value,
            "histories": [{"state": s.value, "date": iso(d)} for s, d in self.histories],
            "startDate": iso(self.start_date),
            "duration": format_duration(self.duration),
        }
        if end is not None:
            out["endDate"] = iso(end)
        return out

    def to_store(self) -> JSON:
        """What the store keeps: the dates of the API's shape (start, end, duration) follow
        from the history."""
        return {
            "current": self.current.value,
            "histories": [{"state": s.value, "date": iso(d)} for s, d in self.histories],
        }

    @classmethod
    def from_json(cls, data: JSON) -> StateRecord:
        """From the API's shape or the store's (only the current state and history)."""
        hist = [(State(h["state"]), parse_iso(h["date"])) for h in data["histories"]]
        return cls(State(data["current"]), hist)


@dataclass(slots=True)
class Attempt:
    """One try of a TaskRun."""

    state: StateRecord
    worker_id: str | None = None

    def to_json(self) -> JSON:
        out: JSON = {"state": self.state.to_json()}
        if self.worker_id is not None:
            out["workerId"] = self.worker_id
        return out

    @classmethod
    def from_json(cls, data: JSON) -> Attempt:
        return cls(StateRecord.from_json(data["state"]), data.get("workerId"))

    def to_store(self) -> JSON:
        out: JSON = {"state": self.state.to_store()}
        if self.worker_id:
            out["workerId"] = self.worker_id
        return out


@dataclass(slots=True)
class TaskRun:
    """One run of one task inside an execution (a task in a loop has one per value)."""

    id: str
    execution_id: str
    task_id: str
    state: StateRecord
    parent_task_run_id: str | None = None
    value: str | None = None
    iteration: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    outputs: JSON | None = None
    # When a retry is due (the TaskRun waits, state RETRYING, until then).
    next_retry_date: datetime | None = None
    # Engine bookkeeping that is not part of Kestra's shape (e.g. a Pause's deadline,
    # a WaitFor's iteration count, a subflow's execution id).
    extra: JSON = field(default_factory=dict)

    @property
    def current(self) -> State:
        return self.state.current

    def to_json(self, *, namespace: str, flow_id: str, masker: Masker | None = None) -> JSON:
        out: JSON = {
            "id": self.id,
            "executionId": self.execution_id,
            "namespace": namespace,
            "flowId": flow_id,
            "taskId": self.task_id,
            "parentTaskRunId": self.parent_task_run_id,
            "value": self.value,
            "attempts": [a.to_json() for a in self.attempts],
            "outputs": masker.value(self.outputs) if masker else self.outputs,
            "state": self.state.to_json(),
        }
        if self.extra.get("metrics"):
            out["metrics"] = self.extra["metrics"]
        if self.iteration is not None:
            out["iteration"] = self.iteration
        return out

    def to_store(self) -> JSON:
        """The JSON the store keeps in the TaskRun's data column."""
        out: JSON = {
            "attempts": [a.to_store() for a in self.attempts],
            "outputs": self.outputs,
            "state": self.state.to_store(),
            "extra": self.extra,
        }
        if self.next_retry_date is not None:
            out["nextRetryDate"] = iso(self.next_retry_date)
        return out

    @classmethod
    def from_store(
        cls,
        *,
        id: str,
        execution_id: str,
        task_id: str,
        parent_task_run_id: str | None,
        value: str | None,
        iteration: int | None,
        data: JSON,
    ) -> TaskRun:
        nrd = data.get("nextRetryDate")
        return cls(
            id=id,
            execution_id=execution_id,
            task_id=task_id,
            parent_task_run_id=parent_task_run_id,
            value=value,
            iteration=iteration,
            state=StateRecord.from_json(data["state"]),
            attempts=[Attempt.from_json(a) for a in data.get("attempts", [])],
            outputs=data.get("outputs"),
            next_retry_date=parse_iso(nrd) if nrd else None,
            extra=data.get("extra") or {},
        )


@dataclass(slots=True)
class Execution:
    """One run of a flow."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: StateRecord
    tenant: str = "main"
    inputs: JSON = field(default_factory=dict)
    outputs: JSON | None = None
    labels: list[dict[str, str]] = field(default_factory=list)
    variables: JSON = field(default_factory=dict)
    trigger: JSON | None = None
    parent_id: str | None = None
    original_id: str | None = None
    schedule_date: datetime | None = None
    task_runs: list[TaskRun] = field(default_factory=list)
    # Engine bookkeeping: parent TaskRun of a subflow execution, kill requests, etc.
    extra: JSON = field(default_factory=dict)

    @property
    def current(self) -> State:
        return self.state.current

    def task_run(self, task_run_id: str) -> TaskRun:
        for tr in self.task_runs:
            if tr.id == task_run_id:
                return tr
        raise KeyError(task_run_id)

    @property
    def secret_inputs(self) -> list[str]:
        """The ids of the inputs of type SECRET (their values are masked when shown)."""
        ids = self.extra.get("secretInputs") or []
        return [str(i) for i in ids]

    def secret_values(self) -> list[str]:
        return [str(self.inputs[i]) for i in self.secret_inputs if self.inputs.get(i)]

    def to_json(self, masker: Masker | None = None) -> JSON:
        """Kestra's JSON shape of an execution (the API, `headway run --json`), with secrets
        masked: SECRET inputs always, and every value ``masker`` knows."""
        masker = (masker or Masker()).with_secrets(self.secret_values())
        inputs = {k: (MASK if k in self.secret_inputs else v) for k, v in self.inputs.items()}
        out: JSON = {
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "flowRevision": self.flow_revision,
            "tenantId": self.tenant,
            "state": self.state.to_json(),
            "inputs": masker.value(inputs),
            "outputs": masker.value(self.outputs),
            "labels": self.labels,
            "variables": self.variables,
            "trigger": masker.value(self.trigger),
            "parentId": self.parent_id,
            "originalId": self.original_id or self.id,
            "scheduleDate": iso(self.schedule_date) if self.schedule_date else None,
            "taskRunList": [
                tr.to_json(namespace=self.namespace, flow_id=self.flow_id, masker=masker)
                for tr in self.task_runs
            ],
            "deleted": False,
        }
        return out

    def to_store(self) -> JSON:
        """The JSON the store keeps in the execution's data column (TaskRuns are rows)."""
        return {
            "state": self.state.to_store(),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "labels": self.labels,
            "variables": self.variables,
            "trigger": self.trigger,
            "parentId": self.parent_id,
            "originalId": self.original_id,
            "scheduleDate": iso(self.schedule_date) if self.schedule_date else None,
            "extra": self.extra,
        }

    @classmethod
    def from_store(
        cls,
        *,
        id: str,
        tenant: str,
        namespace: str,
        flow_id: str,
        flow_revision: int,
        data: JSON,
        task_runs: list[TaskRun],
    ) -> Execution:
        sd = data.get("scheduleDate")
        return cls(
            id=id,
            tenant=tenant,
            namespace=namespace,
            flow_id=flow_id,
            flow_revision=flow_revision,
            state=StateRecord.from_json(data["state"]),
            inputs=data.get("inputs") or {},
            outputs=data.get("outputs"),
            labels=data.get("labels") or [],
            variables=data.get("variables") or {},
            trigger=data.get("trigger"),
            parent_id=data.get("parentId"),
            original_id=data.get("originalId"),
            schedule_date=parse_iso(sd) if sd else None,
            task_runs=task_runs,
            extra=data.get("extra") or {},
        )


@dataclass(slots=True)
class LogEntry:
    """One log line of an execution."""

    execution_id: str
    level: str
    message: str
    timestamp: datetime
    namespace: str = ""
    flow_id: str = ""
    task_id: str | None = None
    task_run_id: str | None = None
    attempt_number: int | None = None
    tenant: str = "main"

    def line(self) -> str:
        """One line of text: time, level, task, message (the CLI, log downloads)."""
        when = self.timestamp.strftime("%H:%M:%S.%f")[:-3]
        where = f"[{self.task_id}] " if self.task_id else ""
        return f"{when} {self.level:<5} {where}{self.message}"

    def to_json(self) -> JSON:
        return {
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "taskId": self.task_id,
            "executionId": self.execution_id,
            "taskRunId": self.task_run_id,
            "attemptNumber": self.attempt_number,
            "timestamp": iso(self.timestamp),
            "level": self.level,
            "message": self.message,
        }
