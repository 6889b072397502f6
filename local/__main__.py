"""``python -m local dead-letters list [--task ID] | redrive ID``.

Works on the state folder of ``LOCAL_STATE_DIR`` (default ``.local``) whether or not the
API is running: a running engine is woken through its wake socket and delivers a re-driven
call at once (within ``LOCAL_POLL_SECONDS`` if the socket cannot be reached); otherwise it is
delivered at the next start. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from local.backend import dead_letters
from local.backend.scheduler import DB_NAME
from local.backend.store import LocalStore
from local.backend.wakeup import WakeSender, wake_socket_path
from shared.exceptions import CallbackSchedulerError
from shared.settings import load_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; 0 on success, 1 on a domain error (printed), 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="python -m local")
    commands = parser.add_subparsers(dest="group", required=True)
    letters = commands.add_parser("dead-letters", help="list or re-drive dead letters")
    actions = letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="print dead letters (oldest first) with attempts")
    listing.add_argument("--task", help="only those of this task id")
    listing.add_argument("--limit", type=int, default=100)
    again = actions.add_parser("redrive", help="deliver a dead letter again now")
    again.add_argument("id", help="the dead letter's id (dl-...)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        state = Path(settings.local_state_dir)
        store = LocalStore(state / DB_NAME)
        try:
            if args.action == "list":
                found = dead_letters.list_dead_letters(store, task_id=args.task, limit=args.limit)
                output: object = [dead_letters.dead_letter_public(letter) for letter in found]
            else:
                output = dead_letters.redrive(
                    store,
                    args.id,
                    now=time.time(),
                    max_event_age=float(settings.max_event_age_seconds),
                )
                waker = WakeSender(wake_socket_path(state))
                waker.send(None)  # a running engine delivers it now
                waker.close()
        finally:
            store.close()
    except CallbackSchedulerError as exc:
        print(json.dumps({"message": exc.message, "code": exc.code}), file=sys.stderr)
        return 1
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
