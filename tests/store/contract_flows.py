"""The store contract: flows, logs and key-value entries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from headway.errors import StoreError
from headway.store.base import Batch, KVEntry, LogQuery, Store

from . import records
from .records import T0, at


class FlowsContract:
    async def test_save_flow_starts_at_revision_one(self, store: Store) -> None:
        record = await store.save_flow("main", "company.team", "hello", "id: hello\n")
        assert (record.tenant, record.namespace, record.id) == ("main", "company.team", "hello")
        assert (record.revision, record.source, record.deleted) == (1, "id: hello\n", False)
        assert record.updated is not None

    async def test_save_flow_adds_a_revision_only_when_the_source_changes(
        self, store: Store
    ) -> None:
        await store.save_flow("main", "ns", "f", "v1")
        same = await store.save_flow("main", "ns", "f", "v1")
        changed = await store.save_flow("main", "ns", "f", "v2")
        assert (same.revision, changed.revision) == (1, 2)
        revisions = await store.flow_revisions("main", "ns", "f")
        assert [(r.revision, r.source) for r in revisions] == [(1, "v1"), (2, "v2")]

    async def test_get_flow_latest_or_given_revision(self, store: Store) -> None:
        await store.save_flow("main", "ns", "f", "v1")
        await store.save_flow("main", "ns", "f", "v2")
        latest = await store.get_flow("main", "ns", "f")
        first = await store.get_flow("main", "ns", "f", revision=1)
        assert latest is not None and (latest.revision, latest.source) == (2, "v2")
        assert first is not None and (first.revision, first.source) == (1, "v1")
        assert await store.get_flow("main", "ns", "f", revision=3) is None
        assert await store.get_flow("main", "ns", "other") is None
        assert await store.get_flow("other-tenant", "ns", "f") is None

    async def test_list_flows_gives_latest_live_revisions_by_namespace_then_id(
        self, store: Store
    ) -> None:
        await store.save_flow("main", "b.ns", "a", "1")
        await store.save_flow("main", "a.ns", "z", "1")
        await store.save_flow("main", "a.ns", "y", "1")
        await store.save_flow("main", "a.ns", "y", "2")
        await store.save_flow("main", "a.ns", "gone", "1")
        await store.delete_flow("main", "a.ns", "gone")
        await store.save_flow("other", "a.ns", "x", "1")
        listed = await store.list_flows("main")
        assert [(f.namespace, f.id, f.revision) for f in listed] == [
            ("a.ns", "y", 2),
            ("a.ns", "z", 1),
            ("b.ns", "a", 1),
        ]
        in_b = await store.list_flows("main", "b.ns")
        assert [(f.namespace, f.id) for f in in_b] == [("b.ns", "a")]
        assert [f.id for f in await store.list_flows("other")] == ["x"]

    async def test_delete_flow_hides_it_and_a_later_save_continues_the_revisions(
        self, store: Store
    ) -> None:
        await store.save_flow("main", "ns", "f", "v1")
        await store.save_flow("main", "ns", "f", "v2")
        assert await store.delete_flow("main", "ns", "f") is True
        assert await store.delete_flow("main", "ns", "f") is False
        assert await store.get_flow("main", "ns", "f") is None
        deleted = await store.get_flow("main", "ns", "f", revision=2)
        assert deleted is not None and deleted.deleted
        again = await store.save_flow("main", "ns", "f", "v2")
        assert (again.revision, again.deleted) == (3, False)
        latest = await store.get_flow("main", "ns", "f")
        assert latest is not None and latest.revision == 3

    async def test_delete_unknown_flow(self, store: Store) -> None:
        assert await store.delete_flow("main", "ns", "nope") is False


class LogsContract:
    async def test_logs_round_trip_in_order_with_growing_ids(self, store: Store) -> None:
        entries = [records.log("e", f"line {i}", seconds=i) for i in range(3)]
        await store.append_logs(entries[:2])
        await store.commit(Batch(logs=entries[2:]))
        await store.append_logs([records.log("other", "elsewhere")])
        listed = await store.list_logs("e")
        assert [entry for _, entry in listed] == entries
        ids = [log_id for log_id, _ in listed]
        assert ids == sorted(ids) and len(set(ids)) == 3

    async def test_list_logs_filters(self, store: Store) -> None:
        await store.append_logs(
            [
                records.log("e", "t", level="TRACE"),
                records.log("e", "d", level="DEBUG", task_run_id="tr1"),
                records.log("e", "i", level="INFO", task_run_id="tr2"),
                records.log("e", "w", level="WARN", task_run_id="tr1"),
                records.log("e", "x", level="ERROR"),
            ]
        )

        async def messages(**filters: object) -> str:
            listed = await store.list_logs("e", **filters)  # type: ignore[arg-type]
            return "".join(entry.message for _, entry in listed)

        assert await messages() == "tdiwx"
        assert await messages(min_level="WARN") == "wx"
        assert await messages(min_level="INFO") == "iwx"
        assert await messages(min_level="TRACE") == "tdiwx"
        assert await messages(task_run_id="tr1") == "dw"
        assert await messages(task_run_id="tr1", min_level="INFO") == "w"
        third_id = (await store.list_logs("e"))[2][0]
        assert await messages(after_id=third_id) == "wx"
        with pytest.raises(StoreError, match="level"):
            await store.list_logs("e", min_level="LOUD")

    async def test_search_logs_across_executions_newest_first(self, store: Store) -> None:
        entries = [
            records.log("e1", "disk full", level="ERROR", seconds=1),
            records.log("e1", "retrying", level="WARN", seconds=2),
            records.log("e2", "Disk ok", seconds=3),
            replace(records.log("e3", "other flow", seconds=4), flow_id="other"),
            replace(records.log("e4", "elsewhere", seconds=5), namespace="company.teamx"),
            replace(records.log("e5", "below", seconds=6), namespace="company.team.sub"),
            replace(records.log("e6", "another tenant", seconds=7), tenant="t2"),
        ]
        await store.append_logs(entries)

        async def found(**filters: Any) -> tuple[list[str], int]:
            page, total = await store.search_logs(LogQuery(**filters))
            return [entry.message for entry in page], total

        assert await found() == (
            ["below", "elsewhere", "other flow", "Disk ok", "retrying", "disk full"],
            6,
        )
        assert await found(namespace="company.team") == (
            ["below", "other flow", "Disk ok", "retrying", "disk full"],
            5,
        )
        assert await found(flow_id="hello", min_level="WARN") == (["retrying", "disk full"], 2)
        assert await found(text="DISK") == (["Disk ok", "disk full"], 2)
        assert await found(execution_id="e1") == (["retrying", "disk full"], 2)
        assert await found(after=at(2), before=at(4)) == (["Disk ok", "retrying"], 2)
        assert await found(size=2, page=2) == (["other flow", "Disk ok"], 6)
        assert await found(tenant="t2") == (["another tenant"], 1)
        with pytest.raises(StoreError, match="level"):
            await store.search_logs(LogQuery(min_level="LOUD"))

    async def test_append_no_logs(self, store: Store) -> None:
        await store.append_logs([])
        assert await store.list_logs("e") == []


class KVContract:
    async def test_put_get_list_delete(self, store: Store) -> None:
        value = {"a": [1, 2.5, None, "x"], "b": True}
        assert await store.kv_put(KVEntry("main", "ns", "k2", value)) is True
        assert await store.kv_put(KVEntry("main", "ns", "k1", "text")) is True
        assert await store.kv_put(KVEntry("main", "ns.sub", "k3", 3)) is True
        entry = await store.kv_get("main", "ns", "k2", at(0))
        assert entry is not None and entry.value == value and entry.updated is not None
        listed = await store.kv_list("main", "ns", at(0))
        assert [(e.key, e.value) for e in listed] == [("k1", "text"), ("k2", value)]
        assert await store.kv_get("other", "ns", "k2", at(0)) is None
        assert await store.kv_delete("main", "ns", "k2") is True
        assert await store.kv_delete("main", "ns", "k2") is False
        assert await store.kv_get("main", "ns", "k2", at(0)) is None

    async def test_overwrite(self, store: Store) -> None:
        await store.kv_put(KVEntry("main", "ns", "k", 1))
        assert await store.kv_put(KVEntry("main", "ns", "k", 2)) is True
        assert await store.kv_put(KVEntry("main", "ns", "k", 3), overwrite=False) is False
        entry = await store.kv_get("main", "ns", "k", at(0))
        assert entry is not None and entry.value == 2

    async def test_expired_entries_are_hidden_and_may_be_replaced(self, store: Store) -> None:
        entry = KVEntry("main", "ns", "k", "v", expires_at=at(10), updated=at(0))
        assert await store.kv_put(entry)
        got = await store.kv_get("main", "ns", "k", at(9))
        assert got is not None and got.expires_at == at(10) and got.updated == at(0)
        assert await store.kv_get("main", "ns", "k", at(10)) is None
        assert await store.kv_list("main", "ns", at(10)) == []
        assert len(await store.kv_list("main", "ns", at(9))) == 1
        early = KVEntry("main", "ns", "k", "new", updated=at(5))
        assert await store.kv_put(early, overwrite=False) is False
        late = KVEntry("main", "ns", "k", "new", updated=at(10))
        assert await store.kv_put(late, overwrite=False) is True
        got = await store.kv_get("main", "ns", "k", at(1000))
        assert got is not None and got.value == "new" and got.expires_at is None

    async def test_a_value_that_is_not_json_is_refused(self, store: Store) -> None:
        with pytest.raises(StoreError, match="KV"):
            await store.kv_put(KVEntry("main", "ns", "k", {1, 2}))
        assert await store.kv_get("main", "ns", "k", T0) is None
