"""The store contract: trigger state, the outbox of ended executions, leases."""

from __future__ import annotations

import pytest

from headway.errors import StoreError
from headway.execution import LogEntry
from headway.state import State
from headway.store.base import Backfill, Batch, NewEvent, Store, TriggerState

from . import records
from .records import at


def state(flow: str = "f", trigger: str = "t", **kwargs: object) -> TriggerState:
    base: dict[str, object] = {
        "tenant": "main",
        "namespace": "company.team",
        "flow_id": flow,
        "trigger_id": trigger,
    }
    return TriggerState(**{**base, **kwargs})  # type: ignore[arg-type]


class TriggersContract:
    async def test_a_trigger_state_round_trips(self, store: Store) -> None:
        backfill = Backfill(
            start=at(0),
            current_date=at(60),
            end=at(3600),
            inputs={"n": 1},
            labels={"backfill": "true"},
            paused=True,
        )
        saved = state(
            next_date=at(10),
            last_date=at(5),
            disabled=True,
            execution_id="ex1",
            locked_until=at(20),
            backfill=backfill,
            data={"windows": {"w": {"results": {"a": "x"}}}},
        )
        await store.save_triggers([saved])
        back = await store.get_trigger("main", "company.team", "f", "t")
        assert back is not None and back.updated is not None
        assert (back.next_date, back.last_date, back.locked_until) == (at(10), at(5), at(20))
        assert (back.disabled, back.execution_id) == (True, "ex1")
        assert back.backfill == backfill
        assert back.data == {"windows": {"w": {"results": {"a": "x"}}}}
        assert await store.get_trigger("main", "company.team", "f", "other") is None
        assert await store.get_trigger("acme", "company.team", "f", "t") is None

    async def test_saving_again_replaces_the_state(self, store: Store) -> None:
        await store.save_triggers([state(next_date=at(10), execution_id="ex1")])
        await store.save_triggers([state(next_date=at(20))])
        back = await store.get_trigger("main", "company.team", "f", "t")
        assert back is not None and (back.next_date, back.execution_id) == (at(20), None)

    async def test_list_triggers_by_namespace_prefix_and_flow(self, store: Store) -> None:
        await store.save_triggers(
            [
                state("b", "t2"),
                state("a", "t1"),
                TriggerState("main", "company.team.sub", "c", "t"),
                TriggerState("main", "company.teams", "d", "t"),
                TriggerState("acme", "company.team", "e", "t"),
            ]
        )
        listed = await store.list_triggers("main")
        assert [(s.namespace, s.flow_id) for s in listed] == [
            ("company.team", "a"),
            ("company.team", "b"),
            ("company.team.sub", "c"),
            ("company.teams", "d"),
        ]
        in_team = await store.list_triggers("main", "company.team")
        assert [s.flow_id for s in in_team] == ["a", "b", "c"]
        assert [s.flow_id for s in await store.list_triggers("main", flow_id="b")] == ["b"]
        assert [s.flow_id for s in await store.list_triggers("acme")] == ["e"]

    async def test_delete_triggers_of_a_flow_keeping_some(self, store: Store) -> None:
        await store.save_triggers([state(trigger="a"), state(trigger="b"), state("g", "a")])
        assert await store.delete_triggers("main", "company.team", "f", keep=["b"]) == 1
        left = await store.list_triggers("main")
        assert [(s.flow_id, s.trigger_id) for s in left] == [("f", "b"), ("g", "a")]
        assert await store.delete_triggers("main", "company.team", "f") == 1
        assert [s.flow_id for s in await store.list_triggers("main")] == ["g"]

    async def test_commit_triggered_writes_executions_states_and_acks_together(
        self, store: Store
    ) -> None:
        await store.record_ended("main", ["done1", "done2"])
        ex = records.execution(state=State.CREATED)
        batch = Batch(executions=[ex], events=[NewEvent(ex.id, "created")])
        await store.commit_triggered(batch, [state(execution_id=ex.id)], ["done1"])
        assert await store.get_execution(ex.id) is not None
        assert [e.kind for e in await store.pending_events()] == ["created"]
        back = await store.get_trigger("main", "company.team", "f", "t")
        assert back is not None and back.execution_id == ex.id
        assert await store.ended_executions() == ["done2"]

    async def test_commit_triggered_writes_nothing_when_it_fails(self, store: Store) -> None:
        await store.record_ended("main", ["done1"])
        ex = records.execution(state=State.CREATED)
        bad = state(data={"not json": object()})
        with pytest.raises(StoreError):
            await store.commit_triggered(Batch(executions=[ex]), [bad], ["done1"])
        assert await store.get_execution(ex.id) is None
        assert await store.get_trigger("main", "company.team", "f", "t") is None
        assert await store.ended_executions() == ["done1"]

    async def test_ended_executions_are_recorded_once_in_order(self, store: Store) -> None:
        await store.record_ended("main", ["a", "b"])
        await store.record_ended("main", ["a", "c"])
        assert await store.ended_executions() == ["a", "b", "c"]
        assert await store.ended_executions(limit=2) == ["a", "b"]
        log = LogEntry("x", "INFO", "m", at(0))
        await store.commit_triggered(Batch(logs=[log]), [], ["a", "c"])
        assert await store.ended_executions() == ["b"]

    async def test_a_lease_has_one_holder_until_it_expires(self, store: Store) -> None:
        assert await store.acquire_lease("scheduler", "one", at(0), at(10))
        assert await store.acquire_lease("scheduler", "one", at(5), at(15))  # renewal
        assert not await store.acquire_lease("scheduler", "two", at(10), at(20))
        assert await store.acquire_lease("scheduler", "two", at(15), at(25))  # expired
        assert not await store.acquire_lease("scheduler", "one", at(16), at(26))
        assert await store.acquire_lease("other", "one", at(16), at(26))

    async def test_a_lease_is_shared_between_connections(
        self, store: Store, other_store: Store
    ) -> None:
        assert await store.acquire_lease("scheduler", "one", at(0), at(10))
        assert not await other_store.acquire_lease("scheduler", "two", at(1), at(11))
