"""One logging helper: every runtime's lines are the same JSON shape, from ``shared.log``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.delivery import logs
from shared.log import get_logger

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> list[dict[str, Any]]:
    """Run ``code`` in a fresh interpreter; return its stderr and stdout lines as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("src", ".")),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = (done.stderr + done.stdout).splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_delivery_and_api_share_one_logger() -> None:
    assert logs.logger is get_logger()
    assert get_logger("other") is get_logger("other")


@pytest.mark.timeout(60)
def test_worker_style_setup_writes_the_powertools_json_shape() -> None:
    lines = run_python(
        "import logging\n"
        "from shared.log import configure_logging, get_logger\n"
        "configure_logging(quiet=('chatty',))\n"
        "logging.getLogger('worker.runner').info('tick ran', extra={'job_id': 'j'})\n"
        "logging.getLogger('chatty').info('not shown')\n"
        "logging.getLogger('worker.runner').debug('not shown either')\n"
        "get_logger().info('from the lambda logger')\n",
        POWERTOOLS_SERVICE_NAME="svc-under-test",
    )
    assert [line["message"] for line in lines] == ["tick ran", "from the lambda logger"]
    stdlib, powertools = lines
    assert stdlib["job_id"] == "j"
    for line in lines:
        assert line["level"] == "INFO"
        assert line["service"] == "svc-under-test"
        assert line["timestamp"].endswith("+0000") or line["timestamp"].endswith("Z")
    assert set(powertools) - {"xray_trace_id"} <= set(stdlib) | {"job_id"}


@pytest.mark.timeout(60)
def test_make_run_routes_the_local_engine_through_the_same_formatter(tmp_path: Path) -> None:
    lines = run_python(
        "import logging, logging.config, json, pathlib, sys\n"
        "from local.devserver.devenv import logging_config\n"
        f"path = logging_config(pathlib.Path({str(tmp_path)!r}) / 'logging.json')\n"
        "logging.config.dictConfig(json.loads(path.read_text()))\n"
        "logging.getLogger('local').warning('attempt %d failed', 2)\n",
        POWERTOOLS_SERVICE_NAME="local-under-test",
    )
    assert len(lines) == 1
    assert lines[0]["message"] == "attempt 2 failed"
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["service"] == "local-under-test"
