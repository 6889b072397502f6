"""Which server process runs the engine: the one holding the state folder's lock.

With several server processes on one state folder (``uvicorn --workers 3``) every process
serves the API against the same SQLite store, and exactly one runs the engine. The others
stand by: they send each new task's due time to the engine (``wakeup.py``) and retry the lock
every ``LOCAL_POLL_SECONDS``, so when the engine's process exits (the kernel drops its lock)
one of them takes over and re-queues the runs it left claimed.
"""

from __future__ import annotations

import logging
import threading

from local.backend.engine import Engine
from local.backend.wakeup import WakeSender, wake_socket_path
from shared.exclusive import ExclusiveLock

logger = logging.getLogger("local")


class EngineRole:
    """Runs ``engine`` in this process when it holds ``lock``; stands by otherwise."""

    def __init__(self, lock: ExclusiveLock, engine: Engine, poll_seconds: float) -> None:
        self.lock = lock
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.wake_path = wake_socket_path(lock.path.parent)
        self.runs_engine = False
        self._sender: WakeSender | None = None
        self._stopping = threading.Event()
        self._standby: threading.Thread | None = None

    def start(self, *, shared: bool) -> None:
        """Run the engine here; ``shared``: when another process runs it, serve and stand by.

        Raises
        ------
        ConfigurationError
            Not ``shared`` and another process runs an engine on this folder.
        """
        if not shared:
            self.lock.acquire()
        elif not self.lock.try_acquire():
            logger.info(
                "another process runs the local engine on %s: this one serves requests and "
                "takes over if that process stops",
                self.lock.path.parent,
            )
            self._sender = WakeSender(self.wake_path)
            self._stopping.clear()
            self._standby = threading.Thread(
                target=self._stand_by, name="local-standby", daemon=True
            )
            self._standby.start()
            return
        self._run_engine()

    def wake(self, due_at: float | None = None) -> None:
        """Tell the engine, here or in the process that runs it, that a run is due."""
        if self.runs_engine:
            self.engine.wake(due_at)
        elif self._sender is not None:
            self._sender.send(due_at)

    def stop(self) -> None:
        """Stop standing by, or stop the engine; release the lock."""
        self._stopping.set()
        if self._standby is not None:
            self._standby.join()
            self._standby = None
        if self.runs_engine:
            self.engine.stop()
            self.runs_engine = False
        if self._sender is not None:
            self._sender.close()
            self._sender = None
        self.lock.release()

    def _run_engine(self) -> None:
        try:
            self.engine.start(wake_path=self.wake_path)
        except BaseException:
            self.lock.release()
            raise
        self.runs_engine = True

    def _stand_by(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            if self.lock.try_acquire():
                logger.warning("the local engine's process stopped: this process runs it now")
                try:
                    self._run_engine()
                except Exception:
                    logger.exception("could not take over the local engine")
                    continue
                return
