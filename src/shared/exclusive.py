"""One holder per file on this machine: an advisory `flock` the kernel drops when the process dies.

Used by the local engine (one engine per state folder) and by the batch scheduler hosted in
the API with the in-process lock (one host per machine). Standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.exceptions import ConfigurationError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; the lock is then advisory only
    fcntl = None  # type: ignore[assignment]


class ExclusiveLock:
    """``flock`` on a file; a second engine on the same folder fails at start, not later."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``ConfigurationError`` naming the folder."""
        if not self.try_acquire():
            raise ConfigurationError(
                f"another local scheduler is running on {self.path.parent} "
                "(set LOCAL_STATE_DIR to use another folder)"
            )

    def try_acquire(self) -> bool:
        """Take the lock if no other holder has it; return whether this one holds it now."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
