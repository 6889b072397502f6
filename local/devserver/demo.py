"""``make demo``: with ``make run`` going, schedule a call due in 3 s and show it arrive.

Creates a task through the running API (``POST /api/v1/tasks`` with ``delay_seconds: 3``,
target: the API's own callback route), then follows ``.local/run.log`` and prints the log
lines of that delivery: the engine delivering it and the callback route accepting its
signature. Exit 0 when the signed callback arrived, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.devserver import devenv

DELAY_SECONDS = 3
WAIT_SECONDS = 15.0


def create_task(base: str, token: str) -> dict[str, Any]:
    """POST the demo task; return the API's answer."""
    body = {
        "delay_seconds": DELAY_SECONDS,
        "body": {
            "data": {"demo": "hello from make demo", "sent_at": datetime.now(UTC).isoformat()}
        },
        "name_prefix": "demo",
    }
    request = urllib.request.Request(  # noqa: S310 - the URL is the local API
        f"{base}/api/v1/tasks",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def follow(log: Path, start: int, needles: tuple[str, ...], done: str) -> bool:
    """Print new lines of ``log`` that contain a needle; True once one also contains ``done``."""
    deadline = time.monotonic() + WAIT_SECONDS
    with log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(start)
        while time.monotonic() < deadline:
            line = handle.readline()
            if not line:
                time.sleep(0.05)
                continue
            if any(needle in line for needle in needles):
                print("  " + line.rstrip())
                if done in line and needles[-1] in line:
                    return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo against ``http://127.0.0.1:<port>``."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--state-dir", type=Path, default=devenv.REPO_ROOT / ".local")
    args = parser.parse_args(argv)
    state = args.state_dir
    log = state / "run.log"
    if not (state / devenv.SECRETS_FILE).exists() or not log.exists():
        print("nothing is running here: start `make run` first (in another terminal)")
        return 1
    dev, _ = devenv.load_or_create_secrets(state)
    base = f"http://127.0.0.1:{args.port}"
    start = log.stat().st_size
    try:
        task = create_task(base, dev.api_token)
    except (urllib.error.URLError, OSError) as exc:
        print(f"the API at {base} did not accept the task ({exc}); is `make run` going?")
        return 1
    task_id = str(task["task_id"])
    webhook_id = str(task["webhook_id"])
    print(f"scheduled {task_id} for {task.get('run_at')} (in {DELAY_SECONDS} s)")
    print(f"waiting for webhook-id {webhook_id} in {log} ...")
    if follow(log, start, (task_id, webhook_id), "task callback received"):
        print(
            "the signed callback arrived and its signature was verified by /api/v1/tasks/callback"
        )
        return 0
    print(f"no callback for {task_id} within {WAIT_SECONDS:g} s; see the `make run` output")
    return 1


if __name__ == "__main__":
    sys.exit(main())
