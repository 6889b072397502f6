"""Every installable unit installs from a hashed lock that agrees with what the tests ran.

``make lock`` compiles each ``requirements.in`` (direct requirements) into the
``requirements.txt`` next to it, constrained by the dev lock; these tests keep the locks
complete, mutually consistent and in step with the ``.in`` files and the dev virtualenv.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

from tests.build.locks import entries, norm, versions

ROOT = Path(__file__).resolve().parents[2]
UNITS = ["src", "functions/api", "functions/api_call", "functions/dead_letter_recorder", "worker"]
DEV_LOCK = ROOT / "requirements-dev.txt"
LOCKS = [DEV_LOCK, ROOT / "requirements-sam.txt", *(ROOT / u / "requirements.txt" for u in UNITS)]
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(==|>=|<=|~=|>|<|!=)?")


def direct(requirements_in: Path) -> dict[str, str]:
    """Direct requirements of an .in file (following -r), name -> exact version."""
    pins: dict[str, str] = {}
    for raw in requirements_in.read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins.update(direct(requirements_in.parent / line[3:].strip()))
            continue
        match = REQUIREMENT.match(line)
        assert match, f"{requirements_in}: not a requirement: {line}"
        assert match.group(3) == "==", f"{requirements_in}: pin exactly: {line}"
        pins[norm(match.group(1))] = line.split("==")[1].strip()
    return pins


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_is_pinned_and_hashed(lock: Path) -> None:
    found = entries(lock)
    unhashed = sorted(name for name, pins in found.items() for _, hashes in pins if not hashes)
    # API_CALL_LAMBDA's and the dead-letter recorder's own locks are empty on purpose: they
    # run on the layer alone.
    assert bool(found) is (lock.parent.name not in {"api_call", "dead_letter_recorder"})
    assert unhashed == []
    assert "make lock" in lock.read_text(encoding="utf-8")  # generated, not hand-edited
    assert str(ROOT) not in lock.read_text(encoding="utf-8")  # no machine-specific paths


@pytest.mark.parametrize(
    ("source", "lock"),
    [
        ("requirements-dev.in", "requirements-dev.txt"),
        ("requirements-sam.in", "requirements-sam.txt"),
        *((f"{u}/requirements.in", f"{u}/requirements.txt") for u in UNITS),
    ],
)
def test_lock_is_compiled_from_its_direct_requirements(source: str, lock: str) -> None:
    wanted = direct(ROOT / source)
    locked = entries(ROOT / lock)
    stale = {n: (v, sorted(versions(locked, n))) for n, v in wanted.items()}
    stale = {n: pair for n, pair in stale.items() if [pair[0]] != pair[1]}
    assert stale == {}, f"{lock} is out of date with {source}: run `make lock`"


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_runs_the_versions_the_tests_ran(unit: str) -> None:
    dev = entries(DEV_LOCK)
    own = entries(ROOT / unit / "requirements.txt")
    differ = {n: (versions(own, n), versions(dev, n)) for n in own}
    differ = {n: pair for n, pair in differ.items() if not pair[0] <= pair[1]}
    assert differ == {}


def test_layer_has_no_pydantic() -> None:
    # API_CALL_LAMBDA loads the layer; pydantic is the API's and the worker's.
    layer = entries(ROOT / "src" / "requirements.txt")
    assert not {"pydantic", "pydantic_core", "pydantic_settings"} & set(layer)
    assert "pydantic" in entries(ROOT / "functions" / "api" / "requirements.txt")


def test_dev_virtualenv_is_the_dev_lock() -> None:
    installed = {
        norm(d.metadata["Name"] or ""): d.version for d in importlib.metadata.distributions()
    }
    locked = entries(DEV_LOCK)
    # Markers may exclude a locked package on this Python (e.g. a backport): only compare
    # what is installed, and insist that the direct requirements are all there.
    differ = {n: (installed[n], versions(locked, n)) for n in locked if n in installed}
    differ = {n: pair for n, pair in differ.items() if pair[0] not in pair[1]}
    assert differ == {}, "the virtualenv drifted from requirements-dev.txt: run `make venv`"
    missing = set(direct(ROOT / "requirements-dev.in")) - set(installed)
    assert missing == set()


def test_worker_image_installs_its_lock_with_hashes() -> None:
    dockerfile = (ROOT / "worker" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY worker/requirements.txt" in dockerfile
    assert "--require-hashes" in dockerfile
    assert "--no-deps" in dockerfile  # nothing outside the lock can be resolved in


def test_makefile_installs_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-dev.txt" in makefile
    assert "--require-hashes -r requirements-sam.txt" in makefile
    assert re.search(r"^lock:", makefile, re.MULTILINE)
