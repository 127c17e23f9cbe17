"""Engines for SQLite, MySQL/MariaDB and PostgreSQL, sized from settings.

Engine facts that differ (the SQLite pragmas, MySQL's utf8mb4) live here, in
one place; verified TLS comes from `dbtier.tls` (`DBTIER_DB_TLS`). When
credentials came from a secret, a connection refused for bad credentials
re-reads the secret once and tries again, so a rotated password is picked up
without a restart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from dbtier.config import Settings
from dbtier.db_timeouts import Timeouts, driver_args, session_statement_timeout
from dbtier.logs import get_logger
from dbtier.secrets import (
    CredentialsProvider,
    DatabaseCredentials,
    ResolvedDatabase,
    resolve_database,
)
from dbtier.tls import tls_connect_args

# MySQL/MariaDB ER_ACCESS_DENIED_ERROR, and MariaDB's 1698 for an unknown
# user; PostgreSQL invalid_password and invalid_authorization_specification.
# psycopg leaves `sqlstate` empty when the connection itself is refused, so the
# server's message is read too.
_MYSQL_AUTH_CODES = frozenset({1045, 1698})
_PG_AUTH_SQLSTATES = frozenset({"28P01", "28000"})
_log = get_logger("db")


def is_auth_failure(exc: BaseException) -> bool:
    """True when the server refused the credentials (not the network, not the database)."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # pymysql, mysqlclient: (code, message)
        return args[0] in _MYSQL_AUTH_CODES
    if getattr(orig, "sqlstate", None) in _PG_AUTH_SQLSTATES:
        return True
    text = str(orig)
    return "password authentication failed" in text or (
        'role "' in text and "does not exist" in text
    )


def timeouts_from(settings: Settings, *, statement: float | None = None) -> Timeouts:
    """The connection bounds the settings give (`statement`: the session statement timeout)."""
    return Timeouts(
        connect=settings.connect_timeout, read=settings.read_timeout, statement=statement
    )


def engine_kwargs(
    url: URL, settings: Settings, *, timeouts: Timeouts | None = None
) -> dict[str, Any]:
    """Pool and driver options for a URL's backend, connection timeouts included."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    kwargs: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout,
        "pool_recycle": settings.pool_recycle,
        "pool_pre_ping": True,
    }
    driver = url.get_driver_name()
    connect_args = driver_args(backend, timeouts or timeouts_from(settings), driver)
    if backend in ("mysql", "mariadb"):
        connect_args["charset"] = "utf8mb4"
        if driver == "mysqldb":
            # Named placeholders: a parameter used n times in a statement is escaped
            # once, not n times (the study-time statement binds 4 values in 17
            # places; docs/performance.md). mysqlclient takes both styles.
            kwargs["paramstyle"] = "pyformat"
    connect_args |= tls_connect_args(backend, settings.db_tls, settings.db_tls_ca, driver)
    kwargs["connect_args"] = connect_args
    return kwargs


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _refresh_on_auth_failure(engine: Engine, provider: CredentialsProvider) -> None:
    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        creds = provider.get()
        try:
            return dialect.dbapi.connect(*cargs, **_with_credentials(cparams, creds))
        except Exception as exc:
            if not is_auth_failure(exc):
                raise
        _log.warning(
            "database refused the credentials; re-reading the secret once",
            source=provider.description,
            username=creds.username,
        )
        # Threads that failed together share one refresh (see `refresh(stale=...)`).
        fresh = provider.refresh(stale=creds)
        return dialect.dbapi.connect(*cargs, **_with_credentials(cparams, fresh))


def _with_credentials(cparams: dict[str, Any], creds: DatabaseCredentials) -> dict[str, Any]:
    # pymysql and psycopg both take `user` and `password`; SQLAlchemy's MySQL
    # dialects pass the URL's password as the older `passwd`, which must not
    # linger beside the fresh one.
    params = {k: v for k, v in cparams.items() if k != "passwd"}
    return params | {"user": creds.username, "password": creds.password}


def make_engine(
    settings: Settings,
    *,
    resolved: ResolvedDatabase | None = None,
    timeouts: Timeouts | None = None,
    **extra: Any,
) -> Engine:
    """An engine for the database the settings name (see `dbtier.secrets`).

    `timeouts` default to the settings' connect/read timeouts without a statement
    timeout; the service passes its per-session statement timeout here.
    """
    resolved = resolved or resolve_database(settings)
    timeouts = timeouts or timeouts_from(settings)
    options = engine_kwargs(resolved.url, settings, timeouts=timeouts) | extra
    engine = create_engine(resolved.url, **options)
    if timeouts.statement is not None:
        session_statement_timeout(engine, timeouts.statement)
    if resolved.url.get_backend_name() == "sqlite":
        _sqlite_pragmas(engine)
    if resolved.provider is not None:
        _refresh_on_auth_failure(engine, resolved.provider)
    return engine


def describe(url: URL) -> str:
    """A URL for messages and logs: the password masked."""
    return url.render_as_string(hide_password=True)


__all__ = [
    "OperationalError",
    "describe",
    "engine_kwargs",
    "is_auth_failure",
    "make_engine",
    "timeouts_from",
]
