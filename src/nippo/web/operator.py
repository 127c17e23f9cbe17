"""The operator page: readiness, the migration run history and the next scheduled firings.

Each figure comes from dbtier's own functions: `/readyz`'s single-flight probe
(`ReadinessProbe`), the job's history table (`dbtier.migrate.history.recent`,
read on the service's engine), and the schedule's evaluator (`dbtier.schedule.Schedule`
on DBTIER_MIGRATION_SCHEDULE in DBTIER_SCHEDULE_TIMEZONE). Only users named in
DBTIER_OPERATORS see it; for anyone else it does not exist (404, like a report
that is not theirs).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from dbtier.config import Settings
from dbtier.migrate import history
from dbtier.schedule import Schedule
from dbtier.schedule.schedule import now_utc
from nippo.errors import NotFound
from nippo.service.readiness_probe import ReadinessProbe
from nippo.web.deps import ViewerDep
from nippo.web.rendering import render

router = APIRouter()
RUNS = 20
FIRINGS = 5


def _runs(engine: Engine) -> list[history.RunRecord]:
    with engine.connect() as connection:
        if not history.has_table(connection):
            return []
        return history.recent(connection, RUNS)


@router.get("/operator", response_class=HTMLResponse)
async def operator_page(request: Request, me: ViewerDep) -> Response:
    """Readiness, migration history, next firings."""
    if not me.operator:
        raise NotFound("page not found")
    state = request.app.state
    settings: Settings = state.settings
    probe: ReadinessProbe = state.readiness
    readiness = await probe.check()
    runs = await run_in_threadpool(_runs, state.engine)
    schedule = Schedule(settings.migration_schedule, settings.schedule_timezone)
    return render(
        request,
        "operator.html",
        me=me,
        readiness=readiness,
        runs=runs,
        schedule=schedule,
        expression=settings.migration_schedule,
        timezone=settings.schedule_timezone,
        firings=schedule.next_fire_times(now_utc(), FIRINGS),
    )


__all__ = ["router"]
