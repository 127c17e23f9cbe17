"""nippo's pages: server-rendered HTML for learners, mentors and operators (docs/web.md).

The pages live in the same FastAPI app as the API and call the same service
functions with the same `Caller`, so what a page shows is what the API would
answer to the same user. `install(app, settings)` adds the routes, the session
middleware and the error pages; it runs after the API's error handlers.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI

from dbtier.config import Settings
from dbtier.logs import get_logger
from nippo.web import account, errors, home, imports, operator, reports
from nippo.web.session import Sessions

log = get_logger("nippo.web")


def _secret(settings: Settings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    log.warning(
        "no DBTIER_SESSION_SECRET: sessions are signed with a random key and end when "
        "this process restarts (set it, the same in every task, to keep them)"
    )
    return secrets.token_urlsafe(32)


def install(app: FastAPI, settings: Settings, *, api_prefix: str) -> None:
    """Add the pages to the app (after the API's error handlers, which the pages wrap)."""
    app.state.operators = settings.operator_names
    app.state.settings = settings
    for module in (account, home, reports, imports, operator):
        app.include_router(module.router, include_in_schema=False)
    errors.install(app)
    app.add_middleware(
        Sessions,
        secret=_secret(settings),
        max_age=settings.session_max_age,
        skip_prefix=f"{api_prefix}/",
    )


__all__ = ["install"]
