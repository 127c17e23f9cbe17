"""Database connection settings: an explicit URL, a Secrets Manager secret, or a local file.

The secret has the shape RDS writes for managed master-user secrets::

    {"engine": "mysql", "host": "...", "port": 3306, "username": "...",
     "password": "...", "dbname": "..."}

On AWS the secret lives in Secrets Manager in the same region as the ECS
cluster; locally a JSON file of the same shape stands in for it. Credentials
are cached; `CredentialsProvider.refresh()` is called once on an
authentication failure (see `dbtier.db`) so a rotated password is picked up
without a restart. A password never appears in a log line, a repr or an error;
botocore's DEBUG dumps of a GetSecretValue response are dropped for the same reason.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import URL, make_url

from dbtier.config import Settings
from dbtier.errors import ConfigError

# RDS's `engine` values → SQLAlchemy drivers dbtier ships with. MySQL and MariaDB:
# mysqlclient (C), picked over PyMySQL by `bench/service` (docs/performance.md).
_DRIVERS: dict[str, str] = {
    "mysql": "mysql+mysqldb",
    "mariadb": "mysql+mysqldb",
    "aurora-mysql": "mysql+mysqldb",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "aurora-postgresql": "postgresql+psycopg",
}
_REQUIRED = ("engine", "host", "username", "password")
_DEFAULT_PORTS = {"mysql+mysqldb": 3306, "postgresql+psycopg": 5432}


@dataclass(frozen=True)
class DatabaseCredentials:
    """One set of credentials; `password` is kept out of repr."""

    engine: str
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    dbname: str | None = None

    @classmethod
    def from_secret(cls, data: Any, *, where: str) -> DatabaseCredentials:
        """Validate an RDS-shaped secret; `where` names its source in messages."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: the secret must be a JSON object in the RDS shape")
        missing = [k for k in _REQUIRED if not data.get(k)]
        if missing:
            raise ConfigError(f"{where}: the secret lacks {', '.join(missing)}")
        engine = str(data["engine"]).lower()
        if engine not in _DRIVERS:
            known = ", ".join(sorted(_DRIVERS))
            raise ConfigError(f"{where}: engine {engine!r} is not one of {known}")
        driver = _DRIVERS[engine]
        try:
            port = int(data.get("port") or _DEFAULT_PORTS[driver])
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: port must be an integer") from None
        if not 0 < port < 65536:
            raise ConfigError(f"{where}: port {port} is not between 1 and 65535")
        dbname = data.get("dbname")
        return cls(
            engine=engine,
            host=str(data["host"]),
            port=port,
            username=str(data["username"]),
            password=str(data["password"]),
            dbname=str(dbname) if dbname else None,
        )

    def url(self, dbname: str | None = None) -> URL:
        """A SQLAlchemy URL; its str() and repr() mask the password."""
        return URL.create(
            _DRIVERS[self.engine],
            username=self.username,
            password=self.password,
            host=self.host,
            port=self.port,
            database=dbname or self.dbname,
        )


class SecretSource(Protocol):
    """Where an RDS-shaped secret comes from."""

    description: str

    def fetch(self) -> Any:
        """Return the secret's parsed JSON."""


