"""Heartbeat file: the scheduler loop touches it; ``python -m worker healthcheck`` reads it."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from shared.exceptions import ConfigurationError
from shared.settings import Settings, load_settings

HEALTH_FILE_NAME = "callback-scheduler-worker.alive"


def health_path(settings: Settings) -> Path:
    """``BATCH_HEALTH_FILE``, or a file in the system temp directory."""
    if settings.batch_health_file:
        return Path(settings.batch_health_file)
    return Path(tempfile.gettempdir()) / HEALTH_FILE_NAME


def beat(path: Path) -> None:
    """Record that the loop is alive now (atomic replace, so a reader never sees half)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(f"{time.time():.3f}\n", encoding="ascii")
    os.replace(tmp, path)


def clear(path: Path) -> None:
    """Remove the heartbeat (the worker is stopping)."""
    path.unlink(missing_ok=True)


def check(path: Path, max_age_seconds: float, now: float | None = None) -> tuple[bool, str]:
    """Return (healthy, reason): healthy when the last beat is at most ``max_age`` old."""
    try:
        last = float(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return False, f"no heartbeat at {path}"
    age = (time.time() if now is None else now) - last
    if age > max_age_seconds:
        return False, f"heartbeat is {age:.1f}s old (limit {max_age_seconds:.0f}s)"
    return True, f"heartbeat {age:.1f}s old"


def healthcheck_main() -> int:
    """``python -m worker healthcheck``: exit 0 when the loop beat recently, else 1."""
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(exc.message)
        return 1
    ok, reason = check(health_path(settings), settings.batch_health_max_age_seconds)
    print(reason)
    return 0 if ok else 1
