"""Read every request body once, before the app: 413 over the limit, JSON by default.

The body is received in full here (at most 512 KiB, whether announced by Content-Length or
streamed in chunks) and handed to the app in one message, so an oversized body is always
refused with 413 before anything parses it. A body sent without a JSON Content-Type (as
``sam local generate-event`` and many API Gateway clients send it) is read as JSON: every
route of this API takes JSON.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api_app.errors import error_response

MAX_REQUEST_BYTES = 512 * 1024
JSON_TYPE = b"application/json"


class BodySizeLimitMiddleware:
    """Answer 413 when Content-Length, or the bytes actually received, exceed the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and not _is_json(headers.get(b"content-type", b"")):
            scope = dict(scope)
            scope["headers"] = [
                (name, value) for name, value in scope["headers"] if name != b"content-type"
            ] + [(b"content-type", JSON_TYPE)]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"request body larger than {self.max_bytes} bytes"
        await error_response(413, message, "payload_too_large")(scope, receive, send)


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == JSON_TYPE or media.endswith(b"+json")
