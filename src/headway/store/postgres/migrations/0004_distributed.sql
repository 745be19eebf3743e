-- Several processes on one store: which executor advances an execution (one at a time; a
-- new token each time it changes hands), the workers that run, and kills of leased rows.
CREATE TABLE execution_owners (
    execution_id text COLLATE "C" PRIMARY KEY,
    owner text NOT NULL,
    token text NOT NULL,
    until timestamptz NOT NULL
);
CREATE INDEX execution_owners_by_owner ON execution_owners (owner);

CREATE TABLE workers (
    id text COLLATE "C" PRIMARY KEY,
    worker_group text,
    slots integer NOT NULL,
    host text NOT NULL,
    started timestamptz NOT NULL,
    heartbeat timestamptz NOT NULL
);

ALTER TABLE queue ADD COLUMN cancelled boolean NOT NULL DEFAULT false;

-- The fence of a batch (headway.store.base.Fence), first in its transaction: lock the rows
-- the writer must still hold, and refuse the batch (SQLSTATE HW001) if one is not its own.
CREATE FUNCTION headway_fence(executor text, execution_ids text[], task_run_ids text[],
                              worker_ids text[], lease_name text, lease_holder text)
RETURNS void AS $$
DECLARE
    held integer;
BEGIN
    IF cardinality(execution_ids) > 0 THEN
        SELECT count(*) INTO held FROM (
            SELECT 1 FROM execution_owners
            WHERE execution_id = ANY(execution_ids) AND owner = executor
            ORDER BY execution_id FOR UPDATE
        ) AS locked;
        IF held < cardinality(execution_ids) THEN
            RAISE EXCEPTION USING ERRCODE = 'HW001',
                MESSAGE = 'executor ' || executor || ' no longer owns execution(s) '
                    || array_to_string(execution_ids, ', ');
        END IF;
    END IF;
    IF cardinality(task_run_ids) > 0 THEN
        SELECT count(*) INTO held FROM (
            SELECT 1 FROM queue JOIN unnest(task_run_ids, worker_ids) AS h(tr, w)
                ON queue.task_run_id = h.tr AND queue.worker_id = h.w
            ORDER BY queue.task_run_id FOR UPDATE OF queue
        ) AS locked;
        IF held < cardinality(task_run_ids) THEN
            RAISE EXCEPTION USING ERRCODE = 'HW001',
                MESSAGE = 'the lease on TaskRun(s) ' || array_to_string(task_run_ids, ', ')
                    || ' has ended';
        END IF;
    END IF;
    IF lease_name IS NOT NULL THEN
        PERFORM 1 FROM leases WHERE tenant = 'main' AND name = lease_name
            AND holder = lease_holder FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'HW001',
                MESSAGE = lease_holder || ' no longer holds the lease ' || lease_name;
        END IF;
    END IF;
END
$$ LANGUAGE plpgsql;
