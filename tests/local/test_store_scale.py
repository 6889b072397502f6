"""The store at scale: dead letters page, prefix lists use the index, space is reclaimed."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.backend import dead_letters
from local.backend import engine as engine_module
from local.backend.records import DeadLetter, TaskRow
from local.backend.schema import SCHEMA
from local.backend.space import prepare_reclaim, reclaim_space
from local.backend.store import LocalStore
from local.backend.timing import TriggerCache
from shared.exceptions import InvalidRequestError
from tests.local.conftest import MakeScheduler

pytestmark = pytest.mark.timeout(60)
FIXTURES_OK = [HealthCheck.function_scoped_fixture]


def letter(dl_id: str, created_at: float, task_id: str = "task-a") -> DeadLetter:
    return DeadLetter(
        dl_id, task_id, 0.0, '{"target_url": "http://127.0.0.1/x"}', [], "expired", None, "",
        created_at,
    )  # fmt: skip


def add_letters(store: LocalStore, letters: list[DeadLetter]) -> None:
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item.to_params() for item in letters],
        )


def all_pages(store: LocalStore, limit: int, task_id: str | None = None) -> list[list[str]]:
    pages, token = [], None
    while True:
        found, token = dead_letters.page_dead_letters(
            store, task_id=task_id, limit=limit, next_token=token
        )
        pages.append([item.dl_id for item in found])
        if token is None:
            return pages


def test_dead_letters_page_with_next_token(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "db.sqlite3")
    # 250 letters, created in 25 distinct instants (ties are ordered by id)
    add_letters(store, [letter(f"dl-{i:03d}", float(i // 10), f"task-{i % 2}") for i in range(250)])
    pages = all_pages(store, 100)
    assert [len(page) for page in pages] == [100, 100, 50]
    assert [i for page in pages for i in page] == [f"dl-{i:03d}" for i in range(250)]
    odd = all_pages(store, 60, task_id="task-1")
    assert [len(page) for page in odd] == [60, 60, 5]
    assert [i for page in odd for i in page] == [f"dl-{i:03d}" for i in range(1, 250, 2)]
    first, token = dead_letters.page_dead_letters(store, limit=100)
    add_letters(store, [letter("dl-new", 1000.0)])  # arrives while a client is paging
    rest, _ = dead_letters.page_dead_letters(store, limit=500, next_token=token)
    assert [item.dl_id for item in rest][-1] == "dl-new"
    assert len(first) + len(rest) == 251
    with pytest.raises(InvalidRequestError, match="next_token"):
        dead_letters.page_dead_letters(store, next_token="not-a-token")


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(
    ids=st.sets(st.text("abAB-_.0", min_size=1, max_size=4), max_size=40),
    prefix=st.text("abAB", max_size=2),
    page=st.integers(1, 7),
)
def test_prefix_pages_equal_a_plain_filter(
    tmp_path_factory: pytest.TempPathFactory, ids: set[str], prefix: str, page: int
) -> None:
    store = LocalStore(tmp_path_factory.mktemp("p") / "db.sqlite3")
    for task_id in ids:
        store.insert_task(TaskRow(task_id, "one_time", "at()", "UTC", "{}", 0.0, 1e12))
    seen: list[str] = []
    after = None
    while True:
        rows = store.list_tasks(prefix, page, after)
        seen += [row.task_id for row in rows]
        if len(rows) < page:
            break
        after = rows[-1].task_id
    assert seen == sorted(i for i in ids if i.startswith(prefix))
    store.close()


def test_prefix_list_searches_the_primary_key_instead_of_scanning(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "db.sqlite3")
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    store.list_tasks("order-", 50, "order-123")
    store._db.set_trace_callback(None)
    [select] = [s for s in statements if s.startswith("SELECT")]
    plan = " ".join(row[3] for row in store.read("EXPLAIN QUERY PLAN " + select))
    assert "SEARCH tasks USING INDEX sqlite_autoindex_tasks_1 (task_id>? AND task_id<?)" in plan
    assert "SCAN" not in plan


def fill_and_empty(store: LocalStore) -> None:
    rows = [
        (f"t-{i}", "one_time", "at()", "UTC", json.dumps({"pad": "x" * 2000}), 0.0, 1e12)
        for i in range(3000)
    ]
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO tasks (task_id, kind, expression, timezone, input, created_at,"
            " next_fire_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    store.read("PRAGMA wal_checkpoint(TRUNCATE)")
    with store.transaction() as db:
        db.execute("DELETE FROM tasks")


def test_the_store_gives_deleted_space_back(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = LocalStore(path)
    fill_and_empty(store)
    store.read("PRAGMA wal_checkpoint(TRUNCATE)")
    full = path.stat().st_size
    assert full > 6_000_000
    assert reclaim_space(store) > 1000  # free pages found, then released
    assert path.stat().st_size < full / 10


def test_a_file_made_without_incremental_vacuum_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)  # as the store made files before: auto_vacuum=0
    old.close()
    store = LocalStore(path)
    assert store.read("PRAGMA auto_vacuum")[0][0] == 0
    prepare_reclaim(store)  # what the engine does at start
    assert store.read("PRAGMA auto_vacuum")[0][0] == 2
    fill_and_empty(store)
    reclaim_space(store)
    assert path.stat().st_size < 1_000_000


def test_trigger_cache_keeps_only_the_most_recently_used() -> None:
    cache = TriggerCache(3600, clock=lambda: 1_000_000.0, size=3)
    rows = [
        TaskRow(f"t{i}", "recurring", "rate(1 minute)", "UTC", "{}", 999_000.0, None)
        for i in range(5)
    ]
    for row in rows:
        assert cache.advance(row, 999_960.0) == 1_000_020.0
    assert len(cache) == 3
    cache.advance(rows[2], 999_960.0)  # used again: kept over t3 when t0 comes back
    cache.advance(rows[0], 999_960.0)
    assert list(cache._triggers) == ["t4", "t2", "t0"]


def test_the_running_engine_reclaims_space_by_itself(
    make_scheduler: MakeScheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "VACUUM_EVERY_SECONDS", 0.2)  # instead of a minute
    scheduler = make_scheduler()
    fill_and_empty(scheduler.store)
    scheduler.store.read("PRAGMA wal_checkpoint(TRUNCATE)")
    assert scheduler.store.path.stat().st_size > 6_000_000
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and scheduler.store.path.stat().st_size > 1_000_000:
        time.sleep(0.1)
    assert scheduler.store.path.stat().st_size < 1_000_000
