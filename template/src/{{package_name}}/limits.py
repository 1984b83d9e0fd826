"""Request limits, enforced before the application parses anything.

A pure ASGI middleware (no per-request task or thread): a request with a body must
say it is JSON (else 415) and stay within ``max_body_bytes`` (else 413). The body is
counted while it streams in, chunked uploads without Content-Length included, and
buffered at most up to the limit; a declared Content-Length over the limit is refused
before a byte is read. The application then reads the buffered body as usual.
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RequestLimits:
    """ASGI middleware: 415 for a body that is not JSON, 413 for one over the limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value for key, value in scope["headers"]}
        if not _is_json(headers.get("content-type", b"")):
            await _reply(send, 415, "send the body as JSON (Content-Type: application/json)")
            return
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _reply(send, 400, "invalid Content-Length")
                return
            if int(declared) > self.max_body_bytes:
                await _reply(send, 413, self._too_large())
                return
        body = await self._read_body(receive)
        if body is None:
            await _reply(send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it grows past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self) -> str:
        return f"request body larger than {self.max_body_bytes} bytes"


def _is_json(content_type: bytes) -> bool:
    """application/json, with or without parameters, or a +json media type."""
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands the application the buffered body, then waits for
    the client to disconnect as the original would."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of an unread body is not drained: close the connection.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
