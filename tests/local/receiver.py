"""A real HTTP receiver on 127.0.0.1 that records what arrives and answers from a script."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _ReceiverServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: when the engine opens more connections at
    # the same instant, the kernel drops the extra SYNs and the client retries after 1 s,
    # which would show as a delivery 1 s late. A real target listens with a larger backlog.
    request_queue_size = 128


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    arrived: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records requests; ``script[path]`` lists the statuses to answer first (then 200)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[Received] = []
        self.script: dict[str, deque[int]] = {}
        self.retry_after: str | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = _ReceiverServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *statuses: int) -> None:
        self.script[path] = deque(statuses)

    def arrivals(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def wait_for(self, count: int, timeout: float, path: str | None = None) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.arrivals(path)
            if len(got) >= count:
                return got
            time.sleep(0.01)
        return self.arrivals(path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, request: Received) -> int:
        with self._lock:
            self.received.append(request)
            queue = self.script.get(request.path)
            return queue.popleft() if queue else 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                arrived = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver._record(
                    Received(arrived, self.command, self.path, dict(self.headers), body)
                )
                with receiver._lock:
                    receiver.in_flight -= 1
                reply = b'{"ok": true}' if status < 400 else b'{"error": "scripted failure"}'
                self.send_response(status)
                if status in (429, 503) and receiver.retry_after is not None:
                    self.send_header("Retry-After", receiver.retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_GET = do_PUT = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
