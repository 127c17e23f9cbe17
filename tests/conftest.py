"""Shared fixtures: real databases, created and dropped per test.

SQLite always runs. MariaDB/MySQL and PostgreSQL run when their servers answer
(`DBTIER_TEST_MYSQL_URL`, `DBTIER_TEST_POSTGRES_URL`; defaults: the local
servers on 127.0.0.1). On a machine without them those tests skip with the
reason; with `DBTIER_REQUIRE_DB_SERVERS=1` (as `.ci/run` sets) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

MYSQL_URL = os.environ.get("DBTIER_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get(
    "DBTIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVERS = os.environ.get("DBTIER_REQUIRE_DB_SERVERS") == "1"
BACKENDS = ("sqlite", "mysql", "postgres")

_reachable: dict[str, str | None] = {}


def _server_url(backend: str) -> URL:
    return make_url(MYSQL_URL if backend == "mysql" else POSTGRES_URL)


def server_problem(backend: str) -> str | None:
    """None when the backend's server answers, else why not (cached per session)."""
    if backend == "sqlite":
        return None
    if backend not in _reachable:
        try:
            engine = create_engine(_server_url(backend), connect_args=_timeout(backend))
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _reachable[backend] = None
        except Exception as exc:
            _reachable[backend] = f"{backend} server not reachable: {type(exc).__name__}: {exc}"
    return _reachable[backend]


def _timeout(backend: str) -> dict[str, int]:
    return {"connect_timeout": 3}


def require_backend(backend: str) -> None:
    """Skip (or, in CI, fail) when the backend's server is not reachable."""
    problem = server_problem(backend)
    if problem is None:
        return
    if REQUIRE_SERVERS:
        pytest.fail(f"{problem} (DBTIER_REQUIRE_DB_SERVERS=1)")
    pytest.skip(problem)


def create_database(backend: str, tmp_path: Path) -> URL:
    """Create a fresh, uniquely named database and return its URL."""
    if backend == "sqlite":
        return make_url(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    require_backend(backend)
    name = f"dbtier_t_{uuid.uuid4().hex[:12]}"
    server = _server_url(backend)
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if backend == "mysql":
            conn.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
        else:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name)


def drop_database(url: URL) -> None:
    """Drop a database `create_database` made (SQLite files go with tmp_path)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return
    server = url.set(database="test")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if backend in ("mysql", "mariadb"):
            conn.execute(text(f"DROP DATABASE IF EXISTS `{url.database}`"))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on SQLite, MariaDB/MySQL and PostgreSQL."""
    name: str = request.param
    if name != "sqlite":
        require_backend(name)
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[URL]:
    """A fresh, empty database on the parametrized backend, dropped afterwards."""
    url = create_database(backend, tmp_path)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def second_database_url(backend: str, tmp_path: Path) -> Iterator[URL]:
    """Another fresh, empty database on the same backend (a restore target, say)."""
    folder = tmp_path / "second"
    folder.mkdir()
    url = create_database(backend, folder)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    """Each test leaves structlog's configuration as it found it."""
    saved = structlog.get_config()
    try:
        yield
    finally:
        structlog.configure(**saved)
