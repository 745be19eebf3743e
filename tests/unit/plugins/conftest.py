"""A fake RunContext for the core tasks: in-memory KV with TTLs, recorded logs and labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from headway.engine.run_context import metric_entry
from headway.flows.tasks import TaskBase

T = TypeVar("T", bound=TaskBase)

_VARIABLE = re.compile(r"\{\{\s*([a-zA-Z_][\w.]*)\s*\}\}")


class MemoryKV:
    """A KVStore in memory; ``now`` is moved by tests to expire keys."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, tzinfo=UTC)
        self.entries: dict[tuple[str, str], tuple[Any, datetime | None]] = {}

    def _live(self, namespace: str, key: str) -> tuple[Any, datetime | None] | None:
        entry = self.entries.get((namespace, key))
        if entry is None or (entry[1] is not None and entry[1] <= self.now):
            return None
        return entry

    def expires_at(self, namespace: str, key: str) -> datetime | None:
        return self.entries[(namespace, key)][1]

    async def get(self, namespace: str, key: str) -> Any | None:
        entry = self._live(namespace, key)
        return None if entry is None else entry[0]

    async def put(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: timedelta | None = None,
        overwrite: bool = True,
    ) -> bool:
        if not overwrite and self._live(namespace, key) is not None:
            return False
        self.entries[(namespace, key)] = (value, None if ttl is None else self.now + ttl)
        return True

    async def delete(self, namespace: str, key: str) -> bool:
        live = self._live(namespace, key) is not None
        self.entries.pop((namespace, key), None)
        return live


@dataclass
class FakeRunContext:
    """Implements :class:`headway.plugins.base.RunContext` for unit tests."""

    namespace: str = "company.team"
    flow_id: str = "flow"
    execution_id: str = "exec1"
    task_run_id: str = "taskrun1"
    attempt: int = 1
    kv: MemoryKV = field(default_factory=MemoryKV)
    variables: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    shared_directory: Path | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.execution_id}:{self.task_run_id}:{self.attempt}"

    def render(self, value: Any) -> Any:
        if isinstance(value, str):
            return _VARIABLE.sub(lambda m: str(self.variables[m.group(1)]), value)
        if isinstance(value, list):
            return [self.render(item) for item in value]
        if isinstance(value, dict):
            return {key: self.render(item) for key, item in value.items()}
        return value

    def render_typed(self, template: str) -> Any:
        whole = _VARIABLE.fullmatch(template.strip())
        return self.variables[whole.group(1)] if whole else self.render(template)

    async def render_async(self, value: Any) -> Any:
        return self.render(value)

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def set_labels(self, labels: dict[str, str]) -> None:
        self.labels.update(labels)

    def metric(self, name: str, value: float, *, type: str = "counter", tags: Any = None) -> None:
        self.metrics.append(metric_entry(name, value, type, tags))


@pytest.fixture
def ctx() -> FakeRunContext:
    return FakeRunContext()


class TaskFactory:
    """Builds a task of a class from a Kestra-style dict (camelCase keys), with the class's
    first alias as its ``type`` unless told otherwise."""

    def __call__(self, cls: type[T], type_name: str | None = None, **props: Any) -> T:
        return cls.model_validate({"id": "task", "type": type_name or cls.aliases[0], **props})


@pytest.fixture
def make() -> TaskFactory:
    return TaskFactory()
