-- Trigger state (headway.scheduler), version 2.
--
-- triggers: one row per (tenant, namespace, flow, trigger id): next and last fire dates,
--   disabled, the execution it started that still runs, an evaluation lock, a backfill
--   (JSON: start, end, currentDate, inputs, labels, paused) and other state (JSON `data`:
--   windows of preconditions...).
-- ended_executions: executions that ended and that Flow triggers have not been evaluated
--   for yet (an outbox: written before the end commits, removed with what it triggered).
-- leases: named leases (the scheduler's leadership where several run on one database).

CREATE TABLE triggers (
    tenant TEXT NOT NULL DEFAULT 'main',
    namespace TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    next_date TEXT,
    last_date TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    execution_id TEXT,
    locked_until TEXT,
    backfill TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    updated TEXT NOT NULL,
    PRIMARY KEY (tenant, namespace, flow_id, trigger_id)
);

CREATE TABLE ended_executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL DEFAULT 'main',
    execution_id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);

CREATE TABLE leases (
    tenant TEXT NOT NULL DEFAULT 'main',
    name TEXT NOT NULL,
    holder TEXT NOT NULL,
    until TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
);
