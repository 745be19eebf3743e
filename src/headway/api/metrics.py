"""Prometheus metrics at ``/metrics``.

Counts that live in the store (executions by state) are read at scrape time; what happens in
this process (TaskRun durations) is observed from its commits.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from headway.api.context import ServerContext
from headway.execution import utcnow
from headway.state import State
from headway.store.base import Batch, ExecutionQuery

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.registry = CollectorRegistry()
        self.executions = Gauge(
            "headway_executions",
            "Executions in the store, by state",
            ["state"],
            registry=self.registry,
        )
        self.task_run_seconds = Histogram(
            "headway_task_run_duration_seconds",
            "Duration of TaskRuns that ended in this process",
            ["state"],
            buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600),
            registry=self.registry,
        )
        self.worker_slots = Gauge(
            "headway_worker_slots", "TaskRun slots of this process's worker", registry=self.registry
        )
        self.worker_busy = Gauge(
            "headway_worker_slots_busy",
            "TaskRuns this process's worker runs now",
            registry=self.registry,
        )
        self.queue = Gauge(
            "headway_queue_task_runs",
            "TaskRuns in the worker queue: ready to claim, waiting for a retry, leased",
            ["status"],
            registry=self.registry,
        )
        self.queue_age = Gauge(
            "headway_queue_oldest_ready_seconds",
            "How long the oldest ready TaskRun has waited for a worker",
            registry=self.registry,
        )
        self.workers = Gauge(
            "headway_workers",
            "Workers registered in the store: alive (a heartbeat within a lease) or silent",
            ["state"],
            registry=self.registry,
        )
        self.trigger_lag = Gauge(
            "headway_trigger_lag_seconds",
            "How late the last schedule date fired, after its due time",
            registry=self.registry,
        )
        self.triggers_fired = Gauge(
            "headway_triggers_fired",
            "Executions this process's scheduler created since it started",
            registry=self.registry,
        )
        ctx.engine.commit_listeners.append(self.observe)

    def observe(self, batch: Batch) -> None:
        for tr in batch.task_runs:
            if tr.current.terminal and tr.state.end_date is not None:
                seconds = (tr.state.end_date - tr.state.start_date).total_seconds()
                self.task_run_seconds.labels(tr.current.value).observe(seconds)

    async def render(self) -> bytes:
        for state in State:
            query = ExecutionQuery(tenant=self.ctx.tenant, states=(state,), size=1)
            _, total = await self.ctx.store.search_executions(query)
            self.executions.labels(state.value).set(total)
        now = utcnow()
        stats = await self.ctx.store.queue_stats(now)
        self.queue.labels("ready").set(stats.ready)
        self.queue.labels("waiting").set(stats.waiting)
        self.queue.labels("leased").set(stats.leased)
        oldest = stats.oldest_ready_at
        self.queue_age.set(0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        registered = await self.ctx.store.workers()
        alive = sum(w.alive(now, self.ctx.settings.lease_seconds) for w in registered)
        self.workers.labels("alive").set(alive)
        self.workers.labels("silent").set(len(registered) - alive)
        worker = self.ctx.engine.worker
        self.worker_slots.set(worker.slots)
        self.worker_busy.set(len(worker.running))
        scheduler = self.ctx.components.get("scheduler")
        if scheduler is not None:
            self.trigger_lag.set(scheduler.last_lag_seconds)
            self.triggers_fired.set(scheduler.fired_total)
        return generate_latest(self.registry)
