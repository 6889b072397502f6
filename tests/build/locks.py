"""Reading the hashed lock files that ``make lock`` writes (uv pip compile --generate-hashes)."""

from __future__ import annotations

import re
from pathlib import Path

# name -> every (version, hashes) entry; a universal lock may pin one package twice under
# different environment markers (e.g. one version for Python 3.11, another for 3.12+).
Entries = dict[str, list[tuple[str, list[str]]]]


def norm(name: str) -> str:
    """PEP 503 normalised name, with underscores."""
    return re.sub(r"[-_.]+", "_", name).lower()


def entries(lock: Path) -> Entries:
    """Requirement entries of a lock file; every one must be pinned with ``==``."""
    found: Entries = {}
    text = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name_part = line.partition(";")[0].split()[0]
        assert "==" in name_part, f"{lock.name}: not pinned with ==: {line[:80]}"
        name, version = name_part.split("==")
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        found.setdefault(norm(name.split("[")[0]), []).append((version, hashes))
    return found


def versions(found: Entries, name: str) -> set[str]:
    """The versions a lock allows for ``name`` (empty when it is not in the lock)."""
    return {version for version, _ in found.get(name, [])}
