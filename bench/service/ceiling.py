"""The peer of `bench.service`: a minimal FastAPI app on nippo's engine settings.

Two routes give the stack's ceiling: `GET /const` answers constant JSON (no
database), `GET /select1` runs `SELECT 1` on an engine built exactly as nippo's
(`dbtier.db.make_engine` with the service's timeouts, the same pool and
driver), in FastAPI's worker threads as nippo's sync routes are.

With `ASYNC_URL_VARIABLE` set (an async driver's URL, e.g. `mariadb+asyncmy://`),
`/select1` is an `async def` route on SQLAlchemy's async engine with the same
pool (size, overflow, pre-ping, checkout timeout): the ceiling an async driver
would give the stack, with no worker thread at all. nippo's service is sync, so
only the ceiling is measured for such a driver (docs/performance.md).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from dbtier.config import load_settings
from dbtier.db import make_engine, timeouts_from

SELECT_ONE = text("SELECT 1")
ASYNC_URL_VARIABLE = "BENCH_ASYNC_URL"


def create_app() -> FastAPI:
    """The ceiling app on the engine DBTIER_* settings describe (as `nippo.app.create_app`)."""
    settings = load_settings()
    engine = make_engine(
        settings, timeouts=timeouts_from(settings, statement=settings.query_timeout)
    )
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    # JSONResponse returned directly: no response model, so no validation and, for the
    # sync route, no second thread hop (the leanest FastAPI answer).
    @app.get("/const")
    async def const() -> JSONResponse:
        return JSONResponse({"ok": True})

    async_url = os.environ.get(ASYNC_URL_VARIABLE)
    if async_url:
        async_engine = create_async_engine(
            async_url,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
            pool_pre_ping=True,
        )

        @app.get("/select1")
        async def select1_async() -> JSONResponse:
            async with async_engine.connect() as connection:
                one = (await connection.execute(SELECT_ONE)).scalar_one()
            return JSONResponse({"one": one})

    else:

        @app.get("/select1")
        def select1() -> JSONResponse:
            with engine.connect() as connection:
                return JSONResponse({"one": connection.execute(SELECT_ONE).scalar_one()})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


__all__ = ["create_app"]
