"""The SQLite schema of the local store (created when missing)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, expression TEXT NOT NULL,
    timezone TEXT NOT NULL, input TEXT NOT NULL, created_at REAL NOT NULL,
    next_fire_at REAL, client_token TEXT);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (next_fire_at);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, task_id TEXT NOT NULL, scheduled_time REAL NOT NULL,
    due_at REAL NOT NULL, expires_at REAL NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
    claimed INTEGER NOT NULL DEFAULT 0, input TEXT NOT NULL, log TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS runs_due ON runs (claimed, due_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    dl_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, scheduled_time REAL NOT NULL,
    input TEXT NOT NULL, attempts INTEGER NOT NULL, log TEXT NOT NULL, reason TEXT NOT NULL,
    status INTEGER, response_body TEXT NOT NULL, created_at REAL NOT NULL);
"""

# The task ledger (``local.backend.ledger``): the record the API reads, as DynamoDB is on AWS.
# Times are ISO 8601 text as the DynamoDB items hold them; ``expires_at`` (epoch seconds) is
# when the engine's housekeeping purges the row (DynamoDB's TTL on AWS).
LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_tasks (
    task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, schedule_expression TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT 'UTC', status TEXT NOT NULL, method TEXT NOT NULL DEFAULT '',
    target_url TEXT NOT NULL DEFAULT '', created_at TEXT, schedule_arn TEXT NOT NULL DEFAULT '',
    run_at TEXT, first_run_at TEXT, cancelled_at TEXT, request_fingerprint TEXT,
    webhook_id TEXT, attempt_count INTEGER NOT NULL DEFAULT 0, last_outcome TEXT,
    last_http_status INTEGER, last_error TEXT, last_attempt_at TEXT, last_tick TEXT,
    expires_at REAL);
CREATE INDEX IF NOT EXISTS ledger_tasks_status ON ledger_tasks (status, task_id);
CREATE INDEX IF NOT EXISTS ledger_tasks_expiry ON ledger_tasks (expires_at);
CREATE TABLE IF NOT EXISTS ledger_attempts (
    task_id TEXT NOT NULL, tick TEXT NOT NULL, attempt_number INTEGER NOT NULL,
    started_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL,
    http_status INTEGER, error_class TEXT, response_excerpt TEXT NOT NULL DEFAULT '',
    webhook_id TEXT, request_id TEXT, expires_at REAL NOT NULL,
    PRIMARY KEY (task_id, tick, attempt_number));
CREATE INDEX IF NOT EXISTS ledger_attempts_expiry ON ledger_attempts (expires_at);
"""
