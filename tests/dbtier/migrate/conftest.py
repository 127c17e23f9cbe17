"""Fixtures for the migration job's tests: a fresh database plus helpers to look at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine

from dbtier.config import Settings

PROJECTS = Path(__file__).resolve().parents[2] / "data" / "alembic_projects"


@dataclass
class JobDatabase:
    """A fresh database on one backend and ways to run the job against it and read it."""

    backend: str
    url: URL
    tmp_path: Path

    @staticmethod
    def project(name: str) -> Path:
        """The alembic.ini of a test project (slow, failing, blocked)."""
        return PROJECTS / name / "alembic.ini"

    @staticmethod
    def emf_status(stdout: str) -> str | None:
        """The outcome in a run's CloudWatch EMF line, if it printed one."""
        for line in stdout.splitlines():
            if line.startswith('{"_aws"'):
                return str(json.loads(line)["status"])
        return None

    @property
    def url_text(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def settings(self, **overrides: Any) -> Settings:
        return Settings(database_url=self.url_text, data_dir=self.tmp_path / "data", **overrides)

    def engine(self) -> Engine:
        return create_engine(self.url)

    def scalars(self, sql: str) -> list[Any]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql)).scalars())
        finally:
            engine.dispose()

    def versions(self) -> list[str]:
        return self.scalars("SELECT version_num FROM alembic_version")

    def statuses(self) -> Counter[str]:
        return Counter(self.scalars("SELECT status FROM dbtier_migration_runs"))

    def has_table(self, name: str) -> bool:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return bool(conn.dialect.has_table(conn, name))
        finally:
            engine.dispose()

    def cli(self, args: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start `python -m dbtier ARGS` against this database (JSON logs on stdout)."""
        full_env = {**os.environ, "DBTIER_DATABASE_URL": self.url_text, **(env or {})}
        full_env.pop("DBTIER_DB_SECRET_ID", None)
        return subprocess.Popen(
            [sys.executable, "-m", "dbtier", *args],
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.tmp_path,
        )


@pytest.fixture
def job_db(backend: str, database_url: URL, tmp_path: Path) -> JobDatabase:
    """A fresh, empty database on each backend (sqlite, mysql, postgres)."""
    return JobDatabase(backend, database_url, tmp_path)


@pytest.fixture(autouse=True)
def _json_logs() -> None:
    """The job logs JSON lines, as it does in a container."""
    from dbtier.logs import configure_logging

    configure_logging("INFO", json=True)
