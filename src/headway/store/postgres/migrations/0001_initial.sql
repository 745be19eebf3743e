-- Headway's PostgreSQL schema, version 1 (the SQLite schema of versions 1 to 3 in one).
--
-- Conventions (as in SQLite, in PostgreSQL's types):
-- * every row carries a tenant ('main' unless said otherwise);
-- * datetimes are timestamptz;
-- * JSON documents that are only stored and read back whole (an execution's `data`, an
--   event's `payload`, a KV value...) are `json`: kept verbatim, checked but not re-parsed,
--   and, unlike jsonb, able to hold the escape \u0000; `jsonb` where queries look inside
--   (`labels`, filtered by containment with a GIN index);
-- * rows that belong to an execution carry its id; no foreign keys: the store deletes an
--   execution's rows itself (delete_execution), and a Batch may write them in any order;
-- * names (namespaces, ids, keys) compare and sort by bytes (COLLATE "C"), as in SQLite,
--   whatever the database's collation: namespace prefixes are searched as ranges;
-- * growing numbers (event seq, log id...) are identity columns: never reused.
-- The runner wraps each file in one transaction, under an advisory lock.

CREATE TABLE flows (
    tenant text NOT NULL DEFAULT 'main',
    namespace text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    revision integer NOT NULL,
    source text NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    updated timestamptz NOT NULL,
    PRIMARY KEY (tenant, namespace, id, revision)
);

CREATE TABLE executions (
    id text COLLATE "C" PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    namespace text COLLATE "C" NOT NULL,
    flow_id text COLLATE "C" NOT NULL,
    flow_revision integer NOT NULL,
    state text NOT NULL,
    start_date timestamptz NOT NULL,
    end_date timestamptz,
    labels jsonb NOT NULL DEFAULT '[]',  -- [{"key": ..., "value": ...}], for filtering
    data json NOT NULL,                  -- Execution.to_store()
    updated timestamptz NOT NULL
);
CREATE INDEX executions_by_flow ON executions (tenant, namespace, flow_id, start_date);
CREATE INDEX executions_by_state ON executions (state, start_date);
CREATE INDEX executions_by_start_date ON executions (tenant, start_date);
CREATE INDEX executions_by_labels ON executions USING gin (labels jsonb_path_ops);

CREATE TABLE task_runs (
    id text COLLATE "C" PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    execution_id text COLLATE "C" NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,  -- creation order
    task_id text NOT NULL,
    parent_task_run_id text,
    value text,
    iteration integer,
    state text NOT NULL,
    data json NOT NULL                   -- TaskRun.to_store()
);
CREATE INDEX task_runs_by_execution ON task_runs (execution_id, seq);

CREATE TABLE queue (
    task_run_id text COLLATE "C" PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    execution_id text COLLATE "C" NOT NULL,
    attempt integer NOT NULL,
    ready_at timestamptz NOT NULL,
    worker_id text,
    lease_until timestamptz,
    worker_group text
);
-- Claims read free rows of one group in ready_at order, and leased rows by lease expiry:
-- two partial indexes keep a claim from scanning the rows that running TaskRuns hold.
CREATE INDEX queue_free_by_ready_at ON queue (COALESCE(worker_group, ''), ready_at, task_run_id)
    WHERE worker_id IS NULL;
CREATE INDEX queue_leased_by_lease_until ON queue (lease_until) WHERE worker_id IS NOT NULL;
CREATE INDEX queue_by_execution ON queue (execution_id);

CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    execution_id text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    payload json NOT NULL,
    created timestamptz NOT NULL
);
CREATE INDEX events_by_execution ON events (execution_id);

CREATE TABLE timers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    execution_id text COLLATE "C" NOT NULL,
    task_run_id text COLLATE "C",
    due_at timestamptz NOT NULL
);
CREATE INDEX timers_by_due_at ON timers (due_at);
CREATE INDEX timers_by_execution ON timers (execution_id);

-- Log ids are handed out when lines are inserted, not when they commit: writers of one
-- execution's logs hold a transaction-level advisory lock on it (taken first, so released
-- only once their lines are visible), so that within an execution ids grow in commit order
-- and a follower asking for ids after N never misses a line committed later.
CREATE TABLE logs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    execution_id text COLLATE "C" NOT NULL,
    task_run_id text COLLATE "C",
    task_id text,
    namespace text COLLATE "C" NOT NULL,
    flow_id text COLLATE "C" NOT NULL,
    attempt_number integer,
    level text NOT NULL,
    message text NOT NULL,
    timestamp timestamptz NOT NULL
);
CREATE INDEX logs_by_execution ON logs (execution_id, id);

CREATE TABLE kv (
    tenant text NOT NULL DEFAULT 'main',
    namespace text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    value json NOT NULL,
    expires_at timestamptz,
    updated timestamptz NOT NULL,
    PRIMARY KEY (tenant, namespace, key)
);

-- Trigger state (headway.scheduler): see the SQLite migration 0002 for what each column holds.
CREATE TABLE triggers (
    tenant text NOT NULL DEFAULT 'main',
    namespace text COLLATE "C" NOT NULL,
    flow_id text COLLATE "C" NOT NULL,
    trigger_id text COLLATE "C" NOT NULL,
    next_date timestamptz,
    last_date timestamptz,
    disabled boolean NOT NULL DEFAULT false,
    execution_id text COLLATE "C",
    locked_until timestamptz,
    backfill json,
    data json NOT NULL DEFAULT '{}',
    updated timestamptz NOT NULL,
    PRIMARY KEY (tenant, namespace, flow_id, trigger_id)
);

CREATE TABLE ended_executions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    execution_id text COLLATE "C" NOT NULL UNIQUE,
    created timestamptz NOT NULL
);

CREATE TABLE leases (
    tenant text NOT NULL DEFAULT 'main',
    name text NOT NULL,
    holder text NOT NULL,
    until timestamptz NOT NULL,
    PRIMARY KEY (tenant, name)
);

-- Access control (headway.api.auth): see the SQLite migration 0003.
CREATE TABLE api_tokens (
    tenant text NOT NULL DEFAULT 'main',
    id text COLLATE "C" NOT NULL,
    name text NOT NULL,
    secret_hash text NOT NULL UNIQUE,
    role text NOT NULL,
    namespace text COLLATE "C" NOT NULL,
    created timestamptz NOT NULL,
    created_by text NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL DEFAULT 'main',
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text COLLATE "C" NOT NULL,
    target text NOT NULL,
    namespace text COLLATE "C",
    before json,
    after json
);
CREATE INDEX audit_log_by_time ON audit_log (tenant, at);
