"""`dbtier running-total check|repair`: the deploy window of migration 0003, closed.

Reports written by the code deployed before 0003 (no `minutes_through`: a new row gets
the server's 0, nothing later is shifted) are simulated with plain ORM/Core writes next
to learners the current service writes for. The check names exactly the drifted learners
with the difference of their all-time total, the repair rebuilds exactly those, the check
is then clean and a second repair writes nothing; on SQLite, MariaDB and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from dataclasses import dataclass

import pytest
from nippo_helpers import expected_through
from sqlalchemy import delete, select, update
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dbtier.cli import app
from nippo.auth import Caller
from nippo.document import ReportDocument, Task
from nippo.errors import Conflict, NotFound
from nippo.migrations import alembic_config
from nippo.models import Report, ReportTask
from nippo.service import create_report, delete_report, update_report
from nippo.service.running_total import lock_learner
from nippo.service.running_total_repair import find_drift, read_only, repair
from nippo.service.users import create_user

FIRST = dt.date(2025, 3, 3)


def _day(offset: int) -> dt.date:
    return FIRST + dt.timedelta(days=offset)


def _doc(minutes: list[int]) -> ReportDocument:
    return ReportDocument(title="day", tasks=[Task(f"task {i}", m) for i, m in enumerate(minutes)])


@dataclass
class Learner:
    id: int
    caller: Caller


def _learner(engine: Engine, name: str) -> Learner:
    with Session(engine) as session:
        user = create_user(session, name, "learner")
    return Learner(user.id, Caller.from_token(user.token))


def _history(engine: Engine, learner: Learner) -> None:
    """Three reports written by the current service (running totals kept)."""
    for offset, minutes in ((2, [60]), (5, [30, 15]), (9, [120])):
        with Session(engine) as session:
            create_report(session, learner.caller, _day(offset), _doc(minutes))


def _old_code_insert(engine: Engine, learner: Learner, offset: int, minutes: list[int]) -> None:
    """A report as the code deployed before 0003 writes it: minutes_through left to the
    server's default 0, no later report shifted."""
    with Session(engine) as session:
        report = Report(learner_id=learner.id, report_date=_day(offset), title="old code")
        session.add(report)
        session.flush()
        for position, m in enumerate(minutes):
            session.add(
                ReportTask(report_id=report.id, position=position, title="t", minutes=m, notes=[])
            )
        session.commit()


def _report_on(engine: Engine, learner: Learner, offset: int) -> int:
    with Session(engine) as session:
        found = session.scalar(
            select(Report.id).where(
                Report.learner_id == learner.id, Report.report_date == _day(offset)
            )
        )
    assert found is not None
    return found


def _consistent(engine: Engine, learner_id: int) -> bool:
    with Session(engine) as session:
        return all(a == b for a, b in expected_through(session, learner_id).values())


@dataclass
class Window:
    """Learners after the deploy window: who drifted, by how much (stored - SUM), and the
    reports a rebuild rewrites."""

    learners: dict[int, Learner]
    clean: list[int]
    drifted: dict[int, int]
    rewritten: dict[int, int]


def _deploy_window(engine: Engine) -> Window:
    """Six learners with a history from the current service (60, 45, 120 minutes on three
    dates), then the old code's writes: a new latest report (total short by its minutes), a
    report before the others (every later one short), a deleted report (later ones long),
    task minutes changed in the middle; two learners it never touched."""
    learners = [_learner(engine, f"learner {i}") for i in range(6)]
    for learner in learners:
        _history(engine, learner)
    latest, early, deleted, changed, clean_a, clean_b = learners
    _old_code_insert(engine, latest, 12, [45, 5])  # 0 stored; SUM 225 + 50
    _old_code_insert(engine, early, 0, [20])  # every later report 20 short
    with Session(engine) as session:  # the old code's delete: nothing shifted
        session.execute(delete(Report).where(Report.id == _report_on(engine, deleted, 5)))
        session.commit()
    with Session(engine) as session:  # 120 -> 100 minutes, later reports not shifted
        session.execute(
            update(ReportTask)
            .where(ReportTask.report_id == _report_on(engine, changed, 9))
            .values(minutes=100)
        )
        session.commit()
    return Window(
        learners={learner.id: learner for learner in learners},
        clean=[clean_a.id, clean_b.id],
        drifted={latest.id: 0 - 275, early.id: -20, deleted.id: +45, changed.id: +20},
        # the new report; the early one and the three after it; the one after the deleted
        # one; the changed one (the last of its learner)
        rewritten={latest.id: 1, early.id: 4, deleted.id: 1, changed.id: 1},
    )


def test_check_finds_exactly_the_drifted_learners_and_repair_fixes_them(engine: Engine) -> None:
    window = _deploy_window(engine)
    for learner_id in window.clean:
        assert _consistent(engine, learner_id)
    # Batches of 3 users: the learners are spread over several keyset pages.
    check = find_drift(engine, batch_size=3, pace=0)
    assert check.users_checked == 6
    assert {d.learner_id: d.difference for d in check.drifted} == window.drifted
    latest = check.drifted[0]
    assert (latest.reports, latest.wrong, latest.first_wrong) == (4, 1, _day(12))
    assert (latest.stored_total, latest.sum_total) == (0, 275)
    early = check.drifted[1]
    assert (early.reports, early.wrong, early.first_wrong) == (4, 4, _day(0))

    result = repair(engine, [d.learner_id for d in check.drifted], pace=0)
    assert result.repaired and not result.still_drifted
    assert result.changed == window.rewritten
    for learner_id in [*window.drifted, *window.clean]:
        assert _consistent(engine, learner_id), learner_id
    assert find_drift(engine, batch_size=3, pace=0).consistent
    again = repair(engine, list(window.drifted), pace=0)
    assert set(again.changed.values()) == {0} and again.repaired  # idempotent: nothing to write


