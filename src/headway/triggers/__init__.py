"""Triggers: what creates executions (Schedule, ScheduleOnDates, Flow, Webhook, HTTP polling)
and the conditions that filter them. Pure models and logic, no I/O, nothing from the engine;
the scheduler (:mod:`headway.scheduler`) acts on them."""
