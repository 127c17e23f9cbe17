"""Database faults as answers: 503 + Retry-After + the problem body, never a 500.

The fault-injection suite (tests/faults) drives real faults on throwaway
servers; these are the quick checks of the mapping and of the guard.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dbtier.config import Settings
from dbtier.errors import DatabaseUnreachable
from nippo.api.unavailable import DatabaseGuard, fault_kind
from nippo.app import create_app

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def test_unreachable_database_gives_503_with_retry_after_and_the_problem_body() -> None:
    settings = Settings(database_url=UNREACHABLE, retry_after=7)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    body = response.json()
    assert body["errors"] == [] and "unavailable" in body["detail"]
    assert "127.0.0.1" not in body["detail"]  # the driver's text stays in the log


def test_fault_kinds() -> None:
    class Orig(Exception):
        sqlstate = "57014"

    assert fault_kind(PoolTimeout("QueuePool limit")) == "pool_timeout"
    assert fault_kind(DatabaseUnreachable("gone")) == "unavailable"
    assert fault_kind(OperationalError("SELECT 1", {}, Orig("canceled"))) == "statement_timeout"
    assert fault_kind(OperationalError("SELECT 1", {}, Exception("lost"))) == "unavailable"
    assert fault_kind(ValueError("not ours")) is None


async def _slow(scope: Scope, receive: Receive, send: Send) -> None:
    path = scope["path"].strip("/")
    await asyncio.sleep(float(path) if path[:1].isdigit() else 0)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


class _Exchange:
    """One request to an ASGI app as a server sees it: the client has its answer when the
    last body message is sent, whether or not the app has returned."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.answered = asyncio.Event()
        scope: Scope = {"type": "http", "method": "GET", "path": path, "headers": []}
        self.app_task = asyncio.ensure_future(app(scope, self._receive, self._send))

    async def _receive(self) -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                self.answered.set()

    async def answer(self, within: float = 3.0) -> _Exchange:
        await asyncio.wait_for(self.answered.wait(), within)
        return self

    def detail(self) -> str:
        return str(json.loads(self.body)["detail"])


@pytest.mark.anyio
async def test_guard_refuses_beyond_the_limit_and_answers_by_the_deadline() -> None:
    guard = DatabaseGuard(_slow, max_in_flight=1, deadline=0.3, retry_after=2)
    slow = _Exchange(guard, "/5")
    await asyncio.sleep(0.05)
    busy = await _Exchange(guard, "/0").answer()
    assert busy.status == 503 and "too many requests" in busy.detail()
    assert busy.headers["retry-after"] == "2"
    await slow.answer(within=2.0)  # at the deadline, long before the app's 5 s
    assert slow.status == 503 and "did not answer in time" in slow.detail()
    assert not slow.app_task.done()  # the slow request still runs ...
    assert (await _Exchange(guard, "/healthz").answer()).status == 200  # never guarded
    assert (await _Exchange(guard, "/0").answer()).status == 503  # ... and counts
    await asyncio.wait_for(slow.app_task, 10)
    assert guard.in_flight == 0
    assert (await _Exchange(guard, "/0").answer()).status == 200


@pytest.mark.anyio
async def test_a_late_failure_after_the_deadline_answer_is_not_raised() -> None:
    async def fails_late(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.5)
        raise RuntimeError("the database call failed after the client had its 503")

    guard = DatabaseGuard(fails_late, max_in_flight=2, deadline=0.1, retry_after=1)
    late = await _Exchange(guard, "/x").answer()
    assert late.status == 503
    await asyncio.wait_for(late.app_task, 5)  # returns: nothing raised to the server
    assert guard.in_flight == 0


@pytest.mark.anyio
async def test_a_failure_before_the_deadline_reaches_the_server() -> None:
    async def fails(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    guard = DatabaseGuard(fails, max_in_flight=2, deadline=5, retry_after=1)
    exchange = _Exchange(guard, "/x")
    with pytest.raises(RuntimeError, match="boom"):
        await asyncio.wait_for(exchange.app_task, 5)
    assert guard.in_flight == 0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
