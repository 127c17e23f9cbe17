"""The running total every report carries (`reports.minutes_through`) stays the plain SUM.

Checked against the plain sum of task minutes for every date, on SQLite,
MariaDB and PostgreSQL: after random creates, updates, deletes and imports in
random date order (hypothesis), after writes of one learner running at the
same time in several connections, and after migration 0003's backfill of
rows written before it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
from dataclasses import dataclass

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nippo_helpers import expected_through
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from nippo.auth import Caller
from nippo.document import ReportDocument, Task
from nippo.errors import Conflict, NotFound
from nippo.markdown import render_report
from nippo.migrations import alembic_config
from nippo.models import Report, ReportTask, StudyTimeAdjustment
from nippo.service import create_report, delete_report, import_report, update_report
from nippo.service.running_total import rebuild
from nippo.service.users import create_user
from nippo.study_time import study_time

FIRST = dt.date(2025, 3, 3)  # a Monday
DAYS = 21  # three weeks of dates to write on, in any order


def _day(offset: int) -> dt.date:
    return FIRST + dt.timedelta(days=offset)


def _doc(minutes: list[int], title: str = "day") -> ReportDocument:
    return ReportDocument(title=title, tasks=[Task(f"task {i}", m) for i, m in enumerate(minutes)])


def assert_consistent(engine: Engine, learner_id: int) -> None:
    """Every report's running total, and the study-time total on every date, equal the SUM."""
    with Session(engine) as session:
        for report_id, (through, expected) in expected_through(session, learner_id).items():
            assert through == expected, f"report {report_id}: {through} != SUM {expected}"
        tasks = session.execute(
            select(Report.report_date, ReportTask.minutes)
            .join(ReportTask, ReportTask.report_id == Report.id)
            .where(Report.learner_id == learner_id)
        ).all()
        adjustments = session.execute(
            select(StudyTimeAdjustment.effective_date, StudyTimeAdjustment.total_minutes).where(
                StudyTimeAdjustment.learner_id == learner_id
            )
        ).all()
        for offset in range(-1, DAYS + 1):
            day = _day(offset)
            plain = sum(m for d, m in tasks if d <= day) + sum(
                m for d, m in adjustments if d <= day
            )
            assert study_time(session, learner_id, day).total_minutes == plain, day


# One write: (kind, date offset, task minutes, which existing report).
Operation = tuple[str, int, list[int], int]
OPERATIONS = st.tuples(
    st.sampled_from(["create", "update", "delete", "import"]),
    st.integers(0, DAYS - 1),
    st.lists(st.integers(0, 480), max_size=3),  # 3 × 480: at most a day
    st.integers(0, 50),
)


@dataclass
class Learner:
    engine: Engine
    id: int
    caller: Caller

    def reports(self) -> list[int]:
        with Session(self.engine) as session:
            ids = session.scalars(
                select(Report.id).where(Report.learner_id == self.id).order_by(Report.id)
            )
            return list(ids)

    def apply(self, operation: Operation) -> None:
        """Run one write as the service does; a refused one (date taken, gone) changes nothing."""
        kind, offset, minutes, pick = operation
        existing = self.reports()
        day, doc = _day(offset), _doc(minutes)
        with Session(self.engine) as session:
            try:
                if kind == "create":
                    create_report(session, self.caller, day, doc)
                elif kind == "import":
                    import_report(
                        session, self.caller, render_report(doc), day=day, accept_warnings=True
                    )
                elif existing and kind == "update":
                    update_report(session, self.caller, existing[pick % len(existing)], day, doc)
                elif existing:
                    delete_report(session, self.caller, existing[pick % len(existing)])
            except (Conflict, NotFound):
                pass


def _learner(engine: Engine, name: str = "alice") -> Learner:
    with Session(engine) as session:
        user = create_user(session, name, "learner")
    return Learner(engine, user.id, Caller.from_token(user.token))


_NAMES = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_random_writes_keep_the_running_total_equal_to_the_sum(
    engine: Engine, operations: list[Operation]
) -> None:
    learner = _learner(engine, f"learner {next(_NAMES)}")  # each example: a learner of its own
    for operation in operations:
        learner.apply(operation)
    assert_consistent(engine, learner.id)


