"""A learner with `years` of daily reports (two tasks and two sections each), and a mentor
who left feedback on the last one.

Written through nippo's own models (`fill_report`), so the rows are what the
service itself stores, each with its running total of task minutes
(`minutes_through`, as the service keeps it); the last report is dated `LAST_DAY`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dbtier.config import Settings
from dbtier.db import make_engine
from nippo.auth import Caller
from nippo.document import Note, ReportDocument, Section, Task
from nippo.migrations import upgrade_to_head
from nippo.models import Report
from nippo.service.feedback import add_feedback
from nippo.service.storage import fill_report
from nippo.service.users import create_user

LAST_DAY = dt.date(2026, 11, 29)
DAYS_PER_YEAR = 365
BATCH = 500
FEEDBACK = 3  # feedback items on the last report


@dataclass(frozen=True)
class Seeded:
    """What the load generator needs: the learner's token and ids, the range of their reports."""

    token: str
    learner_id: int
    report_id: int
    first_day: dt.date
    last_day: dt.date
    reports: int


def document(day: dt.date) -> ReportDocument:
    """One day's report: two tasks (90 + 45 minutes) with notes, two sections."""
    return ReportDocument(
        title=f"What I learned on {day.isoformat()}",
        tasks=[
            Task("Read the SQLAlchemy docs", 90, [Note("Core vs ORM", [Note("select()")])]),
            Task("Wrote tests for the importer", 45, [Note("edge cases")]),
        ],
        sections=[
            Section("learned", "What I learned", [Note("indexes matter"), Note("EXPLAIN")]),
            Section("next", "Next", [Note("profile the service")]),
        ],
        language="en",
    )


def seed(url: URL, years: int) -> Seeded:
    """Migrate `url` to head and fill it: one learner with `years` × 365 reports, one mentor."""
    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url.render_as_string(hide_password=False)))
    days = years * DAYS_PER_YEAR
    first = LAST_DAY - dt.timedelta(days=days - 1)
    try:
        with Session(engine) as session:
            learner = create_user(session, "learner", "learner")
            mentor = create_user(session, "mentor", "mentor", mentor_of=["learner"])
        through = 0
        for start in range(0, days, BATCH):
            with Session(engine) as session:
                for offset in range(start, min(days, start + BATCH)):
                    day = first + dt.timedelta(days=offset)
                    doc = document(day)
                    through += doc.task_minutes
                    report = Report(learner_id=learner.id, report_date=day, minutes_through=through)
                    fill_report(report, doc)
                    session.add(report)
                session.commit()
        with Session(engine) as session:
            last_id = session.scalar(select(Report.id).where(Report.report_date == LAST_DAY))
        assert last_id is not None
        with Session(engine) as session:
            for n in range(FEEDBACK):
                add_feedback(session, Caller.from_token(mentor.token), last_id, f"good work {n}")
    finally:
        engine.dispose()
    return Seeded(learner.token, learner.id, int(last_id), first, LAST_DAY, days)


__all__ = ["DAYS_PER_YEAR", "LAST_DAY", "Seeded", "document", "seed"]
