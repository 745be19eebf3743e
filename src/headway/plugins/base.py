"""What a plugin is, and what it may use at run time.

A *runnable* task is run by a worker: its properties are rendered, validated, then its async
``run`` is called with a :class:`RunContext`. A *flowable* task is evaluated by the executor:
given the TaskRuns of its children so far, it says which children to create next and, once
they are done, its own end state (:class:`FlowableContext`, :class:`Advance`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

from headway.errors import TaskFailure
from headway.execution import TaskRun
from headway.flows.tasks import TaskBase
from headway.state import State

Outputs = dict[str, Any]


class KVStore(Protocol):
    """A namespace's key-value store."""

    async def get(self, namespace: str, key: str) -> Any | None: ...

    async def put(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: timedelta | None = None,
        overwrite: bool = True,
    ) -> bool: ...

    async def delete(self, namespace: str, key: str) -> bool: ...


class NamespaceFilesAccess(Protocol):
    """The namespace files of the flow's namespace (paths relative to its root)."""

    async def paths(self) -> list[str]:
        """The path of every file, sorted."""
        ...

    async def read(self, path: str) -> bytes: ...

    async def download(self, path: str, target: Path) -> int: ...

    async def write(self, path: str, source: bytes | Path) -> int: ...

    async def exists(self, path: str) -> bool: ...

    async def delete(self, path: str) -> int:
        """Delete a file, or a directory with everything under it; return how many files."""
        ...

    def uri(self, path: str) -> str:
        """The ``kestra:///`` URI of a namespace file."""
        ...


class TaskStorage(Protocol):
    """Internal storage as a TaskRun sees it: files are ``kestra:///`` URIs. Only files of
    the flow's own namespace can be read; another namespace's URI fails (``StorageError``)."""

    @property
    def namespace_files(self) -> NamespaceFilesAccess:
        """The namespace files of the flow's namespace."""
        ...

    def open(self, uri: str) -> AsyncIterator[bytes]:
        """A file's content in chunks."""
        ...

    async def delete(self, uri: str) -> bool:
        """Delete a file of the namespace; False when there was none."""
        ...

    async def purge_execution(self) -> list[str]:
        """Delete every file of this execution; return their URIs."""
        ...

    async def put_file(self, name: str, source: bytes | Path) -> str:
        """Store an output file of this TaskRun (``name`` relative, may hold ``/``); return
        its URI."""
        ...

    async def read(self, uri: str) -> bytes: ...

    async def download(self, uri: str, target: Path) -> int:
        """Copy a file to a local path; return its size."""
        ...

    async def size(self, uri: str) -> int: ...

    async def exists(self, uri: str) -> bool: ...


class TriggerSwitch(Protocol):
    """Enables and disables the triggers of flows (the Toggle task)."""

    async def set_disabled(
        self, namespace: str, flow_id: str, trigger_id: str, disabled: bool
    ) -> None:
        """Raise :class:`~headway.errors.NotFoundError` for an unknown flow or trigger."""
        ...


