"""The flows of a tenant and their triggers, as the scheduler sees them: parsed once per
revision, refreshed from the store at every evaluation."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from headway.engine.flows import FlowRepository
from headway.errors import HeadwayError
from headway.flows.model import Flow
from headway.store.base import Store
from headway.triggers.model import FlowTrigger, TriggerBase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    flow: Flow
    revision: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.flow.namespace, self.flow.id)

    def trigger(self, trigger_id: str) -> TriggerBase | None:
        return next((t for t in self.flow.triggers if t.id == trigger_id), None)


def definition_hash(flow: Flow, trigger: TriggerBase) -> str:
    """Changes when the trigger's definition (or the flow's ``disabled``) changes."""
    data = trigger.model_dump(mode="json", by_alias=True, serialize_as_any=True)
    text = json.dumps([data, flow.disabled], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class FlowIndex:
    def __init__(self, store: Store, flows: FlowRepository) -> None:
        self.store = store
        self.flows = flows
        self.tenant = flows.tenant
        self.entries: dict[tuple[str, str], Entry] = {}
        # Flows in the store, parsed or not (an unparseable flow keeps its trigger state).
        self.known: set[tuple[str, str]] = set()
        # Flows whose latest revision is valid.
        self.valid: set[tuple[str, str]] = set()
        self.loaded = False
        self._broken: dict[tuple[str, str, int], str] = {}

    async def refresh(self) -> None:
        entries: dict[tuple[str, str], Entry] = {}
        known: set[tuple[str, str]] = set()
        valid: set[tuple[str, str]] = set()
        for record in await self.store.list_flows(self.tenant):
            key = (record.namespace, record.id)
            known.add(key)
            if (record.namespace, record.id, record.revision) in self._broken:
                continue
            try:
                flow = await self.flows.revision(record.namespace, record.id, record.revision)
            except HeadwayError as exc:
                self._broken[(record.namespace, record.id, record.revision)] = exc.message
                log.warning(
                    "flow %s.%s revision %d is invalid, its triggers are ignored: %s",
                    record.namespace, record.id, record.revision, exc.message,
                )  # fmt: skip
                continue
            valid.add(key)
            if flow.triggers:
                entries[key] = Entry(flow, record.revision)
        self.entries, self.known, self.valid, self.loaded = entries, known, valid, True

    def flow_triggers(self) -> list[tuple[Entry, FlowTrigger]]:
        return [
            (entry, trigger)
            for entry in self.entries.values()
            for trigger in entry.flow.triggers
            if isinstance(trigger, FlowTrigger)
        ]
