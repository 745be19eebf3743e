-- Each write of a TaskRun row takes a new revision, so that a reader that keeps an execution
-- (a worker) reads only the TaskRuns written since it last read (Store.execution_changes).
-- The TaskRuns of an execution are written by its owning executor, one transaction after the
-- other: a later write of them always has a higher revision.
CREATE SEQUENCE task_run_revisions AS bigint;
ALTER TABLE task_runs ADD COLUMN rev bigint NOT NULL DEFAULT nextval('task_run_revisions');
