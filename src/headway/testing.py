"""Helpers to test flows and plugins, the same ones Headway's own tests use.

result = await run_flow(source, inputs={"name": "Ada"})
assert result.state is State.SUCCESS
assert result.outputs("hello") == {"value": "Hello Ada"}
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository, LocalFlow
from headway.execution import Execution, LogEntry, TaskRun
from headway.flows.loader import parse_flow
from headway.plugins.registry import Registry, default_registry
from headway.settings import Settings
from headway.state import State
from headway.store import Store, open_store


@dataclass
class RunResult:
    """An execution that ran, with its logs."""

    execution: Execution
    logs: list[LogEntry] = field(default_factory=list)
    children: list[Execution] = field(default_factory=list)

    @property
    def state(self) -> State:
        return self.execution.current

    def task_runs(self, task_id: str) -> list[TaskRun]:
        return [tr for tr in self.execution.task_runs if tr.task_id == task_id]

    def task_run(self, task_id: str, value: str | None = None) -> TaskRun:
        runs = [tr for tr in self.task_runs(task_id) if value is None or tr.value == value]
        if len(runs) != 1:
            raise AssertionError(f"expected one TaskRun of '{task_id}', found {len(runs)}")
        return runs[0]

    def outputs(self, task_id: str, value: str | None = None) -> Any:
        return self.task_run(task_id, value).outputs

    def messages(self, level: str | None = None) -> list[str]:
        return [e.message for e in self.logs if level is None or e.level == level]


async def run_flow(
    source: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    flows: Mapping[str, str] | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    registry: Registry | None = None,
    labels: dict[str, str] | None = None,
) -> RunResult:
    """Run a flow (YAML text) to its end (or pause) against a temporary store.

    ``flows`` maps file names to the YAML of other flows (subflows) made available.
    """
    registry = registry or default_registry()
    with tempfile.TemporaryDirectory(prefix="headway-test-") as tmp:
        settings = settings or Settings.load({"home": Path(tmp), "lease_seconds": 5.0}, environ={})
        owned = store is None
        the_store = store or open_store(f"sqlite:///{Path(tmp) / 'headway.db'}")
        if owned:
            await the_store.open()
        try:
            return await _run(source, inputs, flows, the_store, settings, registry, labels)
        finally:
            if owned:
                await the_store.close()


async def _run(
    source: str,
    inputs: Mapping[str, Any] | None,
    flows: Mapping[str, str] | None,
    store: Store,
    settings: Settings,
    registry: Registry,
    labels: dict[str, str] | None,
) -> RunResult:
    flow = parse_flow(source, file="<flow>", task_types=registry)
    local = {(flow.namespace, flow.id): LocalFlow(source, "<flow>")}
    for name, text in (flows or {}).items():
        other = parse_flow(text, file=name, task_types=registry)
        local[(other.namespace, other.id)] = LocalFlow(text, name)
    repo = FlowRepository(store, registry, tenant=settings.tenant, local=local)
    engine = Engine(store, settings, registry=registry, flows=repo)
    await engine.start()
    try:
        latest, revision = await repo.latest(flow.namespace, flow.id)
        created = await engine.executor.create_execution(
            latest, revision, dict(inputs or {}), labels=labels, tenant=settings.tenant
        )
        execution = await engine.wait(created.id)
        children: list[Execution] = []
        for tr in execution.task_runs:
            child_id = tr.extra.get("executionId")
            if child_id:
                child = await store.get_execution(child_id)
                if child is not None:
                    children.append(child)
        logs = [entry for _, entry in await store.list_logs(execution.id)]
        return RunResult(execution, logs, children)
    finally:
        await engine.stop()
