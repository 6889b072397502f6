"""The store gives space back: incremental vacuum of free pages, then a truncated WAL.

Deleted tasks, runs and dead letters leave free pages in the SQLite file. New files are made
with ``auto_vacuum=INCREMENTAL``; the engine converts an older file once at start and, every
minute, releases the free pages once there are enough of them.
"""

from __future__ import annotations

from local.backend.store import LocalStore

RECLAIM_FREE_PAGES = 256  # vacuum when this many pages (1 MiB at 4 KiB) are free
INCREMENTAL = 2  # PRAGMA auto_vacuum value


def prepare_reclaim(store: LocalStore) -> None:
    """Switch a file made without ``auto_vacuum=INCREMENTAL`` to it (one ``VACUUM``)."""
    if store.read("PRAGMA auto_vacuum")[0][0] != INCREMENTAL:
        store.script("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;")


def reclaim_space(store: LocalStore, min_free_pages: int = RECLAIM_FREE_PAGES) -> int:
    """Give free pages back to the file system when ``min_free_pages`` or more are free.

    Returns the number of pages that were free. The WAL is checkpointed and truncated after
    the vacuum so the file shrinks at once, not at the next automatic checkpoint.
    """
    free = int(store.read("PRAGMA freelist_count")[0][0])
    if free >= min_free_pages:
        # executescript steps the pragma to its end (a plain execute frees one page only)
        store.script("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
    return free
