"""What the database-user tests share: a fresh database, its users' names, ways to log in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from dbtier.config import Settings
from dbtier.dbusers import bootstrap_migrator

# MySQL/MariaDB: 1142 table command denied, 1044 database access denied, 1045 login;
# PostgreSQL: 42501 insufficient_privilege.
_DENIED_CODES = frozenset({1142, 1143, 1044, 1227})


def denied(exc: DBAPIError) -> bool:
    """True when the server refused a statement for lack of privilege."""
    orig = exc.orig
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _DENIED_CODES
    return getattr(orig, "sqlstate", None) == "42501"


@dataclass
class UsersDatabase:
    """A fresh database, its admin URL, and the names of the migrator and the app user."""

    backend: str
    admin_url: URL
    migrator: str
    migrator_password: str
    app: str
    tmp_path: Path

    @property
    def app_secret_file(self) -> Path:
        return self.tmp_path / "secrets" / "app.json"

    def admin(self) -> Engine:
        return create_engine(self.admin_url)

    def migrator_url(self) -> URL:
        return self.admin_url.set(username=self.migrator, password=self.migrator_password)

    def bootstrap(self) -> list[str]:
        engine = self.admin()
        try:
            with engine.connect() as conn:
                return bootstrap_migrator(conn, self.migrator, self.migrator_password)
        finally:
            engine.dispose()

    def job_settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.migrator_url().render_as_string(hide_password=False),
            "data_dir": self.tmp_path / "data",
            "app_username": self.app,
            "app_secret_file": self.app_secret_file,
            "lock_wait": 5,
        }
        return Settings(**(values | overrides))

    def app_secret(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.app_secret_file.read_text(encoding="utf-8"))
        return data

    def login(self, username: str, password: str) -> Engine:
        return create_engine(self.admin_url.set(username=username, password=password))

    def app_engine(self) -> Engine:
        secret = self.app_secret()
        return self.login(secret["username"], secret["password"])

    def grants_snapshot(self, user: str) -> list[str]:
        """Everything the server says `user` may do, sorted (to compare runs)."""
        engine = self.admin()
        try:
            with engine.connect() as conn:
                return sorted(_grants(conn, self.backend, user))
        finally:
            engine.dispose()


def _grants(conn: Connection, backend: str, user: str) -> list[str]:
    if backend == "mysql":
        return [str(r[0]) for r in conn.execute(text(f"SHOW GRANTS FOR '{user}'@'%'"))]
    rows = conn.execute(
        text(
            "SELECT table_name || ':' || privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :u UNION ALL "
            "SELECT 'default:' || defaclobjtype::text || ':' || defaclacl::text "
            "FROM pg_default_acl UNION ALL "
            "SELECT 'schema:' || nspname || ':' || nspacl::text "
            "FROM pg_namespace WHERE nspname = 'public'"
        ),
        {"u": user},
    )
    return [str(r[0]) for r in rows]
