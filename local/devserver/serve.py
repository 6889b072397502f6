"""``python -m local.devserver.serve``: the API on uvicorn, one or several processes, honest exit.

uvicorn's own command line exits 0 when a worker of ``--workers N`` (N > 1) fails to start:
its supervisor stops every process and returns normally. This launcher runs the same
supervisor and exits 3 (uvicorn's start-up failure code) when any process failed to start,
so ``make run`` and process managers see the failure. With the local backend, one process
runs the engine and the others serve against the same store (``local/backend/roles.py``).
The app is imported here first, so a setting refused at import exits 3 at once instead of
uvicorn restarting workers that die of it, forever.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

APP = "api_app.main:app"


def app_imports(module: str) -> bool:
    """Import the app once here: a setting it refuses at import fails now, not in a restart
    loop (uvicorn's supervisor restarts a worker that dies of an import error, forever)."""
    try:
        importlib.import_module(module)
    except Exception:
        traceback.print_exc()
        print(f"the API ({module}) cannot start; exiting", file=sys.stderr)
        return False
    return True


def serve(config: uvicorn.Config) -> int:
    """Run ``config`` until stopped; return 0, or ``STARTUP_FAILURE`` if any process failed."""
    if not app_imports(APP.split(":")[0]):
        return STARTUP_FAILURE
    if config.workers <= 1:
        server = uvicorn.Server(config)
        server.run()  # exits the process with STARTUP_FAILURE when the app cannot load
        return 0 if server.started else STARTUP_FAILURE
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    failed = [p.pid for p in supervisor.processes if p.exitcode == STARTUP_FAILURE]
    if failed:
        print(f"server process(es) {failed} failed to start; exiting", file=sys.stderr)
        return STARTUP_FAILURE
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, serve, return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m local.devserver.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--log-config", default=None, help="uvicorn logging config file")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        APP,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=args.log_config or uvicorn.config.LOGGING_CONFIG,
        access_log=not args.no_access_log,
    )
    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
