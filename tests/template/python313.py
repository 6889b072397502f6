"""Find a working python3.13 for `sam build` (the functions' runtime): PATH first, then pyenv.

`sam build` looks for ``python3.13`` on PATH and checks its version. A pyenv shim named
``python3.13`` may be on PATH yet fail when 3.13 is not among the selected versions, so each
candidate is run before it is trusted. Run as ``python -m tests.template.python313`` to print
the directory to put first on PATH (the Makefile's ``sam-build`` does); exit 1 with a message
when this machine has no python3.13.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROBE = "import sys; print(sys.version_info[:2] == (3, 13)); print(sys.executable)"
NOT_FOUND = (
    "no python3.13 found (tried PATH and pyenv): `sam build` needs one for the python3.13 "
    "runtime. Install it, e.g. `pyenv install 3.13`, or put a python3.13 on PATH."
)


def _probe(candidate: Path) -> Path | None:
    """Return the real executable behind ``candidate`` if it runs as Python 3.13."""
    try:
        done = subprocess.run(
            [str(candidate), "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2 or lines[0] != "True":
        return None
    return Path(lines[1])


def _pyenv_candidates() -> list[Path]:
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        roots.insert(0, done.stdout.strip())
    found: list[Path] = []
    for root in dict.fromkeys(r for r in roots if r):
        versions = Path(root) / "versions"
        if versions.is_dir():
            # newest 3.13.x first
            for version in sorted(versions.glob("3.13*"), reverse=True):
                found.append(version / "bin" / "python3.13")
    return found


def find_python313() -> Path | None:
    """Return a Python 3.13 executable (real path, not a shim), or ``None`` if none exists."""
    on_path = shutil.which("python3.13")
    candidates = ([Path(on_path)] if on_path else []) + _pyenv_candidates()
    for candidate in candidates:
        if candidate.exists():
            real = _probe(candidate)
            if real is not None:
                return real
    return None


def main() -> int:
    """Print the directory holding python3.13 (for PATH); 1 with a message if there is none."""
    found = find_python313()
    if found is None:
        print(NOT_FOUND, file=sys.stderr)
        return 1
    print(found.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
