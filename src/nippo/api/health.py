"""/healthz (the process is alive) and /readyz (the database answers, schema at head)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from nippo.api.problems import problem_responses
from nippo.schemas import Readiness
from nippo.service.readiness_probe import ReadinessProbe

router = APIRouter(tags=["health"], responses=problem_responses(422))


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (touches nothing else)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request) -> JSONResponse:
    """The database is reachable and its schema is at the Alembic head; 503 otherwise."""
    probe: ReadinessProbe = request.app.state.readiness
    state = await probe.check()
    body = Readiness(
        status="ok" if state.ready else "unavailable",
        database=state.database,
        revision=state.revision,
        head=state.head,
    )
    return JSONResponse(body.model_dump(), status_code=200 if state.ready else 503)


__all__ = ["router"]
