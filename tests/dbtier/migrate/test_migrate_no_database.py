"""A database that does not exist is a configuration error (exit 2) at once, on both servers.

psycopg leaves `sqlstate` empty when the server refuses the connection, so
PostgreSQL's "database does not exist" used to look like an outage: exit 3
after all the retries.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import URL, make_url

from dbtier.config import Settings
from dbtier.errors import ConfigError
from dbtier.migrate import run_job


def test_missing_database_exits_2_without_retrying(backend: str, database_url: URL) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite creates the file")
    missing = make_url(database_url).set(database=f"dbtier_none_{uuid.uuid4().hex[:8]}")
    settings = Settings(database_url=missing.render_as_string(hide_password=False))
    with pytest.raises(ConfigError, match="does not exist") as caught:
        run_job(settings, connect_retries=5)
    assert caught.value.exit_code == 2  # not DatabaseUnreachable (3) after the retries
