"""The three database users on the real MariaDB and PostgreSQL servers.

The master bootstraps the migrator; the migration job, running as the
migrator, creates the application user and gives it DML on the application's
tables and nothing else. Each refusal is asserted on its own statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from dbusers_helpers import UsersDatabase, denied
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from dbtier.dbusers import ensure_app_user, rotate_user, user_exists
from dbtier.errors import ConfigError
from dbtier.migrate import run_job
from dbtier.secrets import DatabaseCredentials

USER_ROW = (
    "INSERT INTO users (name, role, timezone, token_hash, created_at) "
    "VALUES ('ada', 'learner', 'Asia/Tokyo', :token, CURRENT_TIMESTAMP)"
)


@contextmanager
def connected(engine: Engine) -> Iterator[Connection]:
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def refused(conn: Connection, sql: str) -> None:
    """`sql` must fail for lack of privilege (not for any other reason)."""
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql))
    conn.rollback()
    assert denied(caught.value), f"{sql!r} failed, but not for privilege: {caught.value.orig}"


def migrated(db: UsersDatabase) -> None:
    db.bootstrap()
    result = run_job(db.job_settings())
    assert result.status == "succeeded", result.error


def test_the_job_creates_the_app_user_with_dml_only(users_db: UsersDatabase) -> None:
    migrated(users_db)
    secret = users_db.app_secret()
    assert secret["username"] == users_db.app
    assert secret["dbname"] == users_db.admin_url.database
    assert secret["engine"] in ("mysql", "postgres")
    assert users_db.app_secret_file.stat().st_mode & 0o077 == 0  # owner only
    with connected(users_db.app_engine()) as conn:
        conn.execute(text(USER_ROW), {"token": "a" * 64})
        conn.execute(text("UPDATE users SET timezone = 'UTC' WHERE name = 'ada'"))
        assert conn.execute(text("SELECT timezone FROM users")).scalar_one() == "UTC"
        conn.execute(text("DELETE FROM users WHERE name = 'ada'"))
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        # /readyz compares the schema version with the shipped head: a read.
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        conn.commit()
        refused(conn, "CREATE TABLE intruder (id INTEGER PRIMARY KEY)")
        refused(conn, "ALTER TABLE users ADD COLUMN intruder INTEGER")
        refused(conn, "DROP TABLE report_tasks")
        # The job's bookkeeping is the job's.
        refused(conn, "UPDATE alembic_version SET version_num = 'x'")
        refused(conn, "DELETE FROM alembic_version")
        refused(conn, "SELECT count(*) FROM dbtier_migration_runs")


def test_grants_are_idempotent(users_db: UsersDatabase) -> None:
    migrated(users_db)
    before = users_db.grants_snapshot(users_db.app)
    password = users_db.app_secret()["password"]
    again = run_job(users_db.job_settings())  # nothing pending: noop, grants again
    assert again.status == "noop", again.error
    with connected(users_db.login(users_db.migrator, users_db.migrator_password)) as conn:
        report = ensure_app_user(conn, users_db.app)
    assert not report.created
    assert users_db.grants_snapshot(users_db.app) == before
    assert users_db.app_secret()["password"] == password  # an existing user's password stays
    assert not any("ALL" in g.split(" ON ")[0] for g in before if g.startswith("GRANT"))


def test_a_table_added_later_is_covered(users_db: UsersDatabase) -> None:
    migrated(users_db)
    with connected(users_db.login(users_db.migrator, users_db.migrator_password)) as conn:
        conn.execute(text("CREATE TABLE later_table (id INTEGER PRIMARY KEY)"))
        conn.commit()
        ensure_app_user(conn, users_db.app)
    with connected(users_db.app_engine()) as conn:
        conn.execute(text("INSERT INTO later_table (id) VALUES (1)"))
        assert conn.execute(text("SELECT count(*) FROM later_table")).scalar_one() == 1
        conn.commit()


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgres_default_privileges_cover_a_new_table_before_the_job_runs(
    users_db: UsersDatabase,
) -> None:
    migrated(users_db)
    with connected(users_db.login(users_db.migrator, users_db.migrator_password)) as conn:
        conn.execute(text("CREATE TABLE later_serial (id SERIAL PRIMARY KEY, v INTEGER)"))
        conn.commit()
    with connected(users_db.app_engine()) as conn:
        conn.execute(text("INSERT INTO later_serial (v) VALUES (1)"))  # sequence usage too
        conn.commit()


def test_the_clone_of_a_rotation_has_the_same_rights(users_db: UsersDatabase) -> None:
    migrated(users_db)
    secret = users_db.app_secret()
    current = DatabaseCredentials.from_secret(secret, where="test")
    with connected(users_db.admin()) as admin:
        clone = rotate_user(admin, current)
    assert clone.username == f"{users_db.app}_clone"
    with connected(users_db.login(users_db.migrator, users_db.migrator_password)) as conn:
        conn.execute(text("CREATE TABLE after_rotation (id INTEGER PRIMARY KEY)"))
        conn.commit()
        report = ensure_app_user(conn, users_db.app)
    assert report.clone == clone.username
    with connected(users_db.login(clone.username, clone.password)) as conn:
        conn.execute(text(USER_ROW), {"token": "b" * 64})
        conn.execute(text("INSERT INTO after_rotation (id) VALUES (1)"))
        conn.commit()
        refused(conn, "CREATE TABLE intruder (id INTEGER PRIMARY KEY)")
        refused(conn, "DROP TABLE users")


def test_a_missing_app_user_without_a_secret_to_publish_to_is_refused(
    users_db: UsersDatabase,
) -> None:
    users_db.bootstrap()
    with connected(users_db.login(users_db.migrator, users_db.migrator_password)) as conn:
        with pytest.raises(ConfigError, match="does not exist"):
            ensure_app_user(conn, users_db.app)
        assert not user_exists(conn, users_db.app)


def test_the_job_fails_when_the_migrator_may_not_grant(users_db: UsersDatabase) -> None:
    # Without the bootstrap's rights the job cannot keep the user: the run is `failed`.
    users_db.bootstrap()
    with connected(users_db.admin()) as admin:
        if users_db.backend == "mysql":
            admin.exec_driver_sql(f"REVOKE CREATE USER ON *.* FROM '{users_db.migrator}'@'%%'")
        else:
            admin.exec_driver_sql(f'ALTER ROLE "{users_db.migrator}" NOCREATEROLE')
        admin.commit()
    result = run_job(users_db.job_settings())
    assert result.status == "failed"
    assert result.error is not None
    assert users_db.app in result.error
    assert "dbtier db-users bootstrap" in result.error
