-- Searching executions newest first within a tenant, with or without a state, reads an index
-- in order instead of sorting every matching row.
CREATE INDEX executions_by_start ON executions (tenant, start_date, id);
CREATE INDEX executions_by_tenant_state ON executions (tenant, state, start_date, id);
