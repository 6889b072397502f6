"""The worker image, checked statically: hadolint, stages, user, health check, pinned deps."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.build.locks import entries, norm, versions
from tests.worker.support import PYTHON, REPO

DOCKERFILE = REPO / "worker" / "Dockerfile"
REQUIREMENTS = REPO / "worker" / "requirements.txt"
HADOLINT = Path(sys.executable).parent / "hadolint"


def _pins(path: Path) -> dict[str, str]:
    """name -> version of a hashed lock (one version per package for the image's Python)."""
    return {
        name.replace("_", "-"): sorted(versions(found, name))[-1]
        for found in [entries(path)]
        for name in found
    }


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    rows = [line.strip() for line in text.splitlines()]
    return [
        (row.split(None, 1)[0].upper(), row.split(None, 1)[1] if " " in row else "")
        for row in rows
        if row and not row.startswith("#")
    ]


def test_hadolint_passes() -> None:
    done = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_final_stage_is_slim_non_root_with_a_health_check_and_no_build_tools() -> None:
    steps = _instructions()
    froms = [i for i, (op, _) in enumerate(steps) if op == "FROM"]
    assert len(froms) == 2  # multi-stage
    final = steps[froms[-1] :]
    assert final[0] == ("FROM", "python:3.13-slim")
    users = [arg for op, arg in final if op == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")
    healthcheck = " ".join(arg for op, arg in final if op == "HEALTHCHECK")
    assert '"python", "-m", "worker", "healthcheck"' in healthcheck
    runs = " ".join(arg for op, arg in final if op == "RUN")
    assert "pip" not in runs  # packages come from the build stage's virtualenv
    assert not re.search(r"apt-get|gcc|build-essential", runs)
    copies = [arg for op, arg in final if op == "COPY"]
    assert "--from=build /opt/venv /opt/venv" in copies
    assert all("tests" not in arg for arg in copies)
    build_runs = " ".join(arg for op, arg in steps[: froms[-1]] if op == "RUN")
    assert "--no-cache-dir" in build_runs
    assert "--only-binary=:all:" in build_runs


def test_requirements_are_pinned_and_agree_with_the_dev_pins() -> None:
    image = _pins(REQUIREMENTS)
    for other in ("requirements-dev.txt", "src/requirements.txt", "functions/api/requirements.txt"):
        for name, version in _pins(REPO / other).items():
            if name in image:
                assert image[name] == version, f"{name}: {image[name]} here, {version} in {other}"


# Imported only because the dev virtualenv happens to have them; each import is guarded by
# `try: ... except ImportError` in the library, which runs fine without it.
OPTIONAL = {
    "setuptools",  # its _distutils_hack .pth hook, loaded by site.py in any venv
    "opentelemetry-api",  # redis-py's optional metrics
    "cryptography",  # redis-py's optional OCSP stapling
    "certifi",  # botocore/urllib3 use it only when installed (the image has CA certs)
}


def test_everything_the_worker_imports_is_in_the_image_requirements() -> None:
    probe = (
        "import sys, importlib.metadata as md\n"
        "import worker.main, worker.embedded\n"
        "from worker.discovery import discover\n"
        "discover(['worker.schedules'])\n"
        "dists = md.packages_distributions()\n"
        "tops = {m.split('.')[0] for m in list(sys.modules)}\n"
        "print('\\n'.join(sorted({d for t in tops for d in dists.get(t, [])})))\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": f"{REPO / 'src'}:{REPO}", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    imported = {norm(name).replace("_", "-") for name in done.stdout.split()}
    assert "apscheduler" in imported  # the probe really imported the worker
    missing = imported - set(_pins(REQUIREMENTS)) - OPTIONAL

    assert missing == set(), f"imported by the worker but not in worker/requirements.txt: {missing}"


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "tests", "**/__pycache__", ".env"):
        assert entry in ignored
