"""The store contract: executions and batches."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from headway.errors import StoreError
from headway.execution import Execution
from headway.state import State
from headway.store.base import Batch, ExecutionQuery, NewEvent, Store, Timer

from . import records
from .records import add, at


class ExecutionsContract:
    async def test_execution_round_trip_keeps_everything(self, store: Store) -> None:
        ex = records.rich_execution()
        await add(store, ex)
        back = await store.get_execution(ex.id)
        assert back is not None
        assert back.to_json() == ex.to_json()
        assert back.to_store() == ex.to_store()
        assert [tr.to_store() for tr in back.task_runs] == [tr.to_store() for tr in ex.task_runs]
        assert back == ex

    async def test_get_unknown_execution(self, store: Store) -> None:
        assert await store.get_execution("missing") is None

    async def test_execution_changes_from_nothing_known_read_each_whole(self, store: Store) -> None:
        first, second = records.rich_execution(), records.execution()
        await add(store, first)
        await add(store, second)
        found = await store.execution_changes({second.id: 0, "missing": 0, first.id: 0})
        assert found.keys() == {first.id, second.id}
        for execution_id in found:
            assert found[execution_id].execution == await store.get_execution(execution_id)
            assert found[execution_id].task_run_count == len(
                found[execution_id].execution.task_runs
            )
        assert await store.execution_changes({}) == {}

    async def test_execution_changes_since_a_revision_bring_what_was_written_since(
        self, store: Store
    ) -> None:
        """What a reader kept, with the TaskRuns changed since its revision put in their
        places and the new ones after them, is the execution as stored."""
        ex = records.execution()
        runs = [records.task_run(ex, f"t{i}", task_run_id=f"id-{9 - i}") for i in range(3)]
        await store.commit(Batch(executions=[ex], task_runs=runs))
        (kept,) = (await store.execution_changes({ex.id: 0})).values()
        ex.state.transition(State.RUNNING, at(1))
        runs[1].state.transition(State.RUNNING, at(1))
        runs[1].outputs = {"v": 1}
        added = records.task_run(ex, "t3", task_run_id="id-0")
        await store.commit(Batch(executions=[ex], task_runs=[added, runs[1]]))
        (changes,) = (await store.execution_changes({ex.id: kept.revision})).values()
        assert changes.revision >= kept.revision
        assert changes.task_run_count == 4
        merged = {tr.id: tr for tr in kept.execution.task_runs}
        merged.update((tr.id, tr) for tr in changes.execution.task_runs)
        assert {"id-8", "id-0"} <= {tr.id for tr in changes.execution.task_runs}
        stored = await store.get_execution(ex.id)
        assert stored is not None
        assert dataclasses.replace(changes.execution, task_runs=list(merged.values())) == stored
        # Nothing written since: nothing more to know.
        (again,) = (await store.execution_changes({ex.id: changes.revision})).values()
        assert again.revision >= changes.revision
        assert {tr.id for tr in again.execution.task_runs} <= set(merged)

    async def test_execution_changes_count_the_task_runs_left_after_a_deletion(
        self, store: Store
    ) -> None:
        ex = records.execution()
        runs = [records.task_run(ex, f"t{i}") for i in range(3)]
        await store.commit(Batch(executions=[ex], task_runs=runs))
        (kept,) = (await store.execution_changes({ex.id: 0})).values()
        await store.commit(Batch(delete_task_runs=[runs[0].id]))
        (changes,) = (await store.execution_changes({ex.id: kept.revision})).values()
        assert changes.task_run_count == 2

    async def test_commit_updates_rows_and_keeps_task_runs_in_creation_order(
        self, store: Store
    ) -> None:
        ex = records.execution()
        runs = [records.task_run(ex, f"t{i}", task_run_id=f"id-{9 - i}") for i in range(3)]
        await store.commit(Batch(executions=[ex], task_runs=runs[:2]))
        ex.state.transition(State.RUNNING, at(1))
        runs[0].state.transition(State.RUNNING, at(1))
        runs[0].outputs = {"v": 1}
        await store.commit(Batch(executions=[ex], task_runs=[runs[2], runs[0]]))
        back = await store.get_execution(ex.id)
        assert back is not None
        assert back.current is State.RUNNING
        assert [tr.task_id for tr in back.task_runs] == ["t0", "t1", "t2"]
        assert back.task_runs[0].current is State.RUNNING
        assert back.task_runs[0].outputs == {"v": 1}

    async def test_a_row_given_twice_in_one_batch_is_written_as_last_given_in_its_first_place(
        self, store: Store
    ) -> None:
        ex = records.execution()
        runs = [records.task_run(ex, f"t{i}", task_run_id=f"id-{9 - i}") for i in range(3)]
        again = copy.deepcopy(runs[0])
        again.state.transition(State.RUNNING, at(1))
        events = [NewEvent(ex.id, kind) for kind in ("started", "result", "started")]
        later = copy.deepcopy(ex)
        later.state.transition(State.RUNNING, at(1))
        await store.commit(
            Batch(
                executions=[ex, later], task_runs=[runs[0], runs[1], again, runs[2]], events=events
            )
        )
        back = await store.get_execution(ex.id)
        assert back is not None and back.current is State.RUNNING
        assert [(tr.task_id, tr.current) for tr in back.task_runs] == [
            ("t0", State.RUNNING),
            ("t1", State.CREATED),
            ("t2", State.CREATED),
        ]
        assert [e.kind for e in await store.pending_events()] == ["started", "result", "started"]

    async def test_deleted_task_runs_go_before_the_upserts_of_the_same_batch(
        self, store: Store
    ) -> None:
        ex = records.execution()
        runs = [records.task_run(ex, f"t{i}") for i in range(3)]
        await store.commit(Batch(executions=[ex], task_runs=runs))
        runs[0].state.transition(State.RUNNING, at(1))
        await store.commit(
            Batch(task_runs=[runs[0]], delete_task_runs=[runs[1].id, runs[2].id, "unknown"])
        )
        back = await store.get_execution(ex.id)
        assert back is not None
        assert [(tr.task_id, tr.current) for tr in back.task_runs] == [("t0", State.RUNNING)]

    async def test_task_runs_can_be_added_without_their_execution_row(self, store: Store) -> None:
        ex = records.execution()
        await store.commit(Batch(executions=[ex]))
        late = records.task_run(ex, "dynamic")
        await store.commit(Batch(task_runs=[late]))
        back = await store.get_execution(ex.id)
        assert back is not None and [tr.id for tr in back.task_runs] == [late.id]

    async def test_search_matches_namespace_and_the_namespaces_below_it(self, store: Store) -> None:
        for ns in (
            "platform",
            "platform.ops",
            "platform.ops.db",
            "platformx",
            "platform-x",
            "other.platform",
        ):
            await add(store, records.execution(execution_id=ns, namespace=ns))
        found, total = await store.search_executions(ExecutionQuery(namespace="platform"))
        assert sorted(e.id for e in found) == ["platform", "platform.ops", "platform.ops.db"]
        assert total == 3
        found, _ = await store.search_executions(ExecutionQuery(namespace="platform.ops"))
        assert sorted(e.id for e in found) == ["platform.ops", "platform.ops.db"]

    async def test_search_filters_flow_states_labels_and_start_dates(self, store: Store) -> None:
        await add(
            store,
            records.execution(execution_id="a", flow_id="f", labels={"env": "prod", "t": "1"}),
            records.execution(
                execution_id="b", flow_id="f", state=State.FAILED, labels={"env": "prod"}
            ),
            records.execution(execution_id="c", flow_id="g", start=at(100)),
            records.execution(execution_id="d", flow_id="f", start=at(200), labels={"env": "dev"}),
        )

        async def ids(**query: object) -> list[str]:
            found, total = await store.search_executions(ExecutionQuery(**query))  # type: ignore[arg-type]
            assert total == len(found)
            return sorted(e.id for e in found)

        assert await ids() == ["a", "b", "c", "d"]
        assert await ids(flow_id="f") == ["a", "b", "d"]
        assert await ids(states=(State.FAILED,)) == ["b"]
        assert await ids(states=(State.FAILED, State.CREATED)) == ["a", "b", "c", "d"]
        assert await ids(labels=(("env", "prod"),)) == ["a", "b"]
        assert await ids(labels=(("env", "prod"), ("t", "1"))) == ["a"]
        assert await ids(labels=(("env", "staging"),)) == []
        assert await ids(start_after=at(100)) == ["c", "d"]
        assert await ids(start_before=at(100)) == ["a", "b"]
        assert await ids(start_after=at(50), start_before=at(150)) == ["c"]
        assert await ids(tenant="other") == []

    async def test_search_pages_newest_first_by_default(self, store: Store) -> None:
        await add(store, *(records.execution(execution_id=f"e{i}", start=at(i)) for i in range(7)))
        page1, total = await store.search_executions(ExecutionQuery(page=1, size=3))
        page3, _ = await store.search_executions(ExecutionQuery(page=3, size=3))
        page4, _ = await store.search_executions(ExecutionQuery(page=4, size=3))
        assert total == 7
        assert [e.id for e in page1] == ["e6", "e5", "e4"]
        assert [e.id for e in page3] == ["e0"]
        assert page4 == []
        oldest, _ = await store.search_executions(ExecutionQuery(size=2, descending=False))
        assert [e.id for e in oldest] == ["e0", "e1"]

    async def test_search_returns_task_runs_of_each_execution(self, store: Store) -> None:
        first, second = records.execution(start=at(0)), records.execution(start=at(1))
        first.task_runs = [records.task_run(first, "a"), records.task_run(first, "b")]
        second.task_runs = [records.task_run(second, "c")]
        await add(store, first, second)
        found, _ = await store.search_executions(ExecutionQuery(descending=False))
        assert [[tr.task_id for tr in e.task_runs] for e in found] == [["a", "b"], ["c"]]

    async def test_search_rejects_a_bad_page(self, store: Store) -> None:
        with pytest.raises(StoreError):
            await store.search_executions(ExecutionQuery(page=0))

    async def test_non_terminal_execution_ids_oldest_first(self, store: Store) -> None:
        await add(
            store,
            records.execution(execution_id="running", state=State.RUNNING, start=at(2)),
            records.execution(execution_id="done", state=State.SUCCESS, start=at(0)),
            records.execution(execution_id="paused", state=State.PAUSED, start=at(1)),
            records.execution(execution_id="created", start=at(3)),
            records.execution(execution_id="killed", state=State.KILLED, start=at(4)),
        )
        assert await store.non_terminal_execution_ids() == ["paused", "running", "created"]

    async def test_count_and_oldest_in_state_are_per_flow(self, store: Store) -> None:
        await add(
            store,
            records.execution(execution_id="r1", state=State.RUNNING, start=at(1)),
            records.execution(execution_id="q2", state=State.QUEUED, start=at(2)),
            records.execution(execution_id="q1", state=State.QUEUED, start=at(0)),
            records.execution(execution_id="x", flow_id="other", state=State.QUEUED),
            records.execution(execution_id="y", namespace="company", state=State.QUEUED),
        )
        count = store.count_executions
        assert await count("main", "company.team", "hello", (State.QUEUED,)) == 2
        assert await count("main", "company.team", "hello", (State.QUEUED, State.RUNNING)) == 3
        assert await count("main", "company.team", "hello", (State.FAILED,)) == 0
        assert await count("other", "company.team", "hello", (State.QUEUED,)) == 0
        oldest = store.oldest_execution_in_state
        assert await oldest("main", "company.team", "hello", State.QUEUED) == "q1"
        assert await oldest("main", "company.team", "hello", State.PAUSED) is None

    async def test_delete_execution_removes_all_its_rows(self, store: Store) -> None:
        doomed, kept = records.execution(), records.execution()
        for ex in (doomed, kept):
            ex.task_runs = [records.task_run(ex)]
            await store.commit(
                Batch(
                    executions=[ex],
                    task_runs=ex.task_runs,
                    enqueue=[records.queued(ex.id, ex.task_runs[0].id)],
                    events=[NewEvent(ex.id, "created")],
                    timers=[Timer(ex.id, at(10))],
                    logs=[records.log(ex.id, "hello")],
                )
            )
        assert await store.delete_execution(doomed.id) is True
        assert await store.delete_execution(doomed.id) is False
        assert await store.get_execution(doomed.id) is None
        assert await store.list_logs(doomed.id) == []
        assert [e.execution_id for e in await store.pending_events()] == [kept.id]
        assert [t.execution_id for t in (await store.inbox(at(10))).timers] == [kept.id]
        claimed = await store.claim("w", 10, at(0), at(30))
        assert [q.execution_id for q in claimed] == [kept.id]
        assert await store.get_execution(kept.id) is not None
        assert len(await store.list_logs(kept.id)) == 1


class BatchContract:
    async def test_empty_batch_writes_nothing(self, store: Store) -> None:
        await store.commit(Batch())
        assert await store.pending_events() == []

    async def test_a_batch_that_fails_midway_writes_nothing(self, store: Store) -> None:
        ex = records.execution()
        good = records.task_run(ex, "good")
        bad = records.task_run(ex, "bad")
        bad.task_id = None  # type: ignore[assignment]  # violates NOT NULL
        batch = Batch(
            executions=[ex],
            task_runs=[good, bad],
            enqueue=[records.queued(ex.id, good.id)],
            events=[NewEvent(ex.id, "created")],
            timers=[Timer(ex.id, at(1))],
            logs=[records.log(ex.id, "x")],
        )
        with pytest.raises(StoreError):
            await store.commit(batch)
        await self._assert_nothing_written(store, ex)

    async def test_a_batch_failing_on_its_last_write_writes_nothing(self, store: Store) -> None:
        ex = records.execution()
        bad_log = records.log(ex.id, "x")
        bad_log.message = None  # type: ignore[assignment]  # violates NOT NULL
        batch = Batch(
            executions=[ex],
            task_runs=[records.task_run(ex)],
            enqueue=[records.queued(ex.id)],
            events=[NewEvent(ex.id, "created")],
            timers=[Timer(ex.id, at(1))],
            logs=[records.log(ex.id, "fine"), bad_log],
        )
        with pytest.raises(StoreError):
            await store.commit(batch)
        await self._assert_nothing_written(store, ex)

    async def test_a_value_that_is_not_json_is_refused_cleanly(self, store: Store) -> None:
        ex = records.execution()
        with pytest.raises(StoreError, match="event"):
            await store.commit(
                Batch(executions=[ex], events=[NewEvent(ex.id, "result", {"x": object()})])
            )
        await self._assert_nothing_written(store, ex)

    async def test_a_failed_batch_leaves_earlier_writes_and_the_store_usable(
        self, store: Store
    ) -> None:
        ex = records.execution()
        await store.commit(Batch(executions=[ex], events=[NewEvent(ex.id, "created")]))
        bad = records.task_run(ex)
        bad.task_id = None  # type: ignore[assignment]
        with pytest.raises(StoreError):
            await store.commit(Batch(task_runs=[bad], events=[NewEvent(ex.id, "wake")]))
        assert [e.kind for e in await store.pending_events()] == ["created"]
        await store.commit(Batch(events=[NewEvent(ex.id, "wake")]))
        assert [e.kind for e in await store.pending_events()] == ["created", "wake"]

    async def _assert_nothing_written(self, store: Store, ex: Execution) -> None:
        assert await store.get_execution(ex.id) is None
        assert await store.pending_events() == []
        assert (await store.inbox(at(100))).timers == []
        assert await store.next_ready_at() is None
        assert await store.list_logs(ex.id) == []

    async def test_dequeue_then_enqueue_of_the_same_task_run(self, store: Store) -> None:
        first = records.queued("e", "tr", at(0))
        await store.commit(Batch(enqueue=[first]))
        await store.claim("w", 1, at(0), at(30))
        retry = records.queued("e", "tr", at(10), attempt=2)
        await store.commit(Batch(dequeue=["tr"], enqueue=[retry]))
        assert await store.next_ready_at() == at(10)
        claimed = await store.claim("w2", 5, at(10), at(40))
        assert [(q.task_run_id, q.attempt, q.worker_id) for q in claimed] == [("tr", 2, "w2")]

    async def test_clear_timers_then_set_the_next_one(self, store: Store) -> None:
        await store.commit(Batch(timers=[Timer("e", at(5)), Timer("e", at(6))]))
        await store.commit(Batch(clear_timers=["e"], timers=[Timer("e", at(60), "tr")]))
        assert (await store.inbox(at(100))).timers == [Timer("e", at(60), "tr")]
