"""The store contract: the executor's inbox and the workers' queue."""

from __future__ import annotations

import asyncio

from headway.store.base import Batch, NewEvent, QueueStats, Renewal, Store, Timer

from . import records
from .records import at


class InboxContract:
    async def test_events_oldest_first_until_acknowledged(self, store: Store) -> None:
        payload = {"taskRunId": "tr", "attempt": 1, "state": "SUCCESS", "outputs": {"a": [1]}}
        await store.commit(Batch(events=[NewEvent("e1", "created"), NewEvent("e2", "created")]))
        await store.commit(Batch(events=[NewEvent("e1", "result", payload)]))
        events = await store.pending_events()
        assert [(e.execution_id, e.kind) for e in events] == [
            ("e1", "created"),
            ("e2", "created"),
            ("e1", "result"),
        ]
        assert events[2].payload == payload
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        assert [e.kind for e in await store.pending_events(limit=1)] == ["created"]
        of_e1 = await store.pending_events(execution_id="e1")
        assert [e.seq for e in of_e1] == [events[0].seq, events[2].seq]
        assert [e.kind for e in await store.pending_events(1, execution_id="e1")] == ["created"]
        assert await store.pending_events(execution_id="missing") == []
        await store.commit(Batch(ack_events=[events[0].seq, events[2].seq]))
        assert [e.seq for e in await store.pending_events()] == [events[1].seq]

    async def test_event_seqs_are_never_reused(self, store: Store) -> None:
        await store.commit(Batch(events=[NewEvent("e", "created")]))
        (first,) = await store.pending_events()
        await store.commit(Batch(ack_events=[first.seq], events=[NewEvent("e", "wake")]))
        (second,) = await store.pending_events()
        assert second.seq > first.seq

    async def test_timers_fall_due_in_order(self, store: Store) -> None:
        assert (await store.inbox(at(-1_000_000))).next_timer_at is None
        await store.commit(
            Batch(timers=[Timer("b", at(20)), Timer("a", at(10), "tr"), Timer("c", at(30))])
        )
        assert (await store.inbox(at(-1_000_000))).next_timer_at == at(10)
        assert (await store.inbox(at(5))).timers == []
        assert (await store.inbox(at(20))).timers == [Timer("a", at(10), "tr"), Timer("b", at(20))]
        await store.commit(Batch(clear_timers=["a", "b"]))
        assert (await store.inbox(at(-1_000_000))).next_timer_at == at(30)

    async def test_naive_datetimes_are_utc(self, store: Store) -> None:
        naive = at(10).replace(tzinfo=None)
        await store.commit(Batch(timers=[Timer("a", naive)]))
        assert (await store.inbox(at(-1_000_000))).next_timer_at == at(10)


