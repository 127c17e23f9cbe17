"""The job's last step: the application user and its grants (`dbtier.dbusers.grants`).

After a run that leaves the schema at head (`succeeded` or `noop`), with the
lock still held, the job brings the application user named by
`DBTIER_APP_USERNAME` to its DML-only grants, so a table a migration added is
the service's to use as soon as the run ends. A user the job has to create gets
a new password, published to the application's secret (`DBTIER_APP_SECRET_ID`,
which the job may write but not read, or `DBTIER_APP_SECRET_FILE` locally).
Without `DBTIER_APP_USERNAME` the step is skipped. A failure makes the run
`failed`: the service cannot use what it was not granted.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from dbtier.config import Settings
from dbtier.dbusers.grants import GrantReport, Publish, ensure_app_user
from dbtier.dbusers.publish import FileSink, SecretSink, SecretsManagerSink, rds_secret
from dbtier.errors import ConfigError


def app_secret_sink(settings: Settings) -> SecretSink | None:
    """Where a new application user's password goes, if anywhere."""
    if settings.app_secret_id:
        return SecretsManagerSink(settings.app_secret_id, region=settings.aws_region)
    if settings.app_secret_file:
        return FileSink(settings.app_secret_file)
    return None


def keep_app_user(conn: Connection, settings: Settings) -> GrantReport | None:
    """Create or update the application user's grants; None when no user is configured.

    Raises ConfigError naming the user and what to do when the migrator cannot.
    """
    app = settings.app_username
    if not app:
        return None
    sink = app_secret_sink(settings)
    publish: Publish | None = None
    if sink is not None:
        url = conn.engine.url

        def publish(username: str, password: str) -> None:
            masterarn = settings.master_secret_arn
            sink.publish(rds_secret(url, username, password, masterarn=masterarn))

    try:
        return ensure_app_user(conn, app, publish=publish)
    except DBAPIError as exc:
        first = (str(exc.orig).strip().splitlines() or [""])[0]
        raise ConfigError(
            f"the migrator cannot keep application user {app!r} ({type(exc.orig).__name__}: "
            f"{first}); run `dbtier db-users bootstrap` with the master's credentials to give "
            "it the rights"
        ) from None


__all__ = ["app_secret_sink", "keep_app_user"]
