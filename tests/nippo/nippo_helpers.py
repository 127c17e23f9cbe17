"""Helpers the nippo tests share: who the test users are, how to authenticate, the seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nippo.models import Report, ReportTask

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_ORIGINAL = DATA / "seed-original.md"
SEED_ENGLISH = DATA / "seed.md"
SEED_DATE = "2025-04-25"  # the seed's diagram is 20250425.png; a Friday


@dataclass(frozen=True)
class People:
    """Tokens and ids: a learner, their mentor, a mentor of nobody, another learner."""

    learner: str
    learner_id: int
    mentor: str
    mentor_id: int
    stranger: str
    other_learner: str
    other_learner_id: int


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def markdown(token: str) -> dict[str, str]:
    """Headers for a Markdown import."""
    return auth(token) | {"Content-Type": "text/markdown; charset=utf-8"}


def expected_through(session: Session, learner_id: int) -> dict[int, tuple[int, int]]:
    """Report id → (stored minutes_through, the plain SUM of task minutes up to its date):
    the running total's oracle, computed without the code under test."""
    per_report = dict(
        session.execute(
            select(Report.report_date, func.coalesce(func.sum(ReportTask.minutes), 0))
            .outerjoin(ReportTask, ReportTask.report_id == Report.id)
            .where(Report.learner_id == learner_id)
            .group_by(Report.id, Report.report_date)
        ).all()
    )
    stored = session.execute(
        select(Report.id, Report.report_date, Report.minutes_through).where(
            Report.learner_id == learner_id
        )
    ).all()
    return {
        report_id: (through, sum(int(m) for d, m in per_report.items() if d <= day))
        for report_id, day, through in stored
    }


__all__ = [
    "DATA",
    "SEED_DATE",
    "SEED_ENGLISH",
    "SEED_ORIGINAL",
    "People",
    "auth",
    "expected_through",
    "markdown",
]
