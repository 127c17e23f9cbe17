"""Refuse request bodies over a size limit with 413, before a route sees them.

A declared Content-Length over the limit is refused at once; a chunked body
is counted as it streams and refused when it crosses the limit. Starlette has
no such setting and uvicorn's only limits are on headers, hence this small
ASGI middleware.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nippo.api.refusal import for_client


def _too_large(limit: int) -> str:
    return f"request body is larger than {limit} bytes ({limit // 1024} KiB); send less"


class BodySizeLimit:
    """ASGI middleware: 413 for a body over `max_bytes`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await for_client(scope, self._refusal())(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body reading; Starlette answers it.
                    raise HTTPException(413, _too_large(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)

    def _refusal(self) -> Response:
        body = json.dumps({"detail": _too_large(self.max_bytes)}).encode()
        return Response(body, 413, headers={"connection": "close"}, media_type="application/json")


__all__ = ["BodySizeLimit"]
