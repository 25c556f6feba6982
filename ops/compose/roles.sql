-- The app's per-connection settings, set on its role: a transaction pooler (pgbouncer) does not
-- pass them through at connect time. Values match HOA_DB__STATEMENT_TIMEOUT_MS / _LOCK_TIMEOUT_MS.
ALTER ROLE hoa SET statement_timeout = '30s';
ALTER ROLE hoa SET lock_timeout = '10s';
ALTER ROLE hoa SET timezone = 'UTC';
