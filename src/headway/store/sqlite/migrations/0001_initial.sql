-- Headway's SQLite schema, version 1.
--
-- Conventions:
-- * every row carries a tenant ('main' unless said otherwise);
-- * datetimes are ISO-8601 UTC text of fixed width ('2024-05-01T10:00:00.000000Z'), so that
--   comparing and ordering the text compares and orders the instants;
-- * JSON documents are text (`data`, `payload`, `value`, `labels`);
-- * rows that belong to an execution carry its id; no foreign keys: the store deletes an
--   execution's rows itself (delete_execution), and a Batch may write them in any order.
-- Migration files hold no BEGIN/COMMIT: the runner wraps each file in one transaction.

CREATE TABLE flows (
    tenant TEXT NOT NULL DEFAULT 'main',
    namespace TEXT NOT NULL,
    id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    source TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    PRIMARY KEY (tenant, namespace, id, revision)
);

CREATE TABLE executions (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL DEFAULT 'main',
    namespace TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    flow_revision INTEGER NOT NULL,
    state TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    labels TEXT NOT NULL DEFAULT '[]',  -- [{"key": ..., "value": ...}], for filtering
    data TEXT NOT NULL,                 -- Execution.to_store()
    updated TEXT NOT NULL
);
CREATE INDEX executions_by_flow ON executions (tenant, namespace, flow_id, start_date);
CREATE INDEX executions_by_state ON executions (state, start_date);

CREATE TABLE task_runs (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL DEFAULT 'main',
    execution_id TEXT NOT NULL,
    seq INTEGER NOT NULL,               -- creation order within the execution
    task_id TEXT NOT NULL,
    parent_task_run_id TEXT,
    value TEXT,
    iteration INTEGER,
    state TEXT NOT NULL,
    data TEXT NOT NULL                  -- TaskRun.to_store()
);
CREATE INDEX task_runs_by_execution ON task_runs (execution_id, seq);

CREATE TABLE queue (
    task_run_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL DEFAULT 'main',
    execution_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ready_at TEXT NOT NULL,
    worker_id TEXT,
    lease_until TEXT,
    worker_group TEXT
);
-- Claims read free rows in ready_at order and leased rows by lease expiry: two partial
-- indexes keep a claim from scanning the rows that running TaskRuns hold.
CREATE INDEX queue_free_by_ready_at ON queue (ready_at, task_run_id) WHERE worker_id IS NULL;
CREATE INDEX queue_leased_by_lease_until ON queue (lease_until) WHERE worker_id IS NOT NULL;

-- seq is the rowid: events are read and acknowledged by seq without another index.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL DEFAULT 'main',
    execution_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created TEXT NOT NULL
);

CREATE TABLE timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL DEFAULT 'main',
    execution_id TEXT NOT NULL,
    task_run_id TEXT,
    due_at TEXT NOT NULL
);
CREATE INDEX timers_by_due_at ON timers (due_at);
CREATE INDEX timers_by_execution ON timers (execution_id);

CREATE TABLE logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL DEFAULT 'main',
    execution_id TEXT NOT NULL,
    task_run_id TEXT,
    task_id TEXT,
    namespace TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    attempt_number INTEGER,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    timestamp TEXT NOT NULL
);
CREATE INDEX logs_by_execution ON logs (execution_id, id);

CREATE TABLE kv (
    tenant TEXT NOT NULL DEFAULT 'main',
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,                -- JSON
    expires_at TEXT,
    updated TEXT NOT NULL,
    PRIMARY KEY (tenant, namespace, key)
);
