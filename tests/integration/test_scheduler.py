"""The scheduler on the real engine and a SQLite store, with a clock moved by hand: schedules
(trigger variables, no overlap, recoverMissedSchedules after downtime, lateMaximumDelay),
ScheduleOnDates, backfills, a trigger whose inputs are invalid, stopAfter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository
from headway.errors import HeadwayError, StoreError
from headway.execution import Execution
from headway.plugins.registry import default_registry
from headway.scheduler import ManualClock, Scheduler, control
from headway.settings import Settings
from headway.state import State
from headway.store import open_store
from headway.store.base import ExecutionQuery, Fenced, Store

T0 = datetime(2024, 5, 1, 10, 1, tzinfo=UTC)  # a Wednesday


class Harness:
    def __init__(self, engine: Engine, clock: ManualClock) -> None:
        self.engine = engine
        self.store: Store = engine.store
        self.clock = clock
        self.scheduler = self.new_scheduler()

    def new_scheduler(self) -> Scheduler:
        """A scheduler as a (re)started server makes one (its start is now)."""
        return Scheduler(self.store, self.engine.flows, self.engine.executor, clock=self.clock)

    async def save(self, source: str) -> None:
        namespace = source.split("namespace:")[1].split()[0]
        flow_id = source.split("id:")[1].split()[0]
        await self.store.save_flow("main", namespace, flow_id, source)

    async def at(self, moment: datetime, scheduler: Scheduler | None = None) -> None:
        """Evaluate at ``moment``, once what runs has ended or paused (as real time would
        let it: the tests move the clock by minutes in milliseconds)."""
        found, _ = await self.store.search_executions(ExecutionQuery(size=1000))
        for execution in found:
            await asyncio.wait_for(self.engine.wait(execution.id), 10)
        self.clock.set(moment)
        await (scheduler or self.scheduler).tick()

    async def executions(self, flow_id: str) -> list[Execution]:
        found, _ = await self.store.search_executions(
            ExecutionQuery(flow_id=flow_id, descending=False, size=100)
        )
        return found

    async def settled(self, flow_id: str) -> list[Execution]:
        return [
            await asyncio.wait_for(self.engine.wait(e.id), 10)
            for e in await self.executions(flow_id)
        ]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    registry = default_registry()
    repo = FlowRepository(store, registry, tenant=settings.tenant)
    engine = Engine(store, settings, registry=registry, flows=repo)
    await engine.start()
    try:
        yield Harness(engine, ManualClock(T0))
    finally:
        await engine.stop()
        await store.close()


EVERY_5_MINUTES = """
id: every5
namespace: sched
inputs:
  - id: who
    type: STRING
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.who }} at {{ trigger.date }}"
outputs:
  - id: dates
    type: JSON
    value:
      date: "{{ trigger.date }}"
      next: "{{ trigger.next }}"
      previous: "{{ trigger.previous }}"
triggers:
  - id: five
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/5 * * * *"
    inputs:
      who: "scheduled {{ trigger.date | date('HH:mm') }}"