class RunContext(Protocol):
    """What a runnable task may use while it runs."""

    @property
    def execution_id(self) -> str: ...

    @property
    def task_run_id(self) -> str: ...

    @property
    def namespace(self) -> str: ...

    @property
    def flow_id(self) -> str: ...

    @property
    def attempt(self) -> int:
        """1 for the first try."""
        ...

    @property
    def idempotency_key(self) -> str:
        """Stable across restarts of the same attempt: execution id, TaskRun id, attempt."""
        ...

    @property
    def kv(self) -> KVStore: ...

    @property
    def triggers(self) -> TriggerSwitch:
        """Enable or disable flows' triggers."""
        ...

    @property
    def storage(self) -> TaskStorage:
        """Internal storage, scoped to this TaskRun and its namespace."""
        ...

    def render(self, value: Any) -> Any:
        """Render expressions in a value (strings inside dicts and lists too)."""
        ...

    def render_typed(self, template: str) -> Any:
        """Render; a template that is a single ``{{ expr }}`` keeps the value's type."""
        ...

    def render_typed_with(self, template: str, variables: Mapping[str, Any]) -> Any:
        """As :meth:`render_typed`, with ``variables`` added over the TaskRun's own (they
        win), such as the fields of an item of a file."""
        ...

    async def render_async(self, value: Any) -> Any:
        """Render without blocking the event loop: in a thread of the engine's when the value
        calls a function that reads the store or internal storage (``read()``, ``kv()``)."""
        ...

    def log(self, level: str, message: str) -> None: ...

    def set_labels(self, labels: dict[str, str]) -> None:
        """Add or replace labels of the execution."""
        ...

    def metric(
        self,
        name: str,
        value: float,
        *,
        type: str = "counter",
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Record a metric of this TaskRun: a ``counter`` or a ``timer`` (seconds), as Kestra's
        script protocol sends them; raise ValueError for a bad one."""
        ...

    @property
    def shared_directory(self) -> Path | None:
        """The working directory this TaskRun shares with the other tasks of its
        WorkingDirectory group, or None (script tasks then get a fresh one of their own)."""
        ...


class RunnableTask(TaskBase):
    """A task run by a worker."""

    # Properties left as written (not rendered before run); the task renders them itself.
    unrendered: ClassVar[frozenset[str]] = frozenset()
    # True for the steps that create and remove a WorkingDirectory group's shared directory;
    # any other task of the group that finds it missing fails with :class:`SharedDirectoryLost`.
    manages_shared_directory: ClassVar[bool] = False

    async def run(self, ctx: RunContext) -> Outputs | None:
        raise NotImplementedError


class TaskResultWarning(Exception):
    """Raised by a task that succeeded with a warning; carries its outputs."""

    def __init__(self, message: str, outputs: Outputs | None = None) -> None:
        super().__init__(message)
        self.outputs = outputs


@dataclass
class Child:
    """A TaskRun a flowable task wants created."""

    task: TaskBase
    value: str | None = None
    iteration: int | None = None
    # Engine bookkeeping the new TaskRun starts with (``TaskRun.extra``); ``items`` is
    # shown to its expressions as ``taskrun.items`` (ForEachItem's batch file).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SubflowRequest:
    """Start an execution of another flow as a child of this TaskRun."""

    namespace: str
    flow_id: str
    revision: int | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    wait: bool = True


@dataclass
class Advance:
    """A flowable task's decision: children to create now, and/or its own end."""

    create: list[Child] = field(default_factory=list)
    # Set when the flowable task is finished: its end state (and outputs).
    done: State | None = None
    outputs: Outputs | None = None
    # Ask the executor to evaluate again at this time (Pause delays, WaitFor checks).
    wake_at: datetime | None = None
    # Engine bookkeeping to keep on the flowable's own TaskRun (``TaskRun.extra``).
    extra: dict[str, Any] | None = None
    # Set the flowable's own TaskRun to this non-terminal state (e.g. PAUSED).
    state: State | None = None
    # Start a subflow execution (once; its id lands in ``TaskRun.extra['executionId']``).
    subflow: SubflowRequest | None = None


class FlowableContext(Protocol):
    """What a flowable task may use while the executor evaluates it."""

    @property
    def task_run(self) -> TaskRun:
        """The flowable's own TaskRun."""
        ...

    @property
    def now(self) -> datetime: ...

    def render(self, value: Any) -> Any: ...

    def render_typed(self, template: str) -> Any: ...

    def truthy(self, value: Any) -> bool: ...

    def children(self, value: str | None = None, *, any_value: bool = False) -> list[TaskRun]:
        """The direct child TaskRuns of this flowable (for one loop value, or all)."""
        ...

    def sequential(
        self,
        tasks: list[TaskBase],
        *,
        value: str | None = None,
        iteration: int | None = None,
        errors: list[TaskBase] | None = None,
        finally_: list[TaskBase] | None = None,
    ) -> Advance:
        """Run ``tasks`` one after another (with ``errors`` when one fails, then ``finally``)."""
        ...

    def parallel(
        self,
        tasks: list[TaskBase],
        *,
        value: str | None = None,
        iteration: int | None = None,
        concurrent: int = 0,
    ) -> Advance:
        """Run ``tasks`` at once, at most ``concurrent`` at a time (0: no limit)."""
        ...

    def log(self, level: str, message: str) -> None: ...

    def memo(self) -> dict[str, Any]:
        """Scratch memory for this TaskRun, kept while the executor holds its execution in
        memory and empty after a reload: only for what can be rebuilt from the TaskRuns
        (such as where a scan over many children can resume)."""
        ...

    def resume_inputs(self) -> dict[str, Any] | None:
        """Inputs given with the resume of a paused TaskRun, once resumed."""
        ...


class FlowableTask(TaskBase):
    """A task evaluated by the executor, which creates its child TaskRuns."""

    def advance(self, ctx: FlowableContext) -> Advance:
        raise NotImplementedError

    def shares_directory_with(self, task_id: str) -> bool:
        """Whether the child task ``task_id`` runs in a working directory shared by this
        TaskRun's children (WorkingDirectory), kept between them by the worker."""
        return False


class SharedDirectoryLost(TaskFailure):
    """The shared working directory of a WorkingDirectory group is gone (the worker that
    held it died, or another host picked up the group's next task)."""

    # Set in the outputs of the TaskRun that found it gone, so its group can start again.
    OUTPUT = "workingDirectoryLost"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)
