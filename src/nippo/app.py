"""The FastAPI application: `create_app()` is the public factory `dbtier up` serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from dbtier import __version__
from dbtier.config import Settings, load_settings
from dbtier.db import make_engine, timeouts_from
from dbtier.db_timeouts import Timeouts
from nippo.api import API_PREFIX, include_api, unavailable
from nippo.api.body_limit import BodySizeLimit
from nippo.api.errors import install_error_handlers
from nippo.api.input_guard import RefuseUnstorableInput
from nippo.api.throttle import FailedTokenThrottle, ThrottleFailedTokens
from nippo.service.health import shipped_heads
from nippo.service.limits import MAX_BODY_BYTES
from nippo.service.readiness_probe import ReadinessProbe
from nippo.web import install as install_pages

DESCRIPTION = """\
Daily learning reports, the seed's own domain. Learners keep one report a day
(tasks with durations, what they learned and felt, next steps); the database
keeps study time for the day, the week (from Monday) and all time; mentors
read their learners' reports and leave feedback. Reports import and export in
the seed's Markdown. Authenticate with `Authorization: Bearer <token>` from
`dbtier users create`.
"""


def _readiness_engine(settings: Settings) -> Engine:
    """A small engine of its own for /readyz, with its short timeout on every operation."""
    quick = settings.readiness_timeout
    small = settings.model_copy(update={"pool_size": 1, "max_overflow": 1, "pool_timeout": quick})
    return make_engine(small, timeouts=Timeouts(connect=quick, read=quick, statement=quick))


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The nippo app on `engine`, or on an engine built from `settings`.

    The engine built here carries the connect/read timeouts and the per-session
    statement timeout (DBTIER_QUERY_TIMEOUT); /readyz gets an engine of its own.
    """
    settings = settings or load_settings()
    owns_engine = engine is None
    if engine is None:
        engine = make_engine(
            settings, timeouts=timeouts_from(settings, statement=settings.query_timeout)
        )
    bound: Engine = engine
    probe_engine = _readiness_engine(settings) if owns_engine else bound

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_engine:
            bound.dispose()
            probe_engine.dispose()

    app = FastAPI(
        title="nippo",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = bound
    app.state.sessions = sessionmaker(bound, expire_on_commit=False)
    app.state.heads = shipped_heads()
    app.state.readiness = ReadinessProbe(probe_engine, app.state.heads, settings.readiness_timeout)
    app.state.throttle = FailedTokenThrottle(settings.auth_failures_per_minute)
    app.state.trusted_proxies = settings.trusted_networks
    # Added last runs first: the pages' session (in install_pages), the database guard
    # (in unavailable.install), throttle, then the character guard, then the body limit.
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(RefuseUnstorableInput)
    app.add_middleware(ThrottleFailedTokens, prefix=f"{API_PREFIX}/")
    install_error_handlers(app)
    unavailable.install(app, settings)  # after: its handlers override the generic 503
    include_api(app)
    install_pages(app, settings, api_prefix=API_PREFIX)  # last: wraps the error handlers
    return app


__all__ = ["create_app"]