"""


async def test_a_schedule_fires_at_its_date_with_trigger_variables(harness: Harness) -> None:
    await harness.save(EVERY_5_MINUTES)
    await harness.at(T0)
    state = await harness.store.get_trigger("main", "sched", "every5", "five")
    assert state is not None and state.next_date == T0.replace(minute=5)
    await harness.at(T0.replace(minute=4, second=59))
    assert await harness.executions("every5") == []
    await harness.at(T0.replace(minute=5, microsecond=50_000))
    [done] = await harness.settled("every5")
    assert done.current is State.SUCCESS
    assert done.inputs == {"who": "scheduled 10:05"}
    assert done.schedule_date == T0.replace(minute=5)
    assert done.trigger is not None and done.trigger["id"] == "five"
    assert done.outputs == {
        "dates": {
            "date": "2024-05-01T10:05:00.000000Z",
            "next": "2024-05-01T10:10:00.000000Z",
            "previous": "2024-05-01T10:00:00.000000Z",
        }
    }
    state = await harness.store.get_trigger("main", "sched", "every5", "five")
    assert state is not None
    assert (state.last_date, state.next_date) == (T0.replace(minute=5), T0.replace(minute=10))


PAUSED = """
id: waits
namespace: sched
tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
triggers:
  - id: minutely
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
"""


async def test_a_schedule_does_not_overlap_its_running_execution(harness: Harness) -> None:
    await harness.save(PAUSED)
    await harness.at(T0)
    await harness.at(T0 + timedelta(minutes=1))
    [first] = await harness.executions("waits")
    await asyncio.wait_for(harness.engine.wait(first.id), 10)  # paused
    await harness.at(T0 + timedelta(minutes=2))
    await harness.at(T0 + timedelta(minutes=3, seconds=10))
    assert len(await harness.executions("waits")) == 1
    await harness.engine.executor.request(first.id, "resume", {})
    await asyncio.wait_for(harness.engine.wait(first.id), 10)
    await harness.at(T0 + timedelta(minutes=3, seconds=20))
    found = await harness.executions("waits")
    # Of the dates that fell due while it ran (10:03, 10:04), only the latest runs, after it.
    assert [e.schedule_date for e in found] == [T0.replace(minute=2), T0.replace(minute=4)]


@pytest.mark.parametrize(("recover", "expected"), [("ALL", 6), ("LAST", 1), ("NONE", 0)])
async def test_missed_schedules_after_downtime(
    harness: Harness, recover: str, expected: int
) -> None:
    source = EVERY_5_MINUTES.replace(
        'cron: "*/5 * * * *"', f'cron: "*/5 * * * *"\n    recoverMissedSchedules: {recover}'
    )
    await harness.save(source)
    await harness.at(T0)  # the server runs, then stops at 10:01
    restarted = harness.new_scheduler()
    await harness.at(T0.replace(minute=31), restarted)  # 30 minutes later
    found = await harness.executions("every5")
    assert len(found) == expected
    if recover == "LAST":
        assert found[0].schedule_date == T0.replace(minute=30)
    state = await harness.store.get_trigger("main", "sched", "every5", "five")
    assert state is not None and state.next_date == T0.replace(minute=35)
    await harness.settled("every5")
    await harness.at(T0.replace(minute=35), restarted)  # then on time again
    assert len(await harness.executions("every5")) == expected + 1


async def test_late_maximum_delay_skips_dates_too_late(harness: Harness) -> None:
    source = EVERY_5_MINUTES.replace(
        'cron: "*/5 * * * *"', 'cron: "*/5 * * * *"\n    lateMaximumDelay: PT12M'
    )
    await harness.save(source)
    await harness.at(T0)
    await harness.at(T0.replace(minute=31), harness.new_scheduler())
    found = await harness.executions("every5")
    assert [e.schedule_date for e in found] == [T0.replace(minute=20), T0.replace(minute=25),
                                                T0.replace(minute=30)]  # fmt: skip


ON_DATES = """
id: ondates
namespace: sched
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date }}"
triggers:
  - id: dates
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Europe/Paris
    dates:
      - 2024-05-01T09:00:00+02:00
      - 2024-05-01T12:30:00
      - 2024-05-02T08:00:00Z
"""


async def test_schedule_on_dates_fires_each_future_date_once(harness: Harness) -> None:
    await harness.save(ON_DATES)
    await harness.at(T0)  # 12:01 in Paris: the first date is past
    await harness.at(datetime(2024, 5, 1, 10, 30, tzinfo=UTC))
    await harness.at(datetime(2024, 5, 1, 10, 31, tzinfo=UTC))
    await harness.at(datetime(2024, 5, 3, tzinfo=UTC))
    await harness.at(datetime(2024, 5, 4, tzinfo=UTC))
    found = await harness.settled("ondates")
    assert [e.schedule_date for e in found] == [
        datetime(2024, 5, 1, 10, 30, tzinfo=UTC),
        datetime(2024, 5, 2, 8, tzinfo=UTC),
    ]
    assert all(e.current is State.SUCCESS for e in found)
    state = await harness.store.get_trigger("main", "sched", "ondates", "dates")
    assert state is not None and state.next_date is None


BAD_INPUTS = """
id: badinputs
namespace: sched
inputs:
  - id: count
    type: INT
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.count }}"
triggers:
  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "@hourly"
    stopAfter: [FAILED]
    inputs:
      count: "not a number"
"""


async def test_a_trigger_with_invalid_inputs_creates_a_failed_execution(harness: Harness) -> None:
    await harness.save(BAD_INPUTS)
    await harness.at(T0)
    await harness.at(T0.replace(hour=11))
    [failed] = await harness.executions("badinputs")
    assert failed.current is State.FAILED
    logs = [entry.message for _, entry in await harness.store.list_logs(failed.id)]
    assert len(logs) == 1
    assert "trigger 'hourly' could not create the execution: input 'count'" in logs[0]
    await harness.at(T0.replace(hour=11, second=1))  # the scheduler sees it ended
    state = await harness.store.get_trigger("main", "sched", "badinputs", "hourly")
    assert state is not None and state.disabled  # stopAfter: FAILED
    await harness.at(T0.replace(hour=13))
    assert len(await harness.executions("badinputs")) == 1


WEEKEND_ONLY = """
id: weekend
namespace: sched
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: daily
    type: io.kestra.core.models.triggers.types.Schedule
    cron: "0 9 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.Weekend
