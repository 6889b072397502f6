"""Wake the engine of another process: a Unix datagram socket in the state folder.

Every server process may create tasks, but only one runs the engine. A process that does not
sends the new task's due time as one datagram; the engine's loop reads it and looks at the
store before its planned wake-up. Best effort by design: when the datagram cannot be sent
(no engine yet, a full buffer) the engine still finds the task within ``LOCAL_POLL_SECONDS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import tempfile
from pathlib import Path

MAX_SOCKET_PATH = 100  # sun_path holds 104-108 bytes depending on the system


def wake_socket_path(state_dir: Path) -> Path:
    """Return the socket path of the engine on ``state_dir`` (short enough for ``sun_path``)."""
    path = state_dir.resolve() / "engine.wake"
    if len(os.fsencode(path)) < MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"callback-scheduler-{digest}.wake"


class WakeListener:
    """The engine's end: a non-blocking datagram socket bound to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by a killed engine; we hold the engine lock, so it is stale
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._sock.bind(os.fsencode(path))

    def fileno(self) -> int:
        """The socket's descriptor (for ``loop.add_reader``)."""
        return self._sock.fileno()

    def drain(self) -> float | None:
        """Read every waiting datagram; return the earliest due time (None: due now)."""
        earliest: float | None = float("inf")
        while True:
            try:
                data = self._sock.recv(64)
            except (BlockingIOError, InterruptedError):
                break
            try:
                due = float(data)
            except ValueError:
                due = None
            earliest = None if due is None or earliest is None else min(earliest, due)
        return earliest

    def close(self) -> None:
        """Close the socket and remove its file."""
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class WakeSender:
    """A serving process's end: one datagram per new task, never blocking, errors ignored."""

    def __init__(self, path: Path) -> None:
        self.path = os.fsencode(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)

    def send(self, due_at: float | None) -> None:
        """Tell the engine something is due at ``due_at`` (None: now)."""
        message = b"now" if due_at is None else repr(float(due_at)).encode()
        with contextlib.suppress(OSError):
            self._sock.sendto(message, self.path)

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()