def test_repair_is_safe_while_the_service_writes(engine: Engine) -> None:
    """The current service writes the drifted learners' reports while the repair runs: the
    learner lock makes each write and each rebuild take turns, so the end state is right."""
    window = _deploy_window(engine)
    ids = list(window.drifted)
    writing = [window.learners[learner_id] for learner_id in ids]
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        try:
            for _ in range(12):
                learner = rng.choice(writing)
                day, doc = _day(rng.randrange(14)), _doc([rng.randint(1, 200)])
                with Session(engine) as session:
                    existing = session.scalars(
                        select(Report.id).where(Report.learner_id == learner.id)
                    ).all()
                    session.rollback()
                    kind = rng.choice(["create", "update", "delete"])
                    try:
                        if kind == "create" or not existing:
                            create_report(session, learner.caller, day, doc)
                        elif kind == "update":
                            update_report(session, learner.caller, rng.choice(existing), day, doc)
                        else:
                            delete_report(session, learner.caller, rng.choice(existing))
                    except (Conflict, NotFound):
                        pass
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(2)]
    for thread in threads:
        thread.start()
    start.wait()
    result = repair(engine, ids, pace=0)
    while any(thread.is_alive() for thread in threads):  # rebuild while they write
        assert repair(engine, ids, pace=0).changed.keys() == set(ids)
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert result.changed.keys() == set(ids)
    for learner_id in [*ids, *window.clean]:
        assert _consistent(engine, learner_id), learner_id
    assert find_drift(engine, pace=0).consistent


def test_repair_waits_for_a_service_write_of_the_learner(engine: Engine) -> None:
    """A service write in progress holds the learner lock: the rebuild of that learner waits
    for its commit (and so reads what it wrote) instead of computing beside it."""
    window = _deploy_window(engine)
    learner_id = min(window.drifted)
    finished = threading.Event()

    def repairing() -> None:
        repair(engine, [learner_id], pace=0)
        finished.set()

    with Session(engine) as write:
        lock_learner(write, learner_id)  # as every service write of the learner begins
        thread = threading.Thread(target=repairing)
        thread.start()
        assert not finished.wait(1.0), "the rebuild did not wait for the learner lock"
        write.commit()
    thread.join(timeout=60)
    assert finished.is_set()
    assert _consistent(engine, learner_id)


def test_the_check_cannot_write(engine: Engine) -> None:
    window = _deploy_window(engine)
    with (
        engine.connect() as raw,
        read_only(raw) as connection,
        pytest.raises(DBAPIError),
        connection.begin(),
    ):
        connection.execute(update(Report).values(minutes_through=0))
    # and the connection is writable again once returned
    with engine.begin() as connection:
        connection.execute(
            update(Report).where(Report.id == -1).values(minutes_through=Report.minutes_through)
        )
    assert {d.learner_id for d in find_drift(engine, pace=0).drifted} == set(window.drifted)


def _cli(url: URL, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["running-total", *args, "--database-url", url.render_as_string(hide_password=False)]
    )
    return result.exit_code, result.stdout, result.stderr


def test_cli_exit_codes_text_and_json(engine: Engine, migrated_url: URL) -> None:
    window = _deploy_window(engine)
    code, out, err = _cli(migrated_url, "check", "--batch-size", "2", "--pace", "0")
    assert code == 1, err
    lines = out.splitlines()
    assert len(lines) == len(window.drifted)
    for learner_id, difference in window.drifted.items():
        assert any(
            line.startswith(f"learner {learner_id}: difference {difference:+d} min")
            for line in lines
        ), (learner_id, out)
    # Not a terminal: progress is JSON log lines on stderr, one per batch of 2 users.
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [e["event"] for e in logged] == ["batch checked"] * 3
    assert logged[-1]["completed"] == 6 and logged[-1]["drifted"] == 4

    code, out, err = _cli(migrated_url, "check", "--format", "json", "--pace", "0")
    assert code == 1, err
    body = json.loads(out)
    assert body["consistent"] is False and body["users_checked"] == 6
    assert {d["learner_id"]: d["difference"] for d in body["drifted"]} == window.drifted

    code, out, err = _cli(migrated_url, "repair", "--json", "--pace", "0")
    assert code == 0, err
    body = json.loads(out)
    assert body["repair"]["repaired"] is True
    assert {c["learner_id"] for c in body["repair"]["changed"]} == set(window.drifted)

    code, out, err = _cli(migrated_url, "check", "--pace", "0")
    assert (code, out) == (0, ""), err
    assert "consistent" in err
    code, out, err = _cli(migrated_url, "repair", "--pace", "0")
    assert (code, out) == (0, ""), err  # nothing drifted, nothing rewritten
    assert "0 learner(s) repaired" in err


def test_usage_errors_exit_2(migrated_url: URL) -> None:
    for args, named in [
        (["check", "--format", "xml"], "--format"),
        (["check", "--batch-size", "0"], "--batch-size"),
        (["repair", "--pace", "-1"], "--pace"),
        (["check", "--no-such-flag"], "--no-such-flag"),
    ]:
        code, out, err = _cli(migrated_url, *args)
        assert (code, out) == (2, ""), (args, out, err)
        assert named in err, (args, err)


def test_a_schema_before_0003_exits_2(database_url: URL) -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), "0002")
    code, out, err = _cli(database_url, "check")
    assert (code, out) == (2, ""), err
    assert "migration 0003" in err
