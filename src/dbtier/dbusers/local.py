"""`dbtier up --admin-url`: the three users of the AWS deployment, on a local server.

With an admin URL (the local stand-in for the master secret) `dbtier up`:

1. creates the URL's database if it is missing;
2. bootstraps the migrator (`bootstrap.py`), its credentials in
   `DATA_DIR/secrets/migrator.json` (kept across runs: an existing file's
   password is set again, not replaced);
3. runs the migration job as the migrator, which creates the application user
   and publishes its password to `DATA_DIR/secrets/app.json`, then grants it DML;
4. serves nippo as the application user, from `app.json`.

The files have the RDS secret shape and mode 0600, like the secrets on AWS.
An `app.json` that was deleted while its user still exists is written again
with a new password the admin sets (nobody else could log in as that user).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from dbtier.config import Settings
from dbtier.dbusers.bootstrap import bootstrap_migrator, ensure_database
from dbtier.dbusers.facts import APP_USERNAME, MIGRATOR_USERNAME, check_name
from dbtier.dbusers.grants import new_password, set_password, user_exists
from dbtier.dbusers.publish import FileSink, rds_secret
from dbtier.errors import ConfigError


@dataclass(frozen=True)
class LocalUsers:
    """Where the local users' secrets are, and the settings for the job and the service."""

    migrator_secret: Path
    app_secret: Path
    app_username: str

    def job_settings(self, settings: Settings) -> Settings:
        """The migration job logs in as the migrator and keeps the app user."""
        return settings.model_copy(
            update={
                "database_url": None,
                "db_secret_file": self.migrator_secret,
                "app_username": self.app_username,
                "app_secret_file": self.app_secret,
            }
        )

    def service_settings(self, settings: Settings) -> Settings:
        """The service logs in as the application user."""
        return settings.model_copy(
            update={
                "database_url": None,
                "db_secret_file": self.app_secret,
                "app_username": None,
                "app_secret_file": None,
            }
        )


def _kept_password(path: Path, username: str) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("username") == username and data.get("password"):
        return str(data["password"])
    return None


def prepare_local_users(
    admin_url: URL,
    data_dir: Path,
    *,
    migrator: str = MIGRATOR_USERNAME,
    app: str = APP_USERNAME,
) -> LocalUsers:
    """Steps 1-2 (and the repair of a lost app.json); the job and `up` do the rest."""
    if admin_url.get_backend_name() not in ("mysql", "mariadb", "postgresql"):
        raise ConfigError(
            f"--admin-url: database users need MySQL, MariaDB or PostgreSQL, "
            f"not {admin_url.get_backend_name()}"
        )
    check_name(migrator, "--migrator-user")
    check_name(app, "--app-user")
    secrets_dir = data_dir.resolve() / "secrets"
    users = LocalUsers(secrets_dir / "migrator.json", secrets_dir / "app.json", app)
    ensure_database(admin_url)
    password = _kept_password(users.migrator_secret, migrator) or new_password()
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            bootstrap_migrator(conn, migrator, password)
            if not users.app_secret.exists() and user_exists(conn, app):
                fresh = new_password()
                FileSink(users.app_secret).publish(rds_secret(admin_url, app, fresh))
                set_password(conn, app, fresh)
    finally:
        engine.dispose()
    FileSink(users.migrator_secret).publish(rds_secret(admin_url, migrator, password))
    return users


__all__ = ["LocalUsers", "prepare_local_users"]