class QueueContract:
    async def test_claim_leases_ready_rows_in_ready_order(self, store: Store) -> None:
        rows = [
            records.queued("e", "late", at(30)),
            records.queued("e", "first", at(1)),
            records.queued("e", "second", at(2)),
            records.queued("e", "third", at(3)),
        ]
        await store.commit(Batch(enqueue=rows))
        claimed = await store.claim("w1", 2, at(10), at(40))
        assert [q.task_run_id for q in claimed] == ["first", "second"]
        assert all(q.worker_id == "w1" and q.lease_until == at(40) for q in claimed)
        assert claimed[0].ready_at == at(1) and claimed[0].execution_id == "e"
        again = await store.claim("w2", 10, at(10), at(40))
        assert [q.task_run_id for q in again] == ["third"]
        assert await store.claim("w2", 10, at(10), at(40)) == []
        assert await store.claim("w2", 0, at(100), at(140)) == []

    async def test_queue_stats_count_ready_waiting_and_leased_rows(self, store: Store) -> None:
        assert await store.queue_stats(at(0)) == QueueStats(0, 0, 0, None)
        rows = [
            records.queued("e", "a", at(1)),
            records.queued("e", "b", at(2)),
            records.queued("e", "later", at(50)),
            records.queued("e", "held", at(0)),
            records.queued("e", "expiring", at(0)),
        ]
        await store.commit(Batch(enqueue=rows))
        await store.claim("w1", 2, at(0), at(100))  # held, expiring (ready at 0)
        await store.heartbeat(records.worker("w1"), ["expiring"], at(0), at(5))
        stats = await store.queue_stats(at(10))
        # An expired lease is still a lease (until it is reaped), not a ready row.
        assert stats == QueueStats(ready=2, waiting=1, leased=2, oldest_ready_at=at(1))

    async def test_an_expired_lease_is_not_claimed_but_reaped(self, store: Store) -> None:
        await store.commit(Batch(enqueue=[records.queued("e", "tr", at(0))]))
        assert len(await store.claim("dead", 1, at(0), at(30))) == 1
        assert await store.claim("w2", 1, at(29), at(60)) == []
        assert await store.claim("w2", 1, at(31), at(60)) == []
        assert await store.reap_leases(at(31)) == 1
        assert [(e.kind, e.payload["taskRunId"]) for e in await store.pending_events()] == [
            ("lost", "tr")
        ]
        assert await store.claim("w2", 1, at(31), at(60)) == []  # its executor decides

    async def test_heartbeats_keep_leases_from_being_reaped(self, store: Store) -> None:
        await store.commit(Batch(enqueue=[records.queued("e", "a"), records.queued("e", "b")]))
        await store.claim("w1", 2, at(0), at(30))
        renewal = await store.heartbeat(records.worker("w1"), ["a"], at(10), at(90))
        assert renewal == Renewal(frozenset({"a"}), frozenset())
        intruder = await store.heartbeat(records.worker("intruder"), ["b"], at(10), at(90))
        assert intruder == Renewal(frozenset(), frozenset())
        assert await store.heartbeat(records.worker("w1"), [], at(10), at(90)) == Renewal(
            frozenset(), frozenset()
        )
        assert await store.reap_leases(at(60)) == 1
        assert [e.payload["taskRunId"] for e in await store.pending_events()] == ["b"]
        assert await store.lease_holders() == ["w1"]

    async def test_leases_of_dead_workers_are_reaped_at_once(self, store: Store) -> None:
        rows = [records.queued("e", "a"), records.queued("e", "b"), records.queued("e", "c")]
        await store.commit(Batch(enqueue=rows))
        await store.claim("dead", 2, at(0), at(30))
        await store.claim("alive", 1, at(0), at(30))
        assert sorted(await store.lease_holders()) == ["alive", "dead"]
        assert await store.reap_leases(at(1), ["dead"]) == 2
        assert await store.reap_leases(at(1), []) == 0
        assert await store.lease_holders() == ["alive"]
        lost = await store.pending_events()
        assert sorted((e.kind, e.payload["taskRunId"]) for e in lost) == [
            ("lost", "a"),
            ("lost", "b"),
        ]
        assert await store.claim("w2", 10, at(1), at(31)) == []

    async def test_claim_only_takes_rows_of_the_workers_group(self, store: Store) -> None:
        await store.commit(
            Batch(
                enqueue=[
                    records.queued("e", "any", at(0)),
                    records.queued("e", "gpu", at(0), worker_group="gpu"),
                ]
            )
        )
        assert [q.task_run_id for q in await store.claim("w", 10, at(1), at(9), "cpu")] == []
        gpu = await store.claim("w", 10, at(1), at(9), "gpu")
        assert [(q.task_run_id, q.worker_group) for q in gpu] == [("gpu", "gpu")]
        assert [q.task_run_id for q in await store.claim("w", 10, at(1), at(9))] == ["any"]

    async def test_next_ready_at_is_of_free_rows_only(self, store: Store) -> None:
        assert await store.next_ready_at() is None
        await store.commit(
            Batch(
                enqueue=[
                    records.queued("e", "a", at(10)),
                    records.queued("e", "b", at(20)),
                    records.queued("e", "c", at(30)),
                ]
            )
        )
        assert await store.next_ready_at() == at(10)
        await store.claim("w", 1, at(10), at(50))
        assert await store.next_ready_at() == at(20)
        await store.claim("w", 1, at(20), at(15))  # a lease that expires soon
        assert await store.next_ready_at() == at(30)  # a leased row is reaped, not claimed
        assert await store.reap_leases(at(16)) == 1
        assert await store.next_ready_at() == at(30)
        await store.commit(Batch(dequeue=["a", "c"]))
        assert await store.next_ready_at() is None

    async def test_enqueue_again_replaces_the_row_and_its_lease(self, store: Store) -> None:
        await store.commit(Batch(enqueue=[records.queued("e", "tr", at(0))]))
        await store.claim("w1", 1, at(0), at(100))
        await store.commit(Batch(enqueue=[records.queued("e", "tr", at(5), attempt=2)]))
        claimed = await store.claim("w2", 1, at(5), at(100))
        assert [(q.attempt, q.worker_id) for q in claimed] == [(2, "w2")]

    async def test_concurrent_claims_never_share_a_row(self, store: Store) -> None:
        ids = {f"tr{i:02d}" for i in range(40)}
        await store.commit(Batch(enqueue=[records.queued("e", i, at(0)) for i in ids]))
        results = await asyncio.gather(*(store.claim(f"w{n}", 3, at(1), at(60)) for n in range(20)))
        claimed = [q.task_run_id for result in results for q in result]
        assert len(claimed) == len(set(claimed)) == len(ids)

    async def test_claims_from_two_connections_never_share_a_row(
        self, store: Store, other_store: Store
    ) -> None:
        ids = {f"tr{i:03d}" for i in range(60)}
        await store.commit(Batch(enqueue=[records.queued("e", i, at(0)) for i in ids]))
        results = await asyncio.gather(
            *(s.claim(f"w{n}", 2, at(1), at(60)) for n in range(20) for s in (store, other_store))
        )
        claimed = [q.task_run_id for result in results for q in result]
        assert len(claimed) == len(set(claimed))
        assert set(claimed) == ids
