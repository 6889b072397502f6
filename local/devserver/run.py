"""``make run``: the whole product on this machine (``python -m local.devserver.run``).

Starts the API (uvicorn, local backend) on 127.0.0.1:8000, the batch worker with Redis (the
one at ``REDIS_URL`` when it answers, else a throwaway ``redis-server``; failing both, one
worker with an in-process lock, ``BATCH_LOCK_BACKEND=memory``), prints where everything is,
and stops it all on Ctrl-C. Options: ``--port``, ``--no-worker``, ``--api-workers N`` (server
processes; one runs the local engine, all serve the API).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from local.devserver import devenv
from local.devserver.processes import Supervisor

HOST = "127.0.0.1"


def _wait_healthy(url: str, supervisor: Supervisor, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.exited() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _start_redis(
    supervisor: Supervisor, env: dict[str, str], root: Path, scratch: list[str]
) -> str:
    """Point the worker at Redis; return how (for the banner)."""
    url = env.get("REDIS_URL") or devenv.DEFAULT_REDIS_URL
    if devenv.redis_answers(url):
        env["REDIS_URL"] = url
        return f"Redis at {url.split('@')[-1]}"
    binary = devenv.redis_server_binary()
    if binary is None:
        return ""
    port = devenv.free_port()
    data_dir = tempfile.mkdtemp(prefix="callback-scheduler-redis-")
    scratch.append(data_dir)
    argv = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    supervisor.start("redis", [*argv, "--dir", data_dir], env, root)
    env["REDIS_URL"] = f"redis://{HOST}:{port}/0"
    for _ in range(50):
        if devenv.redis_answers(env["REDIS_URL"]):
            break
        time.sleep(0.1)
    return f"a throwaway redis-server on port {port} (nothing saved)"


def worker_locks(
    supervisor: Supervisor, env: dict[str, str], root: Path, scratch: list[str]
) -> str:
    """Choose the worker's locks (Redis, else ``BATCH_LOCK_BACKEND=memory``); say which."""
    if env.get("BATCH_LOCK_BACKEND") != "memory":
        how = _start_redis(supervisor, env, root, scratch)
        if how:
            env["BATCH_LOCK_BACKEND"] = "redis"
            return f"locks in {how}"
        reason = "no Redis answers and redis-server is not installed"
    else:
        reason = "BATCH_LOCK_BACKEND=memory"
    env["BATCH_LOCK_BACKEND"] = "memory"
    return f"single replica with an in-process lock ({reason})"


def banner(
    base: str, env: dict[str, str], dev: devenv.DevSecrets, created: bool, worker: str, state: Path
) -> str:
    """Return what ``make run`` prints once the API answers (the secrets actually in use)."""
    token = env["API_TOKENS"].replace(",", " ").split()[0]
    own = env["SIGNING_SECRETS"] == dev.signing_secret and token == dev.api_token
    kept = f"{'generated now, ' if created else ''}kept in {state / devenv.SECRETS_FILE}"
    secret = dev.signing_secret if own else "from your SIGNING_SECRETS (not shown)"
    return "\n".join(
        [
            "",
            "callback-scheduler is running on this machine (local scheduling backend)",
            f"  API             {base}",
            f"  Swagger         {base}/swagger",
            f"  API token       {token}",
            f"  signing secret  {secret}",
            f"                  ({kept + ', git-ignored' if own else 'your environment wins'})",
            f"  batch worker    {worker}",
            "",
            "Schedule a signed call to this API's callback route in 10 seconds:",
            f"  curl -sS -X POST {base}/api/v1/tasks -H 'Authorization: Bearer {token}' "
            "-H 'Content-Type: application/json' -d @events/local/create_in_10_seconds.json",
            "Or run `make demo` in another terminal. Ctrl-C stops everything.",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run until Ctrl-C/SIGTERM; return the exit code."""
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-worker", action="store_true", help="do not start the worker")
    parser.add_argument("--api-workers", type=int, default=1, help="API server processes")
    parser.add_argument("--state-dir", type=Path, default=devenv.REPO_ROOT / ".local")
    args = parser.parse_args(argv)
    root = devenv.REPO_ROOT
    state = args.state_dir.resolve()
    if not devenv.port_is_free(HOST, args.port):
        print(
            f"port {args.port} on {HOST} is in use; stop that server or use --port", file=sys.stderr
        )
        return 1
    dev, created = devenv.load_or_create_secrets(state)
    env = devenv.child_environment(root, state, dev, HOST, args.port)
    log_config = devenv.logging_config(state / "logging.json")
    supervisor = Supervisor(state / "run.log")
    stop = threading.Event()
    scratch: list[str] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        worker = "not started (--no-worker)"
        locks_how = "" if args.no_worker else worker_locks(supervisor, env, root, scratch)
        python = sys.executable
        api = [python, "-m", "local.devserver.serve", "--host", HOST, "--port", str(args.port)]
        api += ["--workers", str(args.api_workers), "--log-config", str(log_config)]
        supervisor.start("api", api, env, root)
        if locks_how:
            supervisor.start("worker", [python, "-m", "worker"], env, root)
            worker = f"python -m worker, {locks_how}"
        base = f"http://{HOST}:{args.port}"
        if not _wait_healthy(f"{base}/health", supervisor):
            supervisor.say(f"the {supervisor.exited() or 'api'} process failed to start")
            return 1
        supervisor.say(banner(base, env, dev, created, worker, state))
        while not stop.wait(0.5):
            gone = supervisor.exited()
            if gone is not None:
                supervisor.say(f"the {gone} process exited; stopping everything")
                return 1
        supervisor.say("stopping: the worker and the API finish what they are doing, then exit")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut cleanup
        supervisor.stop_all()
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
