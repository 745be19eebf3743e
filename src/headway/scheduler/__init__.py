"""The scheduler service: fires schedules and backfills, polls HTTP triggers, evaluates Flow
triggers when executions end; and the webhook and trigger-control functions the API calls.

Wiring (one process, beside the engine)::

    scheduler = Scheduler(engine.store, engine.flows, engine.executor)
    task = asyncio.create_task(scheduler.run(stop))
"""

from headway.scheduler.clock import Clock, ManualClock, SystemClock
from headway.scheduler.service import Scheduler

__all__ = ["Clock", "ManualClock", "Scheduler", "SystemClock"]
