"""The application user and its grants, kept as they should be by the migration job.

`ensure_app_user` runs as the owner/migrator after every successful upgrade
(and on a no-op run), so tables a migration added are covered the same day:

- the user is created when it does not exist, with a new password that is
  published to the application's secret *before* the user exists (a secret
  that names a missing user heals on the next run; a user whose password
  nobody knows would not). An existing user's password is never touched:
  the rotation owns it.
- the application's tables get SELECT, INSERT, UPDATE, DELETE; `alembic_version`
  SELECT only; `dbtier_migration_runs` nothing. Never ALL PRIVILEGES.
- PostgreSQL: USAGE on the schema, USAGE and SELECT on its sequences, and
  DEFAULT PRIVILEGES for the migrator's future tables and sequences.
- The alternating user of a multi-user rotation (`<app>_clone`) is kept level:
  on MySQL/MariaDB it gets the same table grants; on PostgreSQL it is a member
  of the application role and inherits them.

Every statement is idempotent, so the job may run it any number of times.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dbtier.dbusers.facts import (
    APP_TABLE_PRIVILEGES,
    HIDDEN_TABLES,
    READ_ONLY_TABLES,
    UserFacts,
    base_of,
    check_name,
    clone_of,
    facts_for,
    literal,
)
from dbtier.errors import ConfigError

Publish = Callable[[str, str], None]
"""Stores `(username, password)` in the application's secret."""

_MASK = "'***'"


def new_password() -> str:
    """A password for a database user: 32 URL-safe characters, no quoting trouble anywhere."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class GrantReport:
    """What `ensure_app_user` did: the statements it ran (passwords masked)."""

    user: str
    created: bool
    tables: tuple[str, ...]
    clone: str | None
    statements: tuple[str, ...]


class Runner:
    """Runs statements on one connection and keeps their text, passwords masked."""

    def __init__(self, conn: Connection, facts: UserFacts) -> None:
        self.conn = conn
        self.facts = facts
        self.ran: list[str] = []

    def __call__(self, template: str, *, password: str | None = None, **names: str) -> None:
        """Run `template` with `names` (quoted identifiers) and a password literal filled in."""
        # exec_driver_sql hands the text to a pyformat driver, which reads `%` as a
        # placeholder: names are escaped here, and the dialect's literal is already.
        escaped = {k: v.replace("%", "%%") for k, v in names.items()}
        secret = literal(self.conn, password) if password is not None else _MASK
        self.conn.exec_driver_sql(template.format(**escaped, password=secret))
        self.ran.append(template.format(**names, password=_MASK))

    def statement(self, sql: str) -> None:
        """Run a statement that holds no password (e.g. a grant copied from SHOW GRANTS)."""
        self.conn.exec_driver_sql(sql.replace("%", "%%"))
        self.ran.append(sql)


def user_exists(conn: Connection, name: str) -> bool:
    """True when the engine has a user (MySQL: at host `%`) or role of that name."""
    facts = facts_for(conn)
    return conn.execute(text(facts.user_exists), {"name": name}).first() is not None


def current_user(conn: Connection) -> str:
    """The connected user's name."""
    return str(conn.execute(text(facts_for(conn).current_user)).scalar_one())


def app_tables(conn: Connection, schema: str | None = None) -> list[str]:
    """The base tables of the connection's database (PostgreSQL: of `schema`)."""
    facts = facts_for(conn)
    params = {"schema": schema or facts.default_schema}
    return sorted(str(row[0]) for row in conn.execute(text(facts.tables), params))


def ensure_app_user(
    conn: Connection,
    app: str,
    *,
    publish: Publish | None = None,
    schema: str | None = None,
) -> GrantReport:
    """Create the application user if needed and bring its grants to what they should be.

    `publish` stores a new user's credentials; without it a missing user is a
    ConfigError (the job cannot give a user a password nobody will know).
    """
    facts = facts_for(conn)
    check_name(app, "application user")
    schema = schema or facts.default_schema or ""
    run = Runner(conn, facts)
    created = False
    if not user_exists(conn, app):
        if publish is None:
            raise ConfigError(
                f"application user {app!r} does not exist, and the job was given no secret to "
                "publish a new user's password to (DBTIER_APP_SECRET_ID or DBTIER_APP_SECRET_FILE)"
            )
        password = new_password()
        publish(app, password)  # first: a published secret for a missing user heals next run
        run(facts.create_user, user=facts.user(app), password=password)
        created = True
    tables = app_tables(conn, schema)
    names = {"db": facts.ident(str(conn.engine.url.database)), "schema": facts.ident(schema)}
    _grant_tables(run, facts, app, tables, names)
    owner = current_user(conn)
    for template in facts.schema_grants:
        run(template, user=facts.user(app), owner=facts.ident(owner), **names)
    clone = clone_of(app)
    has_clone = user_exists(conn, clone)
    if has_clone and facts.clone_member is not None:
        run(facts.clone_member, user=facts.user(app), member=facts.user(clone))
    elif has_clone:
        _grant_tables(run, facts, clone, tables, names)
    conn.commit()
    return GrantReport(
        user=app,
        created=created,
        tables=tuple(tables),
        clone=clone if has_clone else None,
        statements=tuple(run.ran),
    )


def _grant_tables(
    run: Runner, facts: UserFacts, user: str, tables: list[str], names: dict[str, str]
) -> None:
    dml = ", ".join(APP_TABLE_PRIVILEGES)
    writes = ", ".join(p for p in APP_TABLE_PRIVILEGES if p != "SELECT")
    account = facts.user(user)
    for table in tables:
        where = {"table": facts.ident(table), "user": account, **names}
        if table in HIDDEN_TABLES:
            if facts.revoke_table is not None:
                run(facts.revoke_table, privileges="ALL", **where)
        elif table in READ_ONLY_TABLES:
            run(facts.grant_table, privileges="SELECT", **where)
            if facts.revoke_table is not None:
                run(facts.revoke_table, privileges=writes, **where)
        else:
            run(facts.grant_table, privileges=dml, **where)


def set_password(conn: Connection, user: str, password: str) -> None:
    """Give an existing user a new password (the rotation's and the bootstrap's step)."""
    facts = facts_for(conn)
    Runner(conn, facts)(facts.set_password, user=facts.user(user), password=password)
    conn.commit()


def drop_user(conn: Connection, user: str) -> None:
    """Drop a user or role if it exists (tests and teardown; never the job)."""
    facts = facts_for(conn)
    check_name(base_of(user), "user")
    Runner(conn, facts)(facts.drop_user, user=facts.user(user))
    conn.commit()


__all__ = [
    "GrantReport",
    "Publish",
    "Runner",
    "app_tables",
    "current_user",
    "drop_user",
    "ensure_app_user",
    "new_password",
    "set_password",
    "user_exists",
]
