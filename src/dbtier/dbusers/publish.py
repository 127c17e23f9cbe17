"""Where a new password goes: the user's secret, written, never read back.

The counterpart of `dbtier.secrets`' sources. On AWS the migration task may
put a value into the application's secret (`secretsmanager:PutSecretValue`)
but not read it: only the service's roles read it. Locally a JSON file of the
same RDS shape stands in, written atomically and readable by its owner only.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import URL

from dbtier.errors import ConfigError

# SQLAlchemy backends → the `engine` value RDS writes into its secrets.
_RDS_ENGINES = {"mysql": "mysql", "mariadb": "mariadb", "postgresql": "postgres"}


def rds_secret(
    url: URL, username: str, password: str, *, masterarn: str | None = None
) -> dict[str, Any]:
    """A secret in the RDS shape for `username` on the URL's server and database."""
    data: dict[str, Any] = {
        "engine": _RDS_ENGINES.get(url.get_backend_name(), url.get_backend_name()),
        "host": url.host,
        "port": url.port,
        "username": username,
        "password": password,
        "dbname": url.database,
    }
    if masterarn:
        data["masterarn"] = masterarn
    return data


class SecretSink(Protocol):
    """Somewhere an RDS-shaped secret can be stored."""

    description: str

    def publish(self, data: dict[str, Any]) -> None:
        """Store the secret's JSON as its current value."""


class FileSink:
    """A local JSON file (mode 0600), replaced atomically so a reader never sees half of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"secret file {path}"

    def publish(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600: the secret is never readable by others, not even briefly.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class SecretsManagerSink:
    """A Secrets Manager secret, by ARN or name: PutSecretValue (AWSCURRENT moves to it)."""

    def __init__(self, secret_id: str, *, region: str, client: Any = None) -> None:
        self.secret_id = secret_id
        self.region = region
        self._client = client
        self.description = f"Secrets Manager secret {secret_id!r} in {region}"

    def publish(self, data: dict[str, Any]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager", region_name=self.region)
        try:
            self._client.put_secret_value(SecretId=self.secret_id, SecretString=json.dumps(data))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise ConfigError(f"{self.description}: cannot store the new value ({code})") from None
        except BotoCoreError as exc:
            raise ConfigError(f"{self.description}: {type(exc).__name__}") from None


__all__ = ["FileSink", "SecretSink", "SecretsManagerSink", "rds_secret"]
