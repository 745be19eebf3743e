"""The engine's implementation of :class:`headway.plugins.base.RunContext`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from headway import expressions
from headway.engine.rendering import Renderer
from headway.errors import TaskFailure
from headway.execution import LogEntry, TaskRun, utcnow
from headway.masking import Masker
from headway.plugins.base import TriggerSwitch
from headway.storage import TaskRunFiles
from headway.store.base import KVEntry, Store

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4}


class StoreKV:
    """A namespace key-value store over the store."""

    def __init__(self, store: Store, tenant: str) -> None:
        self._store = store
        self._tenant = tenant

    async def get(self, namespace: str, key: str) -> Any | None:
        entry = await self._store.kv_get(self._tenant, namespace, key, utcnow())
        return None if entry is None else entry.value

    async def put(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: timedelta | None = None,
        overwrite: bool = True,
    ) -> bool:
        now = utcnow()
        entry = KVEntry(
            self._tenant,
            namespace,
            key,
            value,
            expires_at=now + ttl if ttl is not None else None,
            updated=now,
        )
        return await self._store.kv_put(entry, overwrite=overwrite)

    async def delete(self, namespace: str, key: str) -> bool:
        return await self._store.kv_delete(self._tenant, namespace, key)


METRIC_TYPES = ("counter", "timer")


def metric_entry(name: Any, value: Any, type: Any, tags: Any) -> dict[str, Any]:
    """A metric as stored on its TaskRun; ValueError names what is wrong."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a metric needs a name, got {name!r}")
    if type not in METRIC_TYPES:
        raise ValueError(f"metric '{name}': type must be counter or timer, not {type!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"metric '{name}': value must be a number, not {value!r}")
    if tags is not None and not (
        isinstance(tags, Mapping) and all(isinstance(k, str) for k in tags)
    ):
        raise ValueError(f"metric '{name}': tags must be a mapping of names to values")
    return {
        "name": name,
        "type": type,
        "value": value,
        "tags": {k: str(v) for k, v in (tags or {}).items()},
    }


class TaskRunContext:
    """What a runnable task sees while it runs: rendering, logs, KV, labels, identity."""

    def __init__(
        self,
        *,
        task_run: TaskRun,
        namespace: str,
        flow_id: str,
        tenant: str,
        attempt: int,
        renderer: Renderer,
        kv: StoreKV,
        storage: TaskRunFiles,
        masker: Masker,
        min_level: str = "TRACE",
        shared_directory: Path | None = None,
        triggers: TriggerSwitch | None = None,
    ) -> None:
        self._tr = task_run
        self._namespace = namespace
        self._flow_id = flow_id
        self._tenant = tenant
        self._attempt = attempt
        self._renderer = renderer
        self._kv = kv
        self._storage = storage
        self._min_level = LEVELS.get(min_level, 0)
        self._masker = masker
        self._shared_directory = shared_directory
        self._triggers = triggers
        self.logs: list[LogEntry] = []
        self.labels: dict[str, str] = {}
        self.metrics: list[dict[str, Any]] = []

    @property
    def execution_id(self) -> str:
        return self._tr.execution_id

    @property
    def task_run_id(self) -> str:
        return self._tr.id

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def flow_id(self) -> str:
        return self._flow_id

    @property
    def attempt(self) -> int:
        return self._attempt

    @property
    def idempotency_key(self) -> str:
        return f"{self._tr.execution_id}:{self._tr.id}:{self._attempt}"

    @property
    def shared_directory(self) -> Path | None:
        return self._shared_directory

    @property
    def kv(self) -> StoreKV:
        return self._kv

    @property
    def triggers(self) -> TriggerSwitch:
        if self._triggers is None:
            raise TaskFailure("triggers cannot be changed from here", retryable=False)
        return self._triggers

    @property
    def storage(self) -> TaskRunFiles:
        return self._storage

    def render(self, value: Any) -> Any:
        return self._renderer.render(value)

    def render_typed(self, template: str) -> Any:
        return self._renderer.render_typed(template)

    def render_typed_with(self, template: str, variables: Mapping[str, Any]) -> Any:
        context = {**self._renderer.variables, **variables}  # a few top-level names
        return expressions.render_typed(template, context, self._renderer.functions)

    async def render_async(self, value: Any) -> Any:
        return await self._renderer.render_async(value)

    def log(self, level: str, message: str) -> None:
        level = "WARN" if level == "WARNING" else level.upper()
        if LEVELS.get(level, 2) < self._min_level:
            return
        self.logs.append(
            LogEntry(
                execution_id=self._tr.execution_id,
                level=level,
                message=self._masker.text(message),
                timestamp=utcnow(),
                namespace=self._namespace,
                flow_id=self._flow_id,
                task_id=self._tr.task_id,
                task_run_id=self._tr.id,
                attempt_number=self._attempt,
                tenant=self._tenant,
            )
        )

    def take_logs(self) -> list[LogEntry]:
        logs, self.logs = self.logs, []
        return logs

    def set_labels(self, labels: dict[str, str]) -> None:
        self.labels.update(labels)

    def metric(
        self,
        name: str,
        value: float,
        *,
        type: str = "counter",
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.metrics.append(metric_entry(name, value, type, tags))
