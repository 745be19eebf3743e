-- Logs searched across executions (the API's /logs/search), newest first within a tenant.
CREATE INDEX logs_by_time ON logs (tenant, timestamp);
