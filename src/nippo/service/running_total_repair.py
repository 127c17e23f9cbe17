"""Find the learners whose stored running totals disagree with the plain SUM, and rebuild them.

Migrations run on their schedule, apart from deploys (docs/migrations.md). Between
migration 0003 (which adds and backfills `reports.minutes_through`) and the deploy of the
code that keeps it, the code still deployed writes reports without it: a new report gets 0
and later reports are not shifted, so those learners' all-time totals are wrong until
rebuilt. The runbook (docs/service.md): deploy, then `dbtier running-total repair` once.

- `find_drift` (`dbtier running-total check`): reads only. Learners are taken in batches
  of user ids (keyset pages of the primary key); per batch ONE statement compares every
  report's `minutes_through` with a window SUM of the batch's task minutes and returns
  only the learners with a difference. Each batch is its own short read-only transaction
  (no snapshot held across the table), followed by a pause as long as the batch took
  times `pace`, so a check takes at most about half of one core of the server by default.
- `repair` (`dbtier running-total repair`): each drifted learner is rebuilt by
  `running_total.rebuild` under the learner lock every service write takes, and
  committed on its own (a deadlock or serialization victim is run again, whole, as
  the service's writes are). A service write of that learner waits for the rebuild or
  the rebuild waits for it; either way the rebuild reads the committed rows. Only
  reports whose value differs are written, so a repeat finds nothing to do. The
  repaired learners are then checked again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from sqlalchemy import BindParameter, Table, bindparam, case, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from nippo.models import Report, ReportTask, User
from nippo.service.running_total import rebuild
from nippo.service.unit_of_work import retried

BATCH = 200  # learners per statement, as migration 0003's backfill
PACE = 1.0  # pause after a batch as long as it took (times this)

_REPORTS = cast("Table", Report.__table__)
_R = _REPORTS.c
_TASKS = cast("Table", ReportTask.__table__)
_USERS = cast("Table", User.__table__)
_LEARNERS: BindParameter[list[int]] = bindparam("b_learners", expanding=True)

# Every report of the batch's learners: its stored value, the plain running SUM of task
# minutes through its date, and whether it is the learner's latest report.
_PER_REPORT = (
    select(
        _R.learner_id.label("learner_id"),
        _R.report_date.label("report_date"),
        _R.minutes_through.label("stored"),
        func.sum(func.coalesce(func.sum(_TASKS.c.minutes), 0))
        .over(partition_by=_R.learner_id, order_by=_R.report_date)
        .label("expected"),
        func.row_number()
        .over(partition_by=_R.learner_id, order_by=_R.report_date.desc())
        .label("newest"),
    )
    .select_from(_REPORTS.outerjoin(_TASKS, _TASKS.c.report_id == _R.id))
    .where(_R.learner_id.in_(_LEARNERS))
    .group_by(_R.id, _R.learner_id, _R.report_date, _R.minutes_through)
    .subquery("per_report")
)
_P = _PER_REPORT.c
_IS_WRONG = _P.stored != _P.expected
_WRONG = func.sum(case((_IS_WRONG, 1), else_=0))
# Per learner with any difference: one row (the batch's statement; bound: the learner ids).
DRIFT = (
    select(
        _P.learner_id,
        func.count().label("reports"),
        _WRONG.label("wrong"),
        func.min(case((_IS_WRONG, _P.report_date), else_=None)).label("first_wrong"),
        func.sum(case((_P.newest == 1, _P.stored), else_=0)).label("stored_total"),
        func.sum(case((_P.newest == 1, _P.expected), else_=0)).label("sum_total"),
    )
    .group_by(_P.learner_id)
    .having(_WRONG > 0)
    .order_by(_P.learner_id)
)


@dataclass(frozen=True)
class Drift:
    """One learner whose stored running totals differ from the plain SUM."""

    learner_id: int
    reports: int  # the learner's reports
    wrong: int  # of them, carrying a value other than the SUM through their date
    first_wrong: dt.date | None  # the earliest such report's date
    stored_total: int  # minutes_through of the latest report: the all-time total served
    sum_total: int  # the plain SUM of the learner's task minutes

    @property
    def difference(self) -> int:
        """Minutes the served all-time total is off by (stored - SUM; 0: only older dates)."""
        return self.stored_total - self.sum_total

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_wrong"] = self.first_wrong.isoformat() if self.first_wrong else None
        data["difference"] = self.difference
        return data


@dataclass(frozen=True)
class Progress:
    """Where a check stands after a batch."""

    users_checked: int
    users_total: int
    drifted: int
    batches: int
    seconds: float


@dataclass
class Check:
    """A whole check: the users it looked at and the learners that drifted."""

    users_checked: int = 0
    drifted: list[Drift] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def consistent(self) -> bool:
        return not self.drifted

    def as_dict(self) -> dict[str, Any]:
        return {
            "consistent": self.consistent,
            "users_checked": self.users_checked,
            "drifted": [d.as_dict() for d in self.drifted],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Repair:
    """A repair: reports rewritten per learner, and what the check after it still found."""

    changed: dict[int, int] = field(default_factory=dict)
    still_drifted: list[Drift] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def repaired(self) -> bool:
        return not self.still_drifted

    def as_dict(self) -> dict[str, Any]:
        return {
            "repaired": self.repaired,
            "learners": len(self.changed),
            "reports_changed": sum(self.changed.values()),
            "changed": [{"learner_id": k, "reports": v} for k, v in self.changed.items()],
            "still_drifted": [d.as_dict() for d in self.still_drifted],
            "seconds": round(self.seconds, 3),
        }


def has_running_total(connection: Connection) -> bool:
    """True when the schema has `reports.minutes_through` (migration 0003 ran)."""
    inspector = inspect(connection)
    if not inspector.has_table("reports"):
        return False
    return any(c["name"] == "minutes_through" for c in inspector.get_columns("reports"))


@contextmanager
def read_only(connection: Connection) -> Iterator[Connection]:
    """The connection with its transactions read-only while the block runs (then restored)."""
    name = connection.dialect.name
    if name == "postgresql":
        yield connection.execution_options(postgresql_readonly=True)
        return
    on, off = {
        "sqlite": ("PRAGMA query_only = 1", "PRAGMA query_only = 0"),
        "mysql": ("SET SESSION TRANSACTION READ ONLY", "SET SESSION TRANSACTION READ WRITE"),
        "mariadb": ("SET SESSION TRANSACTION READ ONLY", "SET SESSION TRANSACTION READ WRITE"),
    }.get(name, ("", ""))
    if on:
        connection.exec_driver_sql(on)
        connection.commit()
    try:
        yield connection
    finally:
        if off:
            connection.rollback()
            connection.exec_driver_sql(off)
            connection.commit()


def drift_of(connection: Connection, learner_ids: Sequence[int]) -> list[Drift]:
    """The learners among `learner_ids` whose stored totals differ: one statement."""
    if not learner_ids:
        return []
    rows = connection.execute(DRIFT, {_LEARNERS.key: list(learner_ids)}).all()
    return [
        Drift(
            learner_id=int(row.learner_id),
            reports=int(row.reports),
            wrong=int(row.wrong),
            first_wrong=_date(row.first_wrong),
            stored_total=int(row.stored_total),
            sum_total=int(row.sum_total),
        )
        for row in rows
    ]


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))  # SQLite: MIN over a CASE comes back as text


def _pages(connection: Connection, size: int) -> Iterator[list[int]]:
    after = 0
    while True:
        with connection.begin():
            ids = list(
                connection.scalars(
                    select(_USERS.c.id).where(_USERS.c.id > after).order_by(_USERS.c.id).limit(size)
                )
            )
        if not ids:
            return
        yield ids
        after = ids[-1]


def find_drift(
    engine: Engine,
    *,
    batch_size: int = BATCH,
    pace: float = PACE,
    on_batch: Callable[[Progress], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Check:
    """Every learner whose stored running totals differ from the SUM; reads only."""
    began = time.monotonic()
    check = Check()
    with engine.connect() as raw, read_only(raw) as connection:
        with connection.begin():
            total = int(connection.scalar(select(func.count()).select_from(_USERS)) or 0)
        for batches, ids in enumerate(_pages(connection, batch_size), start=1):
            started = time.monotonic()
            with connection.begin():
                check.drifted.extend(drift_of(connection, ids))
            took = time.monotonic() - started
            check.users_checked += len(ids)
            if on_batch is not None:
                on_batch(
                    Progress(
                        check.users_checked,
                        max(total, check.users_checked),
                        len(check.drifted),
                        batches,
                        time.monotonic() - began,
                    )
                )
            if pace > 0:
                sleep(took * pace)
    check.seconds = time.monotonic() - began
    return check


@retried
def rebuild_committed(session: Session, learner_id: int) -> int:
    """`rebuild` one learner in a transaction of its own, committed; reports changed."""
    try:
        changed = rebuild(session, learner_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return changed


def repair(
    engine: Engine,
    learner_ids: Sequence[int],
    *,
    pace: float = PACE,
    batch_size: int = BATCH,
    on_learner: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Repair:
    """Rebuild each learner (lock, commit, one by one), then check them again."""
    began = time.monotonic()
    result = Repair()
    for learner_id in learner_ids:
        started = time.monotonic()
        with Session(engine) as session:
            result.changed[learner_id] = rebuild_committed(session, learner_id)
        if on_learner is not None:
            on_learner(learner_id, result.changed[learner_id])
        if pace > 0:
            sleep((time.monotonic() - started) * pace)
    with engine.connect() as raw, read_only(raw) as connection:
        for start in range(0, len(learner_ids), batch_size):
            with connection.begin():
                batch = learner_ids[start : start + batch_size]
                result.still_drifted.extend(drift_of(connection, batch))
    result.seconds = time.monotonic() - began
    return result


__all__ = [
    "BATCH",
    "DRIFT",
    "PACE",
    "Check",
    "Drift",
    "Progress",
    "Repair",
    "drift_of",
    "find_drift",
    "has_running_total",
    "read_only",
    "rebuild_committed",
    "repair",
]
