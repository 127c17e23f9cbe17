"""The master's only job: create the database and the owner/migrator, once.

Run with the master (admin) credentials: `dbtier db-users bootstrap` on AWS
(a one-off task with the master secret), and `dbtier up --admin-url` locally.
It creates the migrator with its password, DDL and DML on the application's
database with GRANT OPTION (so it can grant the application user DML), and
the right to create the application user (MySQL/MariaDB `CREATE USER`,
PostgreSQL `CREATEROLE`). Everything after that runs as the migrator.
Idempotent: a second run sets the same rights and the given password again.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection

from dbtier.dbusers.facts import check_name, facts_for
from dbtier.dbusers.grants import Runner, user_exists


def ensure_database(admin_url: URL) -> None:
    """Create the URL's database when it is missing."""
    name = check_name(str(admin_url.database or ""), "database")
    backend = admin_url.get_backend_name()
    server = admin_url.set(database="postgres" if backend == "postgresql" else None)
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            facts = facts_for(conn)
            if backend == "postgresql":
                found = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).first()
                if found:
                    return
            conn.exec_driver_sql(facts.create_database.format(db=facts.ident(name)))
    finally:
        engine.dispose()


def bootstrap_migrator(
    conn: Connection, migrator: str, password: str, *, schema: str | None = None
) -> list[str]:
    """Create or update the owner/migrator on the connection's database; returns the statements."""
    facts = facts_for(conn)
    check_name(migrator, "migrator user")
    run = Runner(conn, facts)
    account = facts.user(migrator)
    if user_exists(conn, migrator):
        run(facts.set_password, user=account, password=password)
    else:
        run(facts.create_user, user=account, password=password)
    names = {
        "db": facts.ident(str(conn.engine.url.database)),
        "schema": facts.ident(schema or facts.default_schema or ""),
    }
    for template in facts.migrator_grants:
        run(template, user=account, **names)
    conn.commit()
    return run.ran


__all__ = ["bootstrap_migrator", "ensure_database"]
