-- Access control (headway.api.auth), version 3.
--
-- api_tokens: one row per API token. The token itself is never stored: `secret_hash` is the
--   SHA-256 (hex) of the token's text. `namespace` is the prefix the token's role covers
--   ('' for every namespace). Revoked tokens stay, with `revoked_at`, so that the audit log
--   can still name them.
-- audit_log: every change made through the API or the CLI: who (`actor`), what (`action` and
--   `target`), when (`at`), in which namespace (NULL: of none, e.g. a token for all), and the
--   state before and after (JSON, secrets masked by the writer).

CREATE TABLE api_tokens (
    tenant TEXT NOT NULL DEFAULT 'main',
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    namespace TEXT NOT NULL,
    created TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL DEFAULT 'main',
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    namespace TEXT,
    before TEXT,
    after TEXT
);

CREATE INDEX audit_log_by_time ON audit_log (tenant, at);
