-- Several processes on one store: which executor advances an execution (one at a time; a
-- new token each time it changes hands), the workers that run, and kills of leased rows.
CREATE TABLE execution_owners (
    execution_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    token TEXT NOT NULL,
    until TEXT NOT NULL
);
CREATE INDEX execution_owners_by_owner ON execution_owners (owner);

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    worker_group TEXT,
    slots INTEGER NOT NULL,
    host TEXT NOT NULL,
    started TEXT NOT NULL,
    heartbeat TEXT NOT NULL
);

ALTER TABLE queue ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
