-- Searching executions of some states newest first within a tenant reads an index in order.
CREATE INDEX executions_by_tenant_state ON executions (tenant, state, start_date, id);
