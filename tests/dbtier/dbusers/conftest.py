"""Fixtures for database users: a fresh database and uniquely named users, dropped after.

Runs on the shared MariaDB and PostgreSQL servers. Every user and role a test
makes carries a random suffix, and teardown drops exactly those users, then
the root fixture drops the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbusers_helpers import UsersDatabase
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from dbtier.dbusers import clone_of
from dbtier.dbusers.grants import drop_user, new_password, user_exists


@pytest.fixture(params=["mysql", "postgres"], ids=["mysql", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Users exist on MariaDB/MySQL and PostgreSQL only (overrides the root fixture)."""
    name: str = request.param
    return name


@pytest.fixture
def users_db(backend: str, database_url: URL, tmp_path: Path) -> Iterator[UsersDatabase]:
    """A fresh database on the shared server, plus a migrator and an app user name of its own.

    Teardown drops this test's users (PostgreSQL: after DROP OWNED BY in the test's
    database); the root `database_url` fixture then drops the database.
    """
    suffix = uuid.uuid4().hex[:8]
    db = UsersDatabase(
        backend=backend,
        admin_url=database_url,
        migrator=f"dbt_mig_{suffix}",
        migrator_password=new_password(),
        app=f"dbt_app_{suffix}",
        tmp_path=tmp_path,
    )
    try:
        yield db
    finally:
        _drop_users(db, (clone_of(db.app), db.app, db.migrator))


def _drop_users(db: UsersDatabase, users: tuple[str, ...]) -> None:
    engine = create_engine(db.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            present = [user for user in users if user_exists(conn, user)]
            if db.backend == "postgres" and present:
                # One statement: privileges the migrator granted with GRANT OPTION go
                # with the migrator's (CASCADE); a superuser's REVOKE acts as the owner.
                roles = ", ".join(f'"{user}"' for user in present)
                conn.exec_driver_sql(f"DROP OWNED BY {roles} CASCADE")
            for user in present:
                drop_user(conn, user)
    finally:
        engine.dispose()
