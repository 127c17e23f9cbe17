"""One GET against an ASGI app in-process, with no HTTP client library.

The restore drill asks the service's own `/readyz` whether it would serve from
the restored database. Only the drill needs this, and a test client (httpx)
is a development dependency, so the dozen lines of the ASGI protocol are here.
"""

from __future__ import annotations

import asyncio
from typing import Any


def get(app: Any, path: str) -> tuple[int, str]:
    """Status code and body text of `GET path` on `app` (no lifespan is run)."""
    return asyncio.run(_get(app, path))


async def _get(app: Any, path: str) -> tuple[int, str]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"drill.local")],
        "client": ("127.0.0.1", 0),
        "server": ("drill.local", 80),
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the request has no more body; wait for disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, send)
    return status, b"".join(chunks).decode(errors="replace")


__all__ = ["get"]
