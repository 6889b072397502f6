"""What ``make run`` needs before it starts anything: dev secrets, environment, Redis, logging.

The development signing secret and API token are generated once and kept in
``<state>/dev-secrets.json`` (mode 0600; ``.local/`` is git-ignored), so restarts keep them
and a receiver configured once keeps verifying.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

SECRETS_FILE = "dev-secrets.json"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# local/devserver/devenv.py -> the repository root (make run works from a clone)
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DevSecrets:
    """The generated development credentials."""

    signing_secret: str
    api_token: str


def load_or_create_secrets(state_dir: Path) -> tuple[DevSecrets, bool]:
    """Return the dev secrets of ``state_dir`` and whether they were created just now."""
    path = state_dir / SECRETS_FILE
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        return DevSecrets(stored["signing_secret"], stored["api_token"]), False
    state_dir.mkdir(parents=True, exist_ok=True)
    created = DevSecrets(
        signing_secret="whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
        api_token=secrets.token_urlsafe(32),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(
            {"signing_secret": created.signing_secret, "api_token": created.api_token}, handle
        )
    return created, True


def python_path(root: Path) -> str:
    """Return the ``PYTHONPATH`` of the import packages (as pyproject's pytest config)."""
    parts = [root / "src", root / "functions" / "api", root / "functions" / "api_call", root]
    return os.pathsep.join(str(part) for part in parts)


def child_environment(
    root: Path, state_dir: Path, dev: DevSecrets, host: str, port: int
) -> dict[str, str]:
    """Return the environment of the API and worker: the user's values win, except the URL."""
    env = dict(os.environ)
    env["PYTHONPATH"] = python_path(root)
    env["SCHEDULER_BACKEND"] = "local"
    env["API_BASE_URL"] = f"http://{host}:{port}"  # the callback route is then allowed
    env.setdefault("STAGE", "dev")
    env.setdefault("SIGNING_SECRETS", dev.signing_secret)
    env.setdefault("API_TOKENS", dev.api_token)
    env.setdefault("LOCAL_STATE_DIR", str(state_dir))  # the dead-letter command reads it too
    env.setdefault("BATCH_HEALTH_FILE", str(state_dir / "worker.alive"))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def port_is_free(host: str, port: int) -> bool:
    """Return whether nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) != 0


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_answers(url: str) -> bool:
    """Return whether a Redis server answers PING at ``url`` within half a second."""
    try:
        import redis
    except ImportError:
        return False
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def redis_server_binary() -> str | None:
    """Return the path of an installed ``redis-server`` or None."""
    return shutil.which("redis-server")


def logging_config(path: Path) -> Path:
    """Write uvicorn's ``--log-config`` (its formats, plus INFO for our loggers); return it."""
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
            "json": {"()": "shared.log.json_formatter"},  # the JSON lines of every runtime
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
            "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "local": {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path