def test_a_refused_write_leaves_the_totals_as_they_were(engine: Engine) -> None:
    learner = _learner(engine)
    learner.apply(("create", 10, [60], 0))
    learner.apply(("create", 12, [30], 0))
    learner.apply(("create", 10, [500], 0))  # the date is taken: Conflict, rolled back
    learner.apply(("update", 12, [45], 0))  # report 0 onto report 1's date: Conflict
    with Session(engine) as session:
        throughs = sorted(expected_through(session, learner.id).values())
    assert throughs == [(60, 60), (90, 90)]
    assert_consistent(engine, learner.id)


def test_rebuild_repairs_rows_written_without_the_running_total(engine: Engine) -> None:
    learner = _learner(engine)
    for offset, minutes in ((3, [10]), (1, [20, 5]), (7, [100])):
        learner.apply(("create", offset, minutes, 0))
    with Session(engine) as session:  # as the code deployed before 0003 writes: 0, no shift
        session.add(Report(learner_id=learner.id, report_date=_day(2), title="old code"))
        session.flush()
        session.add(
            ReportTask(
                report_id=session.scalar(select(func.max(Report.id))),
                position=0,
                title="t",
                minutes=7,
                notes=[],
            )
        )
        session.commit()
    with Session(engine) as session:
        assert any(a != b for a, b in expected_through(session, learner.id).values())
        assert rebuild(session, learner.id) == 3  # dates 2, 3 and 7; date 1 was right
        session.commit()
    with Session(engine) as session:
        assert rebuild(session, learner.id) == 0  # nothing left to write
        session.commit()
    assert_consistent(engine, learner.id)


on_servers = pytest.mark.parametrize("backend", ["mysql", "postgres"], indirect=True)
WRITERS = 4
WRITES_EACH = 12


@on_servers
def test_concurrent_writes_of_one_learner_do_not_lose_minutes(engine: Engine) -> None:
    """Writers on several connections at once, all on one learner's early dates (every write
    shifts the reports after it): the lock makes them take turns, so no write computes its
    total from a previous value another is changing."""
    learner = _learner(engine)
    for offset in range(0, DAYS, 2):  # a history for the writes to shift
        learner.apply(("create", offset, [30], 0))
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        try:
            for _ in range(WRITES_EACH):
                kind = rng.choice(["create", "create", "update", "delete", "import"])
                minutes = [rng.randint(1, 300) for _ in range(rng.randint(1, 3))]
                learner.apply((kind, rng.randrange(DAYS), minutes, rng.randrange(50)))
        except BaseException as exc:  # reported below, with the thread's seed
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert_consistent(engine, learner.id)


def _insert_before_0003(url: URL, rows: list[tuple[int, str, list[int]]]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for learner in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO users (id, name, role, timezone, token_hash, created_at) "
                        "VALUES (:id, :name, 'learner', 'Asia/Tokyo', :hash, :now)"
                    ),
                    {
                        "id": learner,
                        "name": f"l{learner}",
                        "hash": f"{learner:064d}",
                        "now": dt.datetime(2025, 1, 1),
                    },
                )
            for report_id, (learner, day, minutes) in enumerate(rows, start=1):
                connection.execute(
                    text(
                        "INSERT INTO reports (id, learner_id, report_date, title, language, "
                        "tasks_extra, created_at, updated_at) "
                        "VALUES (:id, :learner, :day, 't', 'ja', '', :now, :now)"
                    ),
                    {
                        "id": report_id,
                        "learner": learner,
                        "day": dt.date.fromisoformat(day),
                        "now": dt.datetime(2025, 1, 1),
                    },
                )
                for position, m in enumerate(minutes):
                    connection.execute(
                        text(
                            "INSERT INTO report_tasks (report_id, position, title, minutes, notes) "
                            "VALUES (:r, :p, 't', :m, '[]')"
                        ),
                        {"r": report_id, "p": position, "m": m},
                    )
    finally:
        engine.dispose()


def test_migration_0003_backfills_the_running_totals(database_url: URL) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0002")
    rows = [  # inserted out of date order, one learner's dates interleaved with the other's
        (1, "2025-03-05", [30, 15]),
        (2, "2025-03-04", [200]),
        (1, "2025-03-03", [60]),
        (1, "2025-03-10", []),
        (2, "2025-03-01", [5, 5, 5]),
        (1, "2025-03-07", [90]),
    ]
    _insert_before_0003(database_url, rows)
    command.upgrade(config, "head")
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            through: dict[int, int] = dict(
                connection.execute(text("SELECT id, minutes_through FROM reports")).all()
            )
        assert through == {1: 105, 2: 215, 3: 60, 4: 195, 5: 15, 6: 195}
        assert_consistent(engine, 1)
        assert_consistent(engine, 2)
    finally:
        engine.dispose()
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
