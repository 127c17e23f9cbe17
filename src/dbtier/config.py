"""Settings in one place: environment variables with the `DBTIER_` prefix, then defaults.

Every command that touches a database also takes `--database-url` and
`--data-dir`; the CLI passes them here as overrides. The embedded default is a
SQLite file under the data directory.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dbtier.tls import TlsMode

# The migration job's whole-run limit (seconds; DBTIER_MAX_RUNTIME): well under the
# default schedule's 5 minutes. The task definition's stopTimeout and the launcher's
# overlap guard are derived from the value the construct is given (dbtier.migrate.deadline).
DEFAULT_MAX_RUNTIME_S = 240.0


class Settings(BaseSettings):
    """dbtier's settings; `DBTIER_DATABASE_URL`, `DBTIER_DATA_DIR` and so on."""

    model_config = SettingsConfigDict(env_prefix="DBTIER_", extra="ignore")

    data_dir: Path = Path(".dbtier")
    database_url: str | None = Field(default=None, repr=False)
    # Secrets Manager secret (ARN or name) holding RDS-shaped JSON credentials.
    db_secret_id: str | None = None
    # The secret's JSON itself, as ECS `secrets` injects it into a task.
    db_secret_json: str | None = Field(default=None, repr=False)
    # A local JSON file of the same shape, for the local profile.
    db_secret_file: Path | None = None
    # Database name to connect to, overriding the secret's `dbname` when set.
    db_name: str | None = None
    aws_region: str = "ap-northeast-1"

    # Database users (docs/security.md). The migration job keeps this application user
    # and its DML-only grants; a user it has to create gets a new password, published
    # to the app secret (Secrets Manager: written, never read, by the job; or a file).
    app_username: str | None = None
    app_secret_id: str | None = None
    app_secret_file: Path | None = None
    # The master secret's ARN, written into a new app secret as `masterarn`: AWS's
    # multi-user rotation logs in with it to alternate the users.
    master_secret_arn: str | None = None

    # TLS to the database (`dbtier.tls`): `off` keeps the driver's default (local servers
    # without TLS); `verify-full` checks the certificate against the CA bundle and the
    # host name against the certificate. The stack sets verify-full in every task.
    db_tls: TlsMode = "off"
    # PEM CA bundle for verify-full; default: the RDS global bundle shipped in the package.
    db_tls_ca: Path | None = None

    pool_size: int = Field(default=5, ge=1, le=1000)
    max_overflow: int = Field(default=5, ge=0, le=1000)
    pool_timeout: float = Field(default=2.0, gt=0)
    pool_recycle: int = Field(default=1800, ge=-1)

    # Failure behaviour (docs/failure-behaviour.md has the table): every connection's
    # connect/read timeouts, the service's per-session statement timeout and deadlines.
    connect_timeout: float = Field(default=3.0, gt=0)
    read_timeout: float = Field(default=10.0, gt=0)
    query_timeout: float = Field(default=4.0, gt=0)
    request_timeout: float = Field(default=5.0, gt=0)
    readiness_timeout: float = Field(default=1.0, gt=0)
    max_in_flight: int | None = Field(default=None, ge=1)
    retry_after: int = Field(default=2, ge=1)
    max_runtime: float = Field(default=DEFAULT_MAX_RUNTIME_S, gt=0)

    # Scheduled migrations (local profile).
    migration_schedule: str = "rate(5 minutes)"
    schedule_timezone: str = "Asia/Tokyo"
    lock_wait: float = Field(default=30.0, ge=0)
    lock_timeout: float = Field(default=5.0, gt=0)
    statement_timeout: float = Field(default=600.0, gt=0)
    # The code that is running while the job migrates (the lint gate checks
    # pending revisions against it): the image's manifest, or its revision.
    deployed_manifest: Path | None = None
    deployed_rev: str | None = None

    # Before a scheduled migration with pending revisions: a manual RDS snapshot of
    # this instance (on AWS), else a local backup under DATA_DIR/backups.
    snapshot_before: bool = False
    rds_instance_id: str | None = None

    log_level: str = "INFO"

    # The service's edge (nippo.api.throttle): failed bearer tokens allowed per client
    # address per minute before 429, and the proxies (CIDRs, comma-separated; e.g. the
    # ALB's subnets) whose X-Forwarded-For is believed. Empty: use the peer address.
    auth_failures_per_minute: int = Field(default=20, ge=1, le=1_000_000)
    trusted_proxies: str = ""

    # The pages (nippo.web, docs/web.md): the key that signs the session cookie (every
    # task behind one load balancer needs the same one; unset: a random key per process,
    # so sessions end when it restarts), how long a session lasts without a visit, and
    # the users (names, comma-separated) who may open the operator page.
    session_secret: SecretStr | None = Field(default=None, repr=False)
    session_max_age: int = Field(default=8 * 3600, ge=60, le=30 * 24 * 3600)
    operators: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(part, strict=False)  # ValueError names the bad entry
        return value

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """`trusted_proxies` parsed."""
        parts = (p.strip() for p in self.trusted_proxies.split(","))
        return [ipaddress.ip_network(p, strict=False) for p in parts if p]

    @property
    def operator_names(self) -> frozenset[str]:
        """`operators` parsed."""
        return frozenset(filter(None, (n.strip() for n in self.operators.split(","))))

    @property
    def in_flight_limit(self) -> int:
        """Requests admitted at once (DBTIER_MAX_IN_FLIGHT; default twice the pool's reach)."""
        return self.max_in_flight or 2 * (self.pool_size + self.max_overflow)

    @property
    def sqlite_url(self) -> str:
        """The embedded default: a SQLite file under the data directory."""
        return f"sqlite:///{(self.data_dir / 'dbtier.sqlite3').resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with CLI overrides that are not None."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


__all__ = ["DEFAULT_MAX_RUNTIME_S", "Settings", "load_settings"]