"""


async def test_schedule_conditions_filter_dates(harness: Harness) -> None:
    await harness.save(WEEKEND_ONLY)
    await harness.at(T0)
    for day in range(2, 7):  # Thursday 2 to Monday 6 May
        await harness.at(datetime(2024, 5, day, 9, 0, 1, tzinfo=UTC))
        await harness.settled("weekend")  # no overlap: each ends before the next date
    found = await harness.executions("weekend")
    assert [e.schedule_date.day for e in found if e.schedule_date] == [4, 5]


async def test_a_backfill_creates_the_past_dates_with_its_inputs_and_labels(
    harness: Harness,
) -> None:
    await harness.save(EVERY_5_MINUTES)
    await harness.at(T0)
    await control.start_backfill(
        harness.store,
        harness.engine.flows,
        "sched",
        "every5",
        "five",
        start=T0 - timedelta(minutes=16),
        end=T0 - timedelta(minutes=1),
        inputs={"who": "backfill"},
        labels={"origin": "backfill"},
        now=T0,
    )
    await harness.at(T0 + timedelta(seconds=1))
    found = await harness.settled("every5")
    assert [e.schedule_date for e in found] == [
        T0.replace(minute=0) - timedelta(minutes=15),
        T0.replace(minute=0) - timedelta(minutes=10),
        T0.replace(minute=0) - timedelta(minutes=5),
        T0.replace(minute=0),
    ]
    assert {e.inputs["who"] for e in found} == {"backfill"}
    assert all({"key": "origin", "value": "backfill"} in e.labels for e in found)
    state = await harness.store.get_trigger("main", "sched", "every5", "five")
    assert state is not None and state.backfill is None and state.last_date is None


async def test_a_backfill_too_long_or_into_the_future_is_refused(harness: Harness) -> None:
    await harness.save(EVERY_5_MINUTES)
    args = (harness.store, harness.engine.flows, "sched", "every5", "five")
    with pytest.raises(HeadwayError, match="more than 10000 executions"):
        await control.start_backfill(*args, start=T0 - timedelta(days=365), now=T0)
    with pytest.raises(HeadwayError, match="must not be in the future"):
        await control.start_backfill(
            *args, start=T0 - timedelta(hours=1), end=T0 + timedelta(days=1), now=T0
        )
    state = await harness.store.get_trigger("main", "sched", "every5", "five")
    assert state is None or state.backfill is None


async def test_the_scheduler_runs_until_stopped(harness: Harness) -> None:
    await harness.save(EVERY_5_MINUTES)
    stop = asyncio.Event()
    task = asyncio.create_task(harness.scheduler.run(stop))
    await asyncio.sleep(0.1)
    harness.clock.set(T0.replace(minute=5))
    for _ in range(200):
        if await harness.executions("every5"):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(await harness.executions("every5")) == 1


async def test_one_scheduler_leads_at_a_time(harness: Harness) -> None:
    other = harness.new_scheduler()
    assert await harness.scheduler.lead()
    assert not await other.lead()
    harness.clock.set(T0 + timedelta(seconds=16))  # the leader's lease (15 s) expired
    assert await other.lead()
    assert not await harness.scheduler.lead()


async def test_a_deposed_leader_fires_nothing(harness: Harness) -> None:
    """A leader whose lease another scheduler took (it was cut off for longer than the
    lease) has its firing refused by the store: no date fires twice."""
    await harness.save(EVERY_5_MINUTES)
    deposed = harness.scheduler
    assert await deposed.lead()
    await deposed.tick()  # the trigger's state: next date 10:05
    harness.clock.set(T0 + timedelta(seconds=16))
    successor = harness.new_scheduler()
    assert await successor.lead()
    # The deposed one still believes it leads (it has not asked again) and ticks.
    harness.clock.set(T0 + timedelta(minutes=4, seconds=1))
    with pytest.raises(Fenced, match="no longer holds the lease scheduler"):
        await deposed.tick()
    assert await harness.executions("every5") == []
    await successor.tick()
    fired = await harness.executions("every5")
    assert [e.schedule_date for e in fired] == [T0 + timedelta(minutes=4)]


async def test_the_scheduler_survives_a_store_error(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.save(EVERY_5_MINUTES)
    failures = [StoreError("database is locked")]
    real = harness.store.acquire_lease

    async def flaky(*args: Any) -> bool:
        if failures:
            raise failures.pop()
        return await real(*args)

    monkeypatch.setattr(harness.store, "acquire_lease", flaky)
    stop = asyncio.Event()
    task = asyncio.create_task(harness.scheduler.run(stop))
    await asyncio.sleep(0.1)
    harness.clock.set(T0.replace(minute=5))
    for _ in range(200):
        if await harness.executions("every5"):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert failures == [] and len(await harness.executions("every5")) == 1


async def test_allow_concurrent_lets_a_schedule_overlap(harness: Harness) -> None:
    source = PAUSED.replace('cron: "* * * * *"', 'cron: "* * * * *"\n    allowConcurrent: true')
    await harness.save(source)
    await harness.at(T0)
    await harness.at(T0 + timedelta(minutes=1))
    await harness.at(T0 + timedelta(minutes=2))
    found = await harness.executions("waits")
    assert [e.schedule_date for e in found] == [T0.replace(minute=2), T0.replace(minute=3)]
