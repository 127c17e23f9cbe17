"""A unit of work the server picked as a deadlock victim runs again, whole, and commits once.

A real deadlock on MariaDB and PostgreSQL: another connection holds the row
the unit wants next while waiting for the row the unit holds. The unit is
made the victim on both engines: it waits first (PostgreSQL aborts the
waiter whose deadlock_timeout expires first) and it has changed fewer rows
(InnoDB rolls back the lighter transaction).
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nippo.models import User
from nippo.service.unit_of_work import ATTEMPTS, retried, writing
from nippo.service.users import create_user

on_servers = pytest.mark.parametrize("backend", ["mysql", "postgres"], indirect=True)

WAITING = {
    "mysql": "SELECT count(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'",
    "postgresql": (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    ),
}


def _users(engine: Engine, count: int) -> list[int]:
    with Session(engine) as session:
        return [create_user(session, f"u{i}", "learner").id for i in range(count)]


def _wait_for_a_lock_wait(engine: Engine) -> None:
    query = text(WAITING[engine.dialect.name if engine.dialect.name != "mariadb" else "mysql"])
    with engine.connect() as watcher:
        for _ in range(600):  # at most a minute; the test asserts no duration
            if watcher.execute(query).scalar():
                return
            watcher.rollback()
            time.sleep(0.1)
    raise AssertionError("the unit never waited on the other transaction's lock")


def _other(engine: Engine, mine: list[int], theirs: int, holding: threading.Event) -> None:
    """Change `mine` (several rows: the heavier transaction); once the unit waits, `theirs`."""
    conn: Connection
    with engine.connect() as conn:
        for user_id in mine:
            conn.execute(text("UPDATE users SET timezone = 'UTC' WHERE id = :id"), {"id": user_id})
        holding.set()
        _wait_for_a_lock_wait(engine)
        conn.execute(text("UPDATE users SET timezone = 'UTC' WHERE id = :id"), {"id": theirs})
        conn.commit()


@on_servers
def test_a_deadlock_victim_runs_again_and_commits_once(engine: Engine) -> None:
    first, *second = _users(engine, 4)
    holding = threading.Event()
    other = threading.Thread(target=_other, args=(engine, second, first, holding))
    attempts: list[int] = []

    @retried
    def rename(session: Session, name: str) -> None:
        attempts.append(1)
        with writing(session, conflict="taken"):
            session.execute(
                text("UPDATE users SET name = :n WHERE id = :id"), {"n": name, "id": first}
            )
            if len(attempts) == 1:  # the first attempt walks into the other transaction
                other.start()
                assert holding.wait(60)
            session.execute(
                text("UPDATE users SET name = CONCAT(name, '') WHERE id = :id"), {"id": second[0]}
            )

    with Session(engine) as session:
        rename(session, "renamed")
    other.join()
    assert len(attempts) == 2
    with Session(engine) as session:
        assert session.get(User, first).name == "renamed"  # type: ignore[union-attr]
        assert session.get(User, first).timezone == "UTC"  # type: ignore[union-attr]


@on_servers
def test_other_errors_are_not_repeated(engine: Engine) -> None:
    attempts: list[int] = []

    @retried
    def broken(session: Session) -> None:
        attempts.append(1)
        session.execute(text("SELECT no_such_column FROM users"))

    with Session(engine) as session, pytest.raises(Exception, match="no_such_column"):
        broken(session)
    assert attempts == [1]


@on_servers
def test_a_unit_inside_an_open_transaction_is_not_repeated(engine: Engine) -> None:
    """Repeating only the inner part would drop what the outer transaction did before it."""
    attempts: list[int] = []
    deadlock = "1213" if engine.dialect.name in ("mysql", "mariadb") else "40P01"

    @retried
    def victim(session: Session) -> None:
        attempts.append(1)
        raise OperationalError("UPDATE users", {}, _Coded(deadlock))

    with Session(engine) as session:
        session.execute(text("SELECT 1"))  # a transaction is open
        with pytest.raises(OperationalError):
            victim(session)
    assert attempts == [1]

    attempts.clear()
    with Session(engine) as session, pytest.raises(OperationalError):
        victim(session)  # at top level: run ATTEMPTS times, then the error goes up
    assert len(attempts) == ATTEMPTS


class _Coded(Exception):
    """A driver error carrying a code where `error_code` looks (pymysql args, psycopg sqlstate)."""

    def __init__(self, code: str) -> None:
        super().__init__(int(code) if code.isdigit() else code, "simulated")
        self.sqlstate = code
