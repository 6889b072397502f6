"""Child processes of ``make run``: started in their own process group, output prefixed and
copied to a log file, stopped with SIGTERM then SIGKILL so that nothing is left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """On Linux, have the kernel send SIGTERM to the child if the launcher dies (even SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    """Start, watch and stop the launcher's children.

    Parameters
    ----------
    log_path:
        Every child's output is appended here too (``make demo`` reads it).
    """

    def __init__(self, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: IO[str] = log_path.open("w", encoding="utf-8")
        self._write_lock = threading.Lock()
        self.children: dict[str, subprocess.Popen[str]] = {}
        self._pumps: list[threading.Thread] = []

    def start(self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        """Start ``argv`` in a new session, its output pumped through ``name | ...`` lines."""
        child = subprocess.Popen(  # noqa: S603 - argv is built by the launcher, not user input
            list(argv),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches the launcher only; it stops children in order
            preexec_fn=_die_with_parent,
        )
        self.children[name] = child
        pump = threading.Thread(target=self._pump, args=(name, child), daemon=True)
        pump.start()
        self._pumps.append(pump)

    def say(self, line: str) -> None:
        """Print a launcher line (not copied to the log file, which may be shared)."""
        with self._write_lock:
            print(line, flush=True)

    def exited(self) -> str | None:
        """Return the name of a child that has exited, if any."""
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        """SIGTERM every child's group (last started first), then SIGKILL what is left."""
        for child in reversed(list(self.children.values())):
            self._signal(child, signal.SIGTERM)
            try:
                child.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL)
                child.wait(5)
        for pump in self._pumps:
            pump.join(2)
        self._log.close()

    @staticmethod
    def _signal(child: subprocess.Popen[str], signum: int) -> None:
        if child.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signum)

    def _pump(self, name: str, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        prefix = f"{name:<6} | "
        for line in child.stdout:
            with self._write_lock:
                sys.stdout.write(prefix + line)
                sys.stdout.flush()
                if not self._log.closed:
                    self._log.write(f"{time.time():.3f} {prefix}{line}")
                    self._log.flush()
