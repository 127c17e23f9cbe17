"""A multi-user (alternating users) rotation of the app user under load loses no request.

nippo serves as the app user from its secret file with a pool that opens new
connections all the time (pool 1 + overflow 4, connections recycled every
second, six clients); meanwhile the master rotates the app user three times
(app → app_clone → app → app_clone):
the second rotation changes the password of the user the service logged in
with, so the service's next new connection is refused once, re-reads the
secret (`dbtier.db`) and goes on as the other user. Every response is counted.

MariaDB: the shared server (it checks passwords). PostgreSQL: a throwaway
server whose pg_hba asks for scram-sha-256 over TCP (the shared server trusts
127.0.0.1, so it would never refuse a stale password).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from dbusers_helpers import UsersDatabase
from sqlalchemy import create_engine

from dbtier.db import make_engine
from dbtier.dbusers import FileSink, rotate_secret
from dbtier.dbusers.grants import new_password
from dbtier.migrate import run_job
from dbtier.secrets import FileSource, resolve_database
from dbtier.testing.servers import ThrowawayPostgres, free_port, require_available
from dbtier.testing.unhurried import unhurried_settings

CLIENTS = 6
ROTATIONS = 3
START_TIMEOUT = 60.0  # guards for a loaded machine, not speed checks
PG_HBA = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"


@pytest.fixture
def scram_postgres(tmp_path: Path) -> Iterator[UsersDatabase]:
    """A throwaway PostgreSQL that checks passwords over TCP, with a database and user names."""
    require_available(ThrowawayPostgres)
    server = ThrowawayPostgres()
    try:
        server.initialize()
        (server.datadir / "pg_hba.conf").write_text(PG_HBA, encoding="utf-8")
        server.start()
        admin_password = new_password()
        server.execute(f"ALTER ROLE postgres PASSWORD '{admin_password}'")
        server.execute("CREATE DATABASE rotation")
        suffix = uuid.uuid4().hex[:8]
        yield UsersDatabase(
            backend="postgres",
            admin_url=server.url(password=admin_password, database="rotation"),
            migrator=f"dbt_mig_{suffix}",
            migrator_password=new_password(),
            app=f"dbt_app_{suffix}",
            tmp_path=tmp_path,
        )
    finally:
        server.destroy()


class Load:
    """CLIENTS threads requesting /readyz (a database round trip) until told to stop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: Counter[int | str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                try:
                    status: int | str = client.get(self.url).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with self._lock:
                    self.statuses[status] += 1

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def total(self) -> int:
        with self._lock:
            return sum(self.statuses.values())


def wait_for(predicate: object, what: str) -> None:
    give_up = time.monotonic() + START_TIMEOUT
    while time.monotonic() < give_up:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} within {START_TIMEOUT} s")


def phase_done(load: Load, seen: int, since: float) -> bool:
    """50 more requests, and long enough (2 s) for the pool to have logged in anew."""
    return load.total() >= seen + 50 and time.monotonic() >= since + 2.0


def rotate_under_load(db: UsersDatabase) -> None:
    from nippo.app import create_app

    db.bootstrap()
    assert run_job(db.job_settings()).status == "succeeded"
    # pool_recycle=1: pooled connections are replaced every second, so new logins
    # keep happening whatever the readiness check's own concurrency is.
    # The subject is credentials, not time: a starved machine must not turn the
    # readiness check's 1 s deadline into the 503s this test counts as lost requests.
    settings = unhurried_settings(
        db_secret_file=db.app_secret_file, pool_size=1, max_overflow=4, pool_recycle=1
    )
    resolved = resolve_database(settings)
    assert resolved.provider is not None
    engine = make_engine(settings, resolved=resolved)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine=engine), port=port, log_config=None)
    )
    serving = threading.Thread(target=server.run)
    serving.start()
    admin = create_engine(db.admin_url)
    try:
        wait_for(lambda: server.started, "the service did not start")
        with Load(f"http://127.0.0.1:{port}/readyz") as load:
            seen, since = 0, time.monotonic()
            for _ in range(ROTATIONS):
                wait_for(lambda s=seen, t=since: phase_done(load, s, t), "no load")
                with admin.connect() as conn:
                    source = FileSource(db.app_secret_file)
                    rotate_secret(conn, source, FileSink(db.app_secret_file))
                seen, since = load.total(), time.monotonic()
            wait_for(lambda s=seen, t=since: phase_done(load, s, t), "no load after rotating")
    finally:
        server.should_exit = True
        serving.join(timeout=60)
        engine.dispose()
        admin.dispose()
    print(  # the evidence, with -s
        f"{db.backend}: statuses {dict(load.statuses)} across {ROTATIONS} rotations; "
        f"secret read {resolved.provider.fetches} times"
    )
    assert dict(load.statuses) == {200: load.total()}, load.statuses
    assert load.total() >= (ROTATIONS + 1) * 50
    # The second rotation changed the password the service had cached: it re-read the secret.
    assert resolved.provider.fetches >= 2
    assert db.app_secret()["username"] == f"{db.app}_clone"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["mysql"])
def test_rotation_under_load_loses_no_request_on_mariadb(users_db: UsersDatabase) -> None:
    rotate_under_load(users_db)


@pytest.mark.slow
def test_rotation_under_load_loses_no_request_on_postgres(scram_postgres: UsersDatabase) -> None:
    rotate_under_load(scram_postgres)
