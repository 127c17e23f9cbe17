"""Engine facts for database users: the statements each engine takes, in one table.

Identifiers cannot be bound as parameters, so names are checked against
`NAME_PATTERN` and quoted here; literals (passwords) go through the dialect's
own literal processor, which escapes what that engine needs escaped. No
function here forks on the engine: each engine is one `UserFacts` row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import String
from sqlalchemy import literal as sql_literal
from sqlalchemy.engine import Connection

from dbtier.errors import ConfigError

# 32 characters: MySQL 8's limit for a user name (MariaDB allows 80, PostgreSQL 63);
# `_clone` (the alternating user) must still fit.
NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,25}")
CLONE_SUFFIX = "_clone"

# The users' names on the reference deployment (the CDK stack and `dbtier up --admin-url`).
MIGRATOR_USERNAME = "nippo_migrator"
APP_USERNAME = "nippo_app"

# What the application user may do on the application's tables, and nothing else.
APP_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
# The job's bookkeeping: the service reads the schema version (/readyz), never writes it,
# and has no business with the run history.
READ_ONLY_TABLES = frozenset({"alembic_version"})
HIDDEN_TABLES = frozenset({"dbtier_migration_runs"})

# The owner/migrator's rights on its database (DDL and DML; never ALL PRIVILEGES).
MYSQL_MIGRATOR_PRIVILEGES = (
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, "
    "CREATE VIEW, SHOW VIEW, TRIGGER, CREATE TEMPORARY TABLES, LOCK TABLES"
)


def check_name(name: str, what: str) -> str:
    """A user or database name dbtier will quote itself, or a ConfigError naming it."""
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{what} {name!r}: use 1-26 lower-case letters, digits or _ (not starting with "
            f"a digit), so that {name}{CLONE_SUFFIX} fits every engine's limit"
        )
    return name


def clone_of(username: str) -> str:
    """The other user of an alternating pair: app ↔ app_clone (as AWS's rotation names it)."""
    if username.endswith(CLONE_SUFFIX):
        return username.removesuffix(CLONE_SUFFIX)
    return username + CLONE_SUFFIX


def base_of(username: str) -> str:
    """The pair's first user, whichever of the two `username` is."""
    return username.removesuffix(CLONE_SUFFIX)


def literal(conn: Connection, value: str) -> str:
    """`value` as a SQL string literal of the connection's dialect."""
    compiled = sql_literal(value, String()).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


@dataclass(frozen=True)
class UserFacts:
    """How one engine names, creates, alters and grants users.

    Templates take `{user}` (the quoted account), `{password}` (a literal),
    `{db}` (the quoted database), `{table}`, `{privileges}`, `{schema}`,
    `{owner}` and `{member}`.
    """

    engine: str
    quote: str  # identifier quote character
    account: str  # format of an account from its quoted name
    user_exists: str  # bound :name
    current_user: str  # the connected user's name, without a host
    tables: str  # bound :schema; the current database's base tables
    create_user: str
    set_password: str
    drop_user: str
    grant_table: str
    revoke_table: str | None  # None: the engine refuses to revoke what was never granted
    # Run after the table grants: schema usage, sequences, default privileges.
    schema_grants: tuple[str, ...]
    # How the clone gets the app user's rights: membership (PostgreSQL) or copied grants.
    clone_member: str | None
    migrator_grants: tuple[str, ...]
    create_database: str
    default_schema: str | None

    def ident(self, name: str) -> str:
        """A name quoted as an identifier (names are checked, so no quote can occur)."""
        return f"{self.quote}{name}{self.quote}"

    def user(self, name: str) -> str:
        """The account clause for a user name."""
        return self.account.format(name=name)


MYSQL = UserFacts(
    engine="mysql",
    quote="`",
    account="'{name}'@'%'",
    user_exists="SELECT 1 FROM mysql.user WHERE User = :name AND Host = '%'",
    current_user="SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)",
    tables=(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
    ),
    create_user="CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {password}",
    set_password="ALTER USER {user} IDENTIFIED BY {password}",  # noqa: S106 - a template
    drop_user="DROP USER IF EXISTS {user}",
    grant_table="GRANT {privileges} ON {db}.{table} TO {user}",
    revoke_table=None,
    schema_grants=(),
    clone_member=None,
    migrator_grants=(
        f"GRANT {MYSQL_MIGRATOR_PRIVILEGES} ON {{db}}.* TO {{user}} WITH GRANT OPTION",
        # The job creates the application user (see docs/security.md for what this allows)
        # and looks it up by name: the name columns only, never the password hashes.
        "GRANT CREATE USER ON *.* TO {user}",
        "GRANT SELECT (User, Host) ON mysql.user TO {user}",
    ),
    create_database="CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4",
    default_schema=None,
)

POSTGRES = UserFacts(
    engine="postgresql",
    quote='"',
    account='"{name}"',
    user_exists="SELECT 1 FROM pg_roles WHERE rolname = :name",
    current_user="SELECT current_user",
    tables="SELECT tablename FROM pg_tables WHERE schemaname = :schema",
    create_user="CREATE ROLE {user} WITH LOGIN PASSWORD {password}",
    set_password="ALTER ROLE {user} WITH LOGIN PASSWORD {password}",  # noqa: S106 - a template
    drop_user="DROP ROLE IF EXISTS {user}",
    grant_table="GRANT {privileges} ON TABLE {schema}.{table} TO {user}",
    revoke_table="REVOKE {privileges} ON TABLE {schema}.{table} FROM {user}",
    schema_grants=(
        "GRANT USAGE ON SCHEMA {schema} TO {user}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {user}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {user}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        "GRANT USAGE, SELECT ON SEQUENCES TO {user}",
    ),
    clone_member="GRANT {user} TO {member}",
    migrator_grants=(
        "ALTER ROLE {user} CREATEROLE",
        "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {user}",
        "GRANT USAGE, CREATE ON SCHEMA {schema} TO {user} WITH GRANT OPTION",
        # PostgreSQL 14 and older let every role create in `public`; 15+ already do not.
        "REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
    ),
    create_database="CREATE DATABASE {db}",
    default_schema="public",
)

_BY_DIALECT = {"mysql": MYSQL, "mariadb": MYSQL, "postgresql": POSTGRES}


def facts_for(conn: Connection) -> UserFacts:
    """The facts for a connection's engine; SQLite has no users."""
    try:
        return _BY_DIALECT[conn.dialect.name]
    except KeyError:
        raise ConfigError(
            f"database users need MySQL, MariaDB or PostgreSQL; {conn.dialect.name} has no users"
        ) from None


__all__ = [
    "APP_TABLE_PRIVILEGES",
    "APP_USERNAME",
    "CLONE_SUFFIX",
    "HIDDEN_TABLES",
    "MIGRATOR_USERNAME",
    "MYSQL",
    "POSTGRES",
    "READ_ONLY_TABLES",
    "UserFacts",
    "base_of",
    "check_name",
    "clone_of",
    "facts_for",
    "literal",
]
