"""Test support for the ledger: the table as template.yaml declares it, and a scripted target.

``create_ledger_table`` reads ``LedgerTable`` from template.yaml itself (keys, attribute
types, indexes), so the tests run against the layout that is deployed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cfnlint.decode.cfn_yaml import loads  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[3]
TABLE = "ledger-test"


def ledger_table_properties() -> dict[str, Any]:
    """The ``LedgerTable`` properties exactly as template.yaml declares them."""
    template = loads((ROOT / "template.yaml").read_text())  # cfn-lint's reader (tags too)
    props: dict[str, Any] = template["Resources"]["LedgerTable"]["Properties"]
    return props


def create_ledger_table(client: Any, name: str = TABLE) -> str:
    """Create the ledger table in moto with the template's keys and indexes; return its name."""
    props = ledger_table_properties()
    client.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )
    return name


@dataclass
class ScriptedTarget:
    """A real HTTP server on 127.0.0.1: each path answers its scripted statuses in turn
    (the last one repeats); an unscripted path answers 200."""

    port: int = 0
    script: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str) -> tuple[int, bytes]:
        answers = self.script.get(path) or [(200, b'{"ok":true}')]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for _, seen, headers in self.requests if seen == path]


@contextmanager
def scripted_target() -> Iterator[ScriptedTarget]:
    """Run a ``ScriptedTarget`` for the duration of the block."""
    target = ScriptedTarget()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            target.requests.append((self.command, self.path, dict(self.headers)))
            status, body = target.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    target.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
