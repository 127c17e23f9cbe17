"""Database faults as answers: 503 + Retry-After + the problem body, never a 500.

The fault-injection suite (tests/faults) drives real faults on throwaway
servers; these are the quick checks of the mapping and of the guard.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import Receive, Scope, Send

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


@pytest.mark.anyio
async def test_guard_refuses_beyond_the_limit_and_answers_by_the_deadline() -> None:
    guard = DatabaseGuard(_slow, max_in_flight=1, deadline=0.3, retry_after=2)
    transport = httpx.ASGITransport(app=guard)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        slow, busy = await asyncio.gather(client.get("/5"), _later(client.get("/0")))
        assert slow.status_code == 503 and "did not answer in time" in slow.json()["detail"]
        assert busy.status_code == 503 and "too many requests" in busy.json()["detail"]
        assert busy.headers["Retry-After"] == "2"
        assert (await client.get("/healthz")).status_code == 200  # never guarded
        assert (await client.get("/0")).status_code == 503  # the slow one still runs
        await asyncio.sleep(5)
        assert guard.in_flight == 0
        assert (await client.get("/0")).status_code == 200


async def _later(request: object) -> httpx.Response:
    await asyncio.sleep(0.05)
    return await request  # type: ignore[no-any-return, misc]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
