"""Engines for SQLite, MySQL/MariaDB and PostgreSQL, sized from settings.

Engine facts that differ (the SQLite pragmas, MySQL's utf8mb4) live here, in
one place. When credentials came from a secret, a connection refused for bad
credentials re-reads the secret once and tries again, so a rotated password
is picked up without a restart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from dbtier.config import Settings
from dbtier.secrets import CredentialsProvider, ResolvedDatabase, resolve_database

# MySQL 1045 / MariaDB: access denied; PostgreSQL: SQLSTATE 28P01 / 28000.
_AUTH_FAILURE_MARKERS = ("1045", "28P01", "28000", "password authentication failed")


def is_auth_failure(exc: BaseException) -> bool:
    """True when the driver refused the credentials (not the network)."""
    text = f"{getattr(exc, 'orig', exc)!r} {exc}"
    pgcode = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return pgcode in ("28P01", "28000") or any(m in text for m in _AUTH_FAILURE_MARKERS)


def engine_kwargs(url: URL, settings: Settings) -> dict[str, Any]:
    """Pool and driver options for a URL's backend."""
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
    if backend in ("mysql", "mariadb"):
        kwargs["connect_args"] = {"charset": "utf8mb4"}
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
        cparams.update(_credential_params(dialect, creds.username, creds.password))
        try:
            return dialect.dbapi.connect(*cargs, **cparams)
        except Exception as exc:
            if not is_auth_failure(exc):
                raise
        creds = provider.refresh()
        cparams.update(_credential_params(dialect, creds.username, creds.password))
        return dialect.dbapi.connect(*cargs, **cparams)


def _credential_params(_dialect: Any, username: str, password: str) -> dict[str, str]:
    # pymysql and psycopg both take `user` and `password` keyword arguments.
    return {"user": username, "password": password}


def make_engine(
    settings: Settings, *, resolved: ResolvedDatabase | None = None, **extra: Any
) -> Engine:
    """An engine for the database the settings name (see `dbtier.secrets`)."""
    resolved = resolved or resolve_database(settings)
    options = engine_kwargs(resolved.url, settings) | extra
    engine = create_engine(resolved.url, **options)
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
]
