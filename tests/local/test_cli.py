"""``python -m local dead-letters list|redrive`` next to a running engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from tests.local.conftest import FAST, MakeScheduler
from tests.local.receiver import Receiver
from tests.local.server import ROOT
from tests.local.test_engine import one_time, wait_dead_letters


def cli(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "LOCAL_STATE_DIR": str(state),
    }
    return subprocess.run(
        [sys.executable, "-m", "local", "dead-letters", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_list_and_redrive_from_the_command_line(
    receiver: Receiver, make_scheduler: MakeScheduler, tmp_path: Path
) -> None:
    receiver.answer("/refused", 422)
    scheduler = make_scheduler(replace(FAST, poll_seconds=30))  # only a wake-up is on time
    task = scheduler.create_one_time(one_time(receiver, "/refused", 1.3))
    wait_dead_letters(scheduler, 1)
    listed = cli(tmp_path / "state", "list")
    assert listed.returncode == 0, listed.stderr
    [letter] = json.loads(listed.stdout)
    assert (letter["task_id"], letter["status"], letter["reason"]) == (
        task.task_id, 422, "permanent_failure",
    )  # fmt: skip
    redriven = cli(tmp_path / "state", "redrive", letter["id"])
    done = time.monotonic()
    assert redriven.returncode == 0, redriven.stderr
    assert len(receiver.wait_for(2, timeout=5)) == 2  # the running engine was woken
    assert time.monotonic() - done < 1.0
    assert json.loads(cli(tmp_path / "state", "list").stdout) == []
    unknown = cli(tmp_path / "state", "redrive", letter["id"])
    assert unknown.returncode == 1
    assert json.loads(unknown.stderr)["code"] == "task_not_found"
