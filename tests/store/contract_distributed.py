"""The store contract: several processes on one store.

Executors own the executions they advance (:class:`Ownership`, a token per change of hands),
a batch is fenced on what its writer must still hold (:class:`Fence`), workers register and
renew their leases through heartbeats, and expired leases (or those of dead workers) are
reaped into ``lost`` events.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from headway.execution import iso
from headway.state import State
from headway.store.base import (
    Batch,
    Fence,
    Fenced,
    NewEvent,
    Ownership,
    Renewal,
    Store,
    Timer,
    WorkerInfo,
)

from . import records
from .records import add, at

NONE: frozenset[str] = frozenset()


async def take(store: Store, owner: str, now: float, until: float, *also: str) -> dict[str, str]:
    """What ``owner`` owns after reading its inbox at ``now`` (tokens by execution)."""
    inbox = await store.inbox(at(now), ownership=Ownership(owner, at(until), also))
    return inbox.owned


async def snapshot(store: Store, execution_id: str) -> tuple[Any, ...]:
    """Everything a batch of the execution could have written (read without writing)."""
    inbox = await store.inbox(at(1000))
    return (
        await store.get_execution(execution_id),  # with its TaskRuns
        [(e.seq, e.execution_id, e.kind, e.payload) for e in await store.pending_events()],
        [entry.message for _, entry in await store.list_logs(execution_id)],
        inbox.timers,
        inbox.next_timer_at,
        await store.queue_stats(at(1000)),
        await store.next_ready_at(),
        sorted(await store.lease_holders()),
    )


class OwnershipContract:
    async def test_an_executor_takes_executions_with_events_timers_or_asked_for(
        self, store: Store
    ) -> None:
        await store.commit(
            Batch(
                events=[NewEvent("e1", "created")],
                timers=[Timer("e2", at(5)), Timer("later", at(500))],
            )
        )
        inbox = await store.inbox(at(10), ownership=Ownership("x1", at(40), ("e3",)))
        assert set(inbox.owned) == {"e1", "e2", "e3"}
        assert all(isinstance(token, str) and token for token in inbox.owned.values())
        assert [(e.execution_id, e.kind) for e in inbox.events] == [("e1", "created")]
        assert inbox.timers == [Timer("e2", at(5))]
        assert inbox.next_timer_at == at(5)
        # Reading again while it owns them: the same executions, the same tokens.
        again = await store.inbox(at(20), ownership=Ownership("x1", at(50)))
        assert again.owned == {e: inbox.owned[e] for e in ("e1", "e2")}
        assert again.events == inbox.events and again.timers == inbox.timers

    async def test_another_executor_sees_nothing_of_executions_a_live_owner_has(
        self, store: Store
    ) -> None:
        await store.commit(Batch(events=[NewEvent("e1", "created")], timers=[Timer("e2", at(5))]))
        mine = await take(store, "x1", 10, 40)
        assert set(mine) == {"e1", "e2"}
        await store.commit(
            Batch(
                events=[NewEvent("e1", "wake"), NewEvent("e3", "created")],
                timers=[Timer("e1", at(15))],
            )
        )
        other = await store.inbox(at(20), ownership=Ownership("x2", at(60), ("e1", "e2")))
        assert other.owned.keys() == {"e3"}
        assert [(e.execution_id, e.kind) for e in other.events] == [("e3", "created")]
        assert other.timers == []
        # The owner still sees all of its own (and x2 kept e3).
        back = await store.inbox(at(20), ownership=Ownership("x1", at(40), ("e3",)))
        assert back.owned == mine
        assert [(e.execution_id, e.kind) for e in back.events] == [
            ("e1", "created"),
            ("e1", "wake"),
        ]
        assert back.timers == [Timer("e2", at(5)), Timer("e1", at(15))]

    async def test_an_expired_ownership_changes_hands_with_a_new_token(self, store: Store) -> None:
        await store.commit(Batch(events=[NewEvent("e1", "created")]))
        first = await take(store, "x1", 0, 30)
        assert await take(store, "x2", 29, 90, "e1") == {}
        second = await store.inbox(at(31), ownership=Ownership("x2", at(90)))
        assert second.owned.keys() == {"e1"}
        assert second.owned["e1"] != first["e1"]
        assert [e.kind for e in second.events] == ["created"]
        late = await store.inbox(at(32), ownership=Ownership("x1", at(62), ("e1",)))
        assert late.owned == {} and late.events == []
        assert await store.renew_ownership("x1", at(100)) == set()
        assert await store.renew_ownership("x2", at(100)) == {"e1"}

    async def test_the_same_owner_taking_back_its_expired_ownership_keeps_its_token(
        self, store: Store
    ) -> None:
        first = await take(store, "x1", 0, 30, "e1")
        assert set(first) == {"e1"}
        assert await take(store, "x1", 50, 80, "e1") == first
        # ... and it holds it again: nobody else takes it.
        assert await take(store, "x2", 60, 90, "e1") == {}

    async def test_renew_ownership_returns_what_is_still_owned(self, store: Store) -> None:
        assert set(await take(store, "x1", 0, 30, "e1", "e2")) == {"e1", "e2"}
        assert set(await take(store, "x2", 31, 90, "e2")) == {"e2"}
        assert await store.renew_ownership("x1", at(120)) == {"e1"}
        # Renewed: e1 stays x1's after its first term.
        assert await take(store, "x2", 100, 150, "e1") == {}
        assert await store.renew_ownership("nobody", at(120)) == set()

    async def test_release_ownership_frees_the_executions_at_once(self, store: Store) -> None:
        await take(store, "x1", 0, 100, "e1", "e2")
        await take(store, "x2", 0, 100, "e3")
        assert sorted(await store.owners()) == ["x1", "x2"]
        assert await store.release_ownership("x1") == 2
        assert await store.owners() == ["x2"]
        assert await store.release_ownership("x1") == 0
        assert set(await take(store, "x2", 1, 100, "e1", "e2", "e3")) == {"e1", "e2", "e3"}
        assert await store.renew_ownership("x1", at(100)) == set()

    async def test_two_connections_taking_the_same_executions_share_none(
        self, store: Store, other_store: Store
    ) -> None:
        ids = [f"e{i:02d}" for i in range(30)]
        await store.commit(Batch(events=[NewEvent(e, "created") for e in ids[::3]]))
        calls = [
            (s, f"x{n}-{i}", tuple(ids[(n * 7) % 30 :] + ids[: (n * 7) % 30])[:12])
            for n in range(10)
            for i, s in enumerate((store, other_store))
        ]
        inboxes = await asyncio.gather(
            *(s.inbox(at(0), ownership=Ownership(owner, at(60), also)) for s, owner, also in calls)
        )
        taken = [e for inbox in inboxes for e in inbox.owned]
        assert len(taken) == len(set(taken))
        assert set(taken) == set(ids)  # each was asked for, and free
        for inbox in inboxes:
            assert {e.execution_id for e in inbox.events} <= inbox.owned.keys()


class FenceContract:
    async def _owned_elsewhere(self, store: Store) -> tuple[str, Batch]:
        """An execution x1 owned and x2 took over (its ownership expired), and a batch that
        writes everything a batch can for it, fenced for x1."""
        ex = records.execution(state=State.RUNNING)
        ex.task_runs = [
            records.task_run(ex, "a", task_run_id="tr-a"),
            records.task_run(ex, "b", task_run_id="tr-b"),
        ]
        await add(store, ex)
        await store.commit(
            Batch(
                enqueue=[records.queued(ex.id, "tr-a"), records.queued(ex.id, "tr-b")],
                events=[NewEvent(ex.id, "created")],
                timers=[Timer(ex.id, at(5))],
                logs=[records.log(ex.id, "before")],
            )
        )
        assert [q.task_run_id for q in await store.claim("w1", 1, at(0), at(900))] == ["tr-a"]
        inbox = await store.inbox(at(10), ownership=Ownership("x1", at(30)))
        assert inbox.owned.keys() == {ex.id}
        (created,) = inbox.events
        assert (await take(store, "x2", 31, 900)).keys() == {ex.id}
        ended = records.execution(execution_id=ex.id, state=State.SUCCESS)
        batch = Batch(
            executions=[ended],
            task_runs=[records.task_run(ended, "new", task_run_id="tr-new")],
            delete_task_runs=["tr-b"],
            enqueue=[records.queued(ex.id, "tr-new", at(1))],
            dequeue=["tr-b"],
            events=[NewEvent(ex.id, "wake")],
            ack_events=[created.seq],
            timers=[Timer(ex.id, at(50))],
            clear_timers=[ex.id],
            logs=[records.log(ex.id, "after")],
            cancel=["tr-a"],
            fence=Fence("x1", [ex.id], release=[ex.id]),
        )
        return ex.id, batch

    async def test_a_batch_for_an_execution_no_longer_owned_writes_nothing(
        self, store: Store
    ) -> None:
        execution_id, batch = await self._owned_elsewhere(store)
        before = await snapshot(store, execution_id)
        with pytest.raises(Fenced):
            await store.commit(batch)
        assert await snapshot(store, execution_id) == before
        renewal = await store.heartbeat(records.worker("w1"), ["tr-a"], at(40), at(900))
        assert renewal == Renewal(frozenset({"tr-a"}), NONE)  # not cancelled
        assert await store.renew_ownership("x2", at(900)) == {execution_id}
        # Nor for an executor that never owned it.
        batch.fence = Fence("nobody", [execution_id])
        with pytest.raises(Fenced):
            await store.commit(batch)
        assert await snapshot(store, execution_id) == before
        # The same batch, fenced for its owner, applies (and releases the execution).
        batch.fence = Fence("x2", [execution_id], release=[execution_id])
        await store.commit(batch)
        after = await store.get_execution(execution_id)
        assert after is not None and after.current is State.SUCCESS
        assert [tr.id for tr in after.task_runs] == ["tr-a", "tr-new"]
        assert [e.kind for e in await store.pending_events()] == ["wake"]
        logged = [entry.message for _, entry in await store.list_logs(execution_id)]
        assert logged == ["before", "after"]
        assert (await store.inbox(at(1000))).timers == [Timer(execution_id, at(50))]
        renewal = await store.heartbeat(records.worker("w1"), ["tr-a"], at(40), at(900))
        assert renewal == Renewal(frozenset({"tr-a"}), frozenset({"tr-a"}))
        assert await store.renew_ownership("x2", at(900)) == set()

    async def test_a_batch_fenced_on_several_executions_needs_them_all(self, store: Store) -> None:
        await take(store, "x1", 0, 100, "mine")
        await take(store, "x2", 0, 100, "theirs")
        batch = Batch(
            events=[NewEvent("mine", "wake")],
            logs=[records.log("mine", "x")],
            fence=Fence("x1", ["mine", "theirs"], release=["mine"]),
        )
        with pytest.raises(Fenced):
            await store.commit(batch)
        assert await store.pending_events() == []
        assert await store.list_logs("mine") == []
        assert await store.renew_ownership("x1", at(100)) == {"mine"}  # not released
        batch.fence = Fence("x1", ["mine", "mine"])
        await store.commit(batch)
        assert [e.kind for e in await store.pending_events()] == ["wake"]

    async def test_a_batch_fenced_on_leases_not_held_writes_nothing(self, store: Store) -> None:
        await store.commit(
            Batch(enqueue=[records.queued("e", "tr", at(0)), records.queued("e", "free", at(5))])
        )
        await store.claim("w1", 1, at(0), at(30))
        before = await snapshot(store, "e")

        def result(worker_id: str, task_run_id: str = "tr") -> Batch:
            return Batch(
                dequeue=[task_run_id],
                events=[NewEvent("e", "result", {"taskRunId": task_run_id, "state": "SUCCESS"})],
                logs=[records.log("e", f"done by {worker_id}", task_run_id=task_run_id)],
                fence=Fence(leases=[(task_run_id, worker_id)]),
            )

        for batch in (
            result("w2"),  # leased to another worker
            result("w1", "free"),  # leased to no one
            result("w1", "unknown"),  # not in the queue
        ):
            with pytest.raises(Fenced):
                await store.commit(batch)
            assert await snapshot(store, "e") == before
        both = result("w1")
        assert both.fence is not None
        both.fence.leases.append(("free", "w1"))
        with pytest.raises(Fenced):
            await store.commit(both)
        assert await snapshot(store, "e") == before
        # Reaped (its lease expired): the worker's late result is refused too.
        assert await store.reap_leases(at(31)) == 1
        reaped = await snapshot(store, "e")
        with pytest.raises(Fenced):
            await store.commit(result("w1"))
        assert await snapshot(store, "e") == reaped

    async def test_a_batch_fenced_on_a_lease_held_applies(self, store: Store) -> None:
        await store.commit(Batch(enqueue=[records.queued("e", "tr", at(0))]))
        await store.claim("w1", 1, at(0), at(30))
        await store.commit(
            Batch(
                dequeue=["tr"],
                events=[NewEvent("e", "result", {"taskRunId": "tr"})],
                fence=Fence(leases=[("tr", "w1")]),
            )
        )
        assert await store.lease_holders() == []
        assert [e.kind for e in await store.pending_events()] == ["result"]

    async def test_fence_release_drops_the_ownership_in_the_same_commit(self, store: Store) -> None:
        await take(store, "x1", 0, 100, "e1", "e2")
        await store.commit(
            Batch(events=[NewEvent("e1", "ended")], fence=Fence("x1", ["e1"], release=["e1"]))
        )
        assert await store.renew_ownership("x1", at(100)) == {"e2"}
        assert set(await take(store, "x2", 1, 100, "e1", "e2")) == {"e1"}
        # A batch that only releases is a batch.
        await store.commit(Batch(fence=Fence("x1", release=["e2"])))
        assert await store.renew_ownership("x1", at(100)) == set()
        # Releasing what another executor owns does nothing.
        await store.commit(Batch(fence=Fence("x1", release=["e1"])))
        assert await store.renew_ownership("x2", at(100)) == {"e1"}


class ReapContract:
    async def test_expired_leases_become_lost_events_and_leave_the_queue(
        self, store: Store
    ) -> None:
        await store.commit(
            Batch(
                enqueue=[
                    records.queued("e1", "a", at(0), attempt=3),
                    records.queued("e2", "b", at(0)),
                    records.queued("e1", "free", at(0), worker_group="nobody"),
                ]
            )
        )
        await store.claim("w1", 1, at(0), at(30))
        await store.claim("w2", 1, at(0), at(60))
        assert await store.reap_leases(at(29)) == 0
        assert await store.reap_leases(at(31)) == 1
        (lost,) = await store.pending_events()
        assert (lost.execution_id, lost.kind) == ("e1", "lost")
        assert lost.payload == {
            "taskRunId": "a",
            "attempt": 3,
            "workerId": "w1",
            "leaseUntil": iso(at(30)),
        }
        assert await store.lease_holders() == ["w2"]
        stats = await store.queue_stats(at(31))
        assert (stats.ready, stats.leased) == (1, 1)
        assert await store.reap_leases(at(31)) == 0  # once only
        assert await store.reap_leases(at(61)) == 1
        events = await store.pending_events()
        assert [(e.execution_id, e.payload["taskRunId"]) for e in events] == [
            ("e1", "a"),
            ("e2", "b"),
        ]
        assert await store.reap_leases(at(1000)) == 0  # a free row is never reaped
        assert (await store.queue_stats(at(1000))).ready == 1

    async def test_every_lease_of_given_workers_is_reaped_whatever_its_term(
        self, store: Store
    ) -> None:
        await store.commit(
            Batch(enqueue=[records.queued("e", tr, at(0)) for tr in ("a", "b", "c", "d")])
        )
        await store.claim("dead", 2, at(0), at(900))  # a, b
        await store.claim("alive", 1, at(0), at(5))  # c, expired but not asked for
        assert await store.reap_leases(at(10), []) == 0
        assert await store.reap_leases(at(10), ["dead", "unknown"]) == 2
        lost = await store.pending_events()
        assert sorted((e.kind, e.payload["taskRunId"], e.payload["workerId"]) for e in lost) == [
            ("lost", "a", "dead"),
            ("lost", "b", "dead"),
        ]
        assert {e.payload["leaseUntil"] for e in lost} == {iso(at(900))}
        assert await store.reap_leases(at(10), ["dead"]) == 0
        assert await store.lease_holders() == ["alive"]
        stats = await store.queue_stats(at(10))
        assert (stats.ready, stats.leased) == (1, 1)  # d free, c leased


class WorkersContract:
    async def test_a_heartbeat_registers_the_worker(self, store: Store) -> None:
        assert await store.workers() == []
        gpu = records.worker("w2", "gpu", slots=8, host="host-b", started=at(-5))
        assert await store.heartbeat(gpu, [], at(1), at(31)) == Renewal(NONE, NONE)
        await store.heartbeat(records.worker("w1"), [], at(2), at(32))
        assert await store.workers() == [
            WorkerInfo("w1", None, 4, "host-a", at(0), at(2)),
            WorkerInfo("w2", "gpu", 8, "host-b", at(-5), at(1)),
        ]
        await store.heartbeat(gpu, [], at(11), at(41))
        assert [(w.id, w.started, w.heartbeat) for w in await store.workers()] == [
            ("w1", at(0), at(2)),
            ("w2", at(-5), at(11)),
        ]
        await store.remove_worker("w1")
        await store.remove_worker("unknown")
        assert [w.id for w in await store.workers()] == ["w2"]

    async def test_workers_silent_and_leasing_nothing_are_pruned(self, store: Store) -> None:
        await store.commit(Batch(enqueue=[records.queued("e", "tr-a", at(0))]))
        for worker_id, beat in (("killed", 10), ("holds", 10), ("alive", 95)):
            await store.heartbeat(records.worker(worker_id), [], at(beat), at(beat + 30))
        await store.claim("holds", 1, at(10), at(40))
        # "holds" is as silent, but its lease is reaped first (then it goes too).
        assert await store.prune_workers(at(60)) == ["killed"]
        assert [w.id for w in await store.workers()] == ["alive", "holds"]
        assert await store.prune_workers(at(60)) == []
        await store.reap_leases(at(60))
        assert await store.prune_workers(at(60)) == ["holds"]
        assert [w.id for w in await store.workers()] == ["alive"]

    async def test_a_heartbeat_renews_only_the_workers_own_leases(self, store: Store) -> None:
        await store.commit(
            Batch(enqueue=[records.queued("e", tr, at(0)) for tr in ("a", "b", "c")])
        )
        await store.claim("w1", 2, at(0), at(30))  # a, b
        await store.claim("w2", 1, at(0), at(30))  # c
        renewal = await store.heartbeat(records.worker("w1"), ["a", "c", "gone"], at(10), at(90))
        assert renewal == Renewal(frozenset({"a"}), NONE)
        assert await store.reap_leases(at(60)) == 2  # b (not renewed), c (not w1's)
        assert sorted(e.payload["taskRunId"] for e in await store.pending_events()) == ["b", "c"]
        # A reaped row is no longer held: the worker stops and reports nothing.
        renewal = await store.heartbeat(records.worker("w1"), ["a", "b"], at(61), at(120))
        assert renewal == Renewal(frozenset({"a"}), NONE)
        assert await store.reap_leases(at(100)) == 0

    async def test_a_heartbeat_reports_rows_a_kill_cancelled(self, store: Store) -> None:
        await store.commit(
            Batch(enqueue=[records.queued("e", tr, at(0)) for tr in ("a", "b", "c")])
        )
        await store.claim("w1", 2, at(0), at(30))  # a, b
        await store.commit(Batch(cancel=["a", "unknown"]))
        renewal = await store.heartbeat(records.worker("w1"), ["a", "b"], at(1), at(31))
        assert renewal == Renewal(frozenset({"a", "b"}), frozenset({"a"}))
        # Cancelled, a row is still leased (the worker stops it and reports the kill).
        assert await store.lease_holders() == ["w1"]
        assert await store.reap_leases(at(10)) == 0

    async def test_enqueueing_a_task_run_again_clears_its_cancelled_flag(
        self, store: Store
    ) -> None:
        await store.commit(Batch(enqueue=[records.queued("e", "tr", at(0))]))
        await store.claim("w1", 1, at(0), at(30))
        await store.commit(Batch(cancel=["tr"]))
        renewal = await store.heartbeat(records.worker("w1"), ["tr"], at(1), at(31))
        assert renewal.cancelled == {"tr"}
        await store.commit(
            Batch(dequeue=["tr"], enqueue=[records.queued("e", "tr", at(2), attempt=2)])
        )
        claimed = await store.claim("w2", 1, at(2), at(32))
        assert [(q.task_run_id, q.attempt) for q in claimed] == [("tr", 2)]
        renewal = await store.heartbeat(records.worker("w2"), ["tr"], at(3), at(33))
        assert renewal == Renewal(frozenset({"tr"}), NONE)
        # Enqueued again without a dequeue (an upsert of the same row) clears it too.
        await store.commit(Batch(cancel=["tr"]))
        await store.commit(Batch(enqueue=[records.queued("e", "tr", at(4), attempt=3)]))
        await store.claim("w3", 1, at(4), at(34))
        renewal = await store.heartbeat(records.worker("w3"), ["tr"], at(5), at(35))
        assert renewal == Renewal(frozenset({"tr"}), NONE)