class _DropSecretValues(logging.Filter):
    """Drops botocore's DEBUG records of a response body that holds a secret's value."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True
        return "SecretString" not in message and "SecretBinary" not in message


# botocore logs whole HTTP responses at DEBUG: GetSecretValue's holds the password.
_BOTOCORE_BODY_LOGGERS = ("botocore.parsers", "botocore.endpoint", "botocore.awsrequest")


def _keep_secret_values_out_of_botocore_logs() -> None:
    for name in _BOTOCORE_BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropSecretValues) for f in logger.filters):
            logger.addFilter(_DropSecretValues())


_keep_secret_values_out_of_botocore_logs()


class SecretsManagerSource:
    """AWS Secrets Manager: a secret by ARN or name, in the stack's region."""

    def __init__(self, secret_id: str, *, region: str, client: Any = None) -> None:
        _keep_secret_values_out_of_botocore_logs()
        self.secret_id = secret_id
        self.region = region
        self._client = client
        self.description = f"Secrets Manager secret {secret_id!r} in {region}"

    def _get_client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager", region_name=self.region)
        return self._client

    def fetch(self) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._get_client().get_secret_value(SecretId=self.secret_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise ConfigError(f"{self.description}: {code}") from None
        except BotoCoreError as exc:
            raise ConfigError(f"{self.description}: {type(exc).__name__}") from None
        if "SecretString" not in response:
            raise ConfigError(
                f"{self.description}: holds no SecretString; store the RDS-shaped JSON as text"
            )
        return _parse_json(response["SecretString"], self.description)


class FileSource:
    """A local JSON file in the RDS secret shape (the local profile's Secrets Manager)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"secret file {path}"

    def fetch(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{self.description}: {exc.strerror}") from None
        return _parse_json(text, self.description)


def _parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # The message names the position only: the text may hold the password.
        raise ConfigError(
            f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None


class EnvSource:
    """The secret's JSON in an environment variable, as ECS `secrets` injects it."""

    def __init__(self, name: str, value: str) -> None:
        self.value = value
        self.description = f"secret injected in ${name}"

    def fetch(self) -> Any:
        return _parse_json(self.value, self.description)


class CredentialsProvider:
    """Caches credentials from a source; `refresh()` re-reads them (after a rotation).

    `refresh_source` is where a refresh reads from when it differs from the
    first source: ECS injects the secret once at task start, so after a
    rotation the task reads Secrets Manager itself.
    """

    def __init__(
        self,
        source: SecretSource,
        *,
        dbname: str | None = None,
        refresh_source: SecretSource | None = None,
    ) -> None:
        self.source = source
        self.refresh_source = refresh_source
        self.dbname = dbname
        self._lock = threading.Lock()
        self._cached: DatabaseCredentials | None = None
        self.fetches = 0

    @property
    def description(self) -> str:
        """Where the credentials come from, for messages and logs."""
        return self.source.description

    def get(self) -> DatabaseCredentials:
        """The cached credentials, read from the source on first use."""
        with self._lock:
            if self._cached is None:
                self._cached = self._load()
            return self._cached

    def refresh(self, *, stale: DatabaseCredentials | None = None) -> DatabaseCredentials:
        """Re-read the secret, after the database refused the cached credentials.

        With `stale` (the credentials that were refused), callers that failed
        at the same time share one read: whoever comes second finds the cache
        already replaced and takes the fresh credentials without a fetch.
        """
        with self._lock:
            if stale is not None and self._cached is not None and self._cached is not stale:
                return self._cached
            if self.refresh_source is not None:
                self.source = self.refresh_source
            self._cached = self._load()
            return self._cached

    def url(self) -> URL:
        return self.get().url(self.dbname)

    def _load(self) -> DatabaseCredentials:
        self.fetches += 1
        return DatabaseCredentials.from_secret(self.source.fetch(), where=self.source.description)


@dataclass(frozen=True)
class ResolvedDatabase:
    """Where the database is: a URL, and the provider behind it when it came from a secret."""

    url: URL
    provider: CredentialsProvider | None = None


def resolve_database(settings: Settings, *, secrets_client: Any = None) -> ResolvedDatabase:
    """Explicit URL; then the secret (injected JSON, Secrets Manager, a local file); then SQLite."""
    if settings.database_url:
        try:
            return ResolvedDatabase(make_url(settings.database_url))
        except Exception:  # the URL may hold a password: say what, not the text
            raise ConfigError("--database-url / DBTIER_DATABASE_URL is not a valid URL") from None
    manager: SecretSource | None = None
    if settings.db_secret_id:
        manager = SecretsManagerSource(
            settings.db_secret_id, region=settings.aws_region, client=secrets_client
        )
    source: SecretSource | None = manager
    if settings.db_secret_json:
        source = EnvSource("DBTIER_DB_SECRET_JSON", settings.db_secret_json)
    elif source is None and settings.db_secret_file:
        source = FileSource(settings.db_secret_file)
    if source is not None:
        provider = CredentialsProvider(source, dbname=settings.db_name, refresh_source=manager)
        return ResolvedDatabase(provider.url(), provider)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return ResolvedDatabase(make_url(settings.sqlite_url))


__all__ = [
    "CredentialsProvider",
    "DatabaseCredentials",
    "EnvSource",
    "FileSource",
    "ResolvedDatabase",
    "SecretSource",
    "SecretsManagerSource",
    "resolve_database",
]
