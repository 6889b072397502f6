"""A real HTTP receiver on 127.0.0.1 for delivery tests: records every request it gets.

Routes: ``/api/v1/tasks/callback`` verifies the Standard Webhooks signature with the
secrets it was given (200, or 401 like the API's callback route); ``/status/<code>``
answers that status (``?retry_after=N`` adds a Retry-After header, ``?size=N`` a body of N
bytes); ``/slow`` sleeps longer than the tests' timeouts; ``/redirect`` answers 302; anything
else 404 with a 2 KiB body.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from shared.delivery.signing import verify_signature
from shared.exceptions import AuthenticationError

CALLBACK_PATH = "/api/v1/tasks/callback"
NOT_FOUND_BODY = b"N" * 2048
SLOW_SECONDS = 2.0


@dataclass
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The running server and what it received."""

    host: str
    port: int
    secrets: Sequence[str]
    requests: list[Received] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path


def _handler_class(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            receiver.requests.append(Received(self.command, parts.path, dict(self.headers), body))
            query = parse_qs(parts.query)
            if parts.path == CALLBACK_PATH:
                try:
                    verify_signature(body, dict(self.headers), receiver.secrets)
                except AuthenticationError:
                    self._answer(401, b'{"message":"invalid signature","code":"unauthorized"}')
                    return
                self._answer(200, json.dumps({"received": True}).encode())
            elif parts.path.startswith("/status/"):
                status = int(parts.path.rsplit("/", 1)[1])
                extra = {}
                if "retry_after" in query:
                    extra["Retry-After"] = query["retry_after"][0]
                size = int(query.get("size", ["5"])[0])
                self._answer(status, b"x" * size, extra)
            elif parts.path == "/slow":
                if not receiver.stopping.wait(SLOW_SECONDS):
                    self._answer(200, b"late")
            elif parts.path == "/redirect":
                self._answer(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
            else:
                self._answer(404, NOT_FOUND_BODY)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """Request threads are daemons (pooled keep-alive connections stay open after a test);
    a client that hung up is not an error here."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        return


def port_is_free(port: int) -> bool:
    """Return whether 127.0.0.1:port can be bound right now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def running_receiver(secrets: Sequence[str], port: int = 0) -> Iterator[Receiver]:
    """Serve a ``Receiver`` on 127.0.0.1 (``port`` 0 = any free port) for the block."""
    receiver = Receiver("127.0.0.1", 0, secrets)
    server = _QuietServer(("127.0.0.1", port), _handler_class(receiver))
    receiver.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
