"""Finding flows for executions: parsed once, by namespace, id and revision.

A flow given from a file (``headway run FLOW.yaml``, ``--flows DIR``) is looked up before
the store; when an execution of it starts, its source is saved as a revision in the store
so that recovery finds exactly what ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from headway.errors import NotFoundError
from headway.flows.loader import parse_flow
from headway.flows.model import Flow
from headway.flows.tasks import TaskTypes
from headway.store.base import Store


@dataclass(frozen=True)
class LocalFlow:
    source: str
    file: str


class FlowRepository:
    def __init__(
        self,
        store: Store,
        task_types: TaskTypes,
        *,
        tenant: str = "main",
        local: dict[tuple[str, str], LocalFlow] | None = None,
        find_local: Callable[[str, str], LocalFlow | None] | None = None,
    ) -> None:
        self.store = store
        self.task_types = task_types
        self.tenant = tenant
        self.local = dict(local or {})
        # Looks a flow up among local files when it is not in ``local`` (a subflow).
        self.find_local = find_local
        self._parsed: dict[tuple[str, str, int], Flow] = {}

    def add_local(self, flow: Flow, source: str, file: str) -> None:
        self.local[(flow.namespace, flow.id)] = LocalFlow(source, file)

    async def latest(self, namespace: str, flow_id: str) -> tuple[Flow, int]:
        """The flow to start now: a local file's version first (saved as a revision), else
        the store's latest."""
        local = self.local.get((namespace, flow_id))
        if local is None and self.find_local is not None:
            local = self.find_local(namespace, flow_id)
        if local is not None:
            record = await self.store.save_flow(self.tenant, namespace, flow_id, local.source)
            flow = self._parse(record.source, local.file, namespace, flow_id, record.revision)
            return flow, record.revision
        found = await self.store.get_flow(self.tenant, namespace, flow_id)
        if found is None or found.deleted:
            raise NotFoundError(f"flow '{namespace}.{flow_id}' not found")
        return self._parse(found.source, None, namespace, flow_id, found.revision), found.revision

    async def revision(self, namespace: str, flow_id: str, revision: int) -> Flow:
        key = (namespace, flow_id, revision)
        if key in self._parsed:
            return self._parsed[key]
        found = await self.store.get_flow(self.tenant, namespace, flow_id, revision)
        if found is None:
            raise NotFoundError(f"flow '{namespace}.{flow_id}' revision {revision} not found")
        return self._parse(found.source, None, namespace, flow_id, revision)

    def _parse(
        self, source: str, file: str | None, namespace: str, flow_id: str, revision: int
    ) -> Flow:
        key = (namespace, flow_id, revision)
        flow = self._parsed.get(key)
        if flow is None:
            flow = parse_flow(source, file=file, task_types=self.task_types)
            self._parsed[key] = flow
        return flow
