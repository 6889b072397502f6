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
