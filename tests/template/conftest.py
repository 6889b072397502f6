"""Fixtures for the template tests: the SAM CLI's virtualenv, python3.13, a build, a translation.

The SAM CLI lives in ``.venv-sam`` (``make sam``; ``make test`` sets it up). Nothing here
reaches AWS: `sam validate --lint`, `cfn-lint`, `sam build` and the SAM translator all run
offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.template.python313 import NOT_FOUND, find_python313

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAM_BIN = ROOT / ".venv-sam" / "bin"
REGION = "ap-northeast-2"


def sam_env(**extra: str) -> dict[str, str]:
    """Environment for SAM CLI subprocesses: no telemetry, a region, no update check."""
    env = dict(os.environ)
    env.update(
        SAM_CLI_TELEMETRY="0",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        SAM_CLI_DISABLE_UPDATE_CHECK="1",
    )
    env.update(extra)
    return env


def run(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None) -> str:
    """Run ``cmd`` in the repository root and return its stdout.

    The test fails with the command's output when it exits non-zero.
    """
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or sam_env(),
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        pytest.fail(f"{' '.join(cmd)} exited {done.returncode}:\n{output[-6000:]}")
    return done.stdout


@pytest.fixture(scope="session")
def sam_bin() -> Path:
    """The SAM CLI virtualenv's bin directory (fails, not skips, when it is missing)."""
    if not (SAM_BIN / "sam").exists():
        pytest.fail("the SAM CLI is not installed in .venv-sam: run `make sam` (make test does)")
    return SAM_BIN


@pytest.fixture(scope="session")
def python313() -> Path:
    """A working Python 3.13 interpreter (fails with a clear message when there is none)."""
    found = find_python313()
    if found is None:
        pytest.fail(NOT_FOUND)
    return found


@pytest.fixture(scope="session")
def cfn(sam_bin: Path) -> dict[str, Any]:
    """template.yaml translated to CloudFormation by the SAM translator, offline."""
    script = Path(__file__).with_name("translate_template.py")
    out = run([str(sam_bin / "python"), str(script), str(TEMPLATE)], timeout=120)
    translated: dict[str, Any] = json.loads(out)
    return translated


@pytest.fixture(scope="session")
def build_dir(sam_bin: Path, python313: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run `sam build` (cached, parallel) into a temporary directory and return it."""
    base = tmp_path_factory.mktemp("sam")
    build = base / "build"
    env = sam_env(PATH=f"{python313.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    run(
        [
            str(sam_bin / "sam"),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build),
            "--cache-dir",
            str(base / "cache"),
            "--cached",
            "--parallel",
        ],
        timeout=600,
        env=env,
    )
    return build


@pytest.fixture(scope="session")
def cfn_lint() -> Path:
    """cfn-lint from the test virtualenv (pinned in requirements-dev.txt)."""
    path = Path(sys.executable).parent / "cfn-lint"
    if not path.exists():
        pytest.fail("cfn-lint is not installed in the test virtualenv: run `make venv`")
    return path
