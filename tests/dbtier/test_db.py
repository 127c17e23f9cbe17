"""`dbtier.db`: engines per backend, and rotated credentials picked up without a restart.

The rotation tests run against the real servers. MariaDB checks passwords, so
its test rotates the password (Secrets Manager's single-user strategy). The
PostgreSQL here trusts every connection from 127.0.0.1 (pg_hba `trust`) and
never checks a password, so a password rotation would prove nothing there; its
test rotates the *user* instead (the alternating-users strategy), which the
server does refuse.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pymysql
import pytest
import structlog
from moto import mock_aws
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError

from dbtier.config import Settings
from dbtier.db import describe, engine_kwargs, is_auth_failure, make_engine, timeouts_from
from dbtier.secrets import resolve_database

REGION = "ap-northeast-1"
FIRST = "Rot8-first-pw!xq"
SECOND = "Rot8-second-pw!xq"
THIRD = "Rot8-third-pw!xq"
PASSWORDS = (FIRST, SECOND, THIRD)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("DBTIER_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


# The shared fixtures (tests/conftest.py) create and drop the database, and
# skip (or in CI fail) when the server does not answer.
on_mysql = pytest.mark.parametrize("backend", ["mysql"], indirect=True)
on_postgres = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def run(server: URL, *statements: str) -> None:
    """Statements as the server's admin user (root / postgres), outside a transaction."""
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def rds_secret(engine: str, url: URL, username: str, password: str) -> dict[str, Any]:
    return {
        "engine": engine,
        "host": url.host,
        "port": url.port,
        "username": username,
        "password": password,
        "dbname": url.database,
    }


class SecretStore:
    """Where the test keeps the secret.

    `file`: a local JSON file. `sm`: moto's Secrets Manager. `ecs`: as on
    Fargate, the secret's JSON injected into the environment at task start
    (never updated after) with Secrets Manager behind it for refreshes.
    """

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.path = tmp_path / "db-secret.json"
        self.name = f"nippo/db-{uuid.uuid4().hex[:8]}"
        self.client = boto3.client("secretsmanager", region_name=REGION) if kind != "file" else None
        self.injected: str | None = None

    def put(self, secret: dict[str, Any]) -> None:
        value = json.dumps(secret)
        if self.client is None:
            self.path.write_text(value, encoding="utf-8")
        elif self.injected is None:
            self.client.create_secret(Name=self.name, SecretString=value)
            self.injected = value
        else:
            self.client.put_secret_value(SecretId=self.name, SecretString=value)

    def settings(self, tmp_path: Path) -> Settings:
        if self.client is None:
            return Settings(data_dir=tmp_path, db_secret_file=self.path)
        injected = self.injected if self.kind == "ecs" else None
        return Settings(
            data_dir=tmp_path, db_secret_id=self.name, db_secret_json=injected, aws_region=REGION
        )


@pytest.fixture(
    params=["file", "sm", "ecs"], ids=["secret-file", "secrets-manager", "ecs-injected"]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecretStore]:
    with mock_aws():
        yield SecretStore(request.param, tmp_path)


@contextlib.contextmanager
def mysql_user(database: URL, password: str) -> Iterator[str]:
    name = f"dbtier_rot_{uuid.uuid4().hex[:8]}"
    account = f"'{name}'@'127.0.0.1'"
    run(
        database,
        f"CREATE USER {account} IDENTIFIED BY '{password}'",
        f"GRANT ALL PRIVILEGES ON `{database.database}`.* TO {account}",
    )
    try:
        yield name
    finally:
        run(database, f"DROP USER IF EXISTS {account}")


@contextlib.contextmanager
def watched_output(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], str]]:
    """Everything logged or printed inside the block, as one text."""
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        yield lambda: "\n".join(
            [json.dumps(events, default=str), caplog.text, *capsys.readouterr()]
        )


def current_user(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT CURRENT_USER")).scalar())


# --- rotation: MariaDB checks the password ------------------------------------------------


@on_mysql
def test_a_rotated_mysql_password_is_picked_up_with_one_refresh(
    store: SecretStore,
    database_url: URL,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mysql_user(database_url, FIRST) as user, watched_output(caplog, capsys) as output:
        store.put(rds_secret("mariadb", database_url, user, FIRST))
        settings = store.settings(tmp_path)
        resolved = resolve_database(settings)
        assert resolved.provider is not None
        engine = make_engine(settings, resolved=resolved)
        assert current_user(engine) == f"{user}@127.0.0.1"
        if store.kind == "ecs":
            assert resolved.provider.description == "secret injected in $DBTIER_DB_SECRET_JSON"

        # Secrets Manager rotates: the database first, then the secret.
        run(database_url, f"ALTER USER '{user}'@'127.0.0.1' IDENTIFIED BY '{SECOND}'")
        store.put(rds_secret("mariadb", database_url, user, SECOND))
        with pytest.raises(pymysql.err.OperationalError) as refused:  # the old one is dead
            pymysql.connect(host="127.0.0.1", user=user, password=FIRST)
        assert refused.value.args[0] == 1045
        engine.dispose()  # new connections from now on, as after a pool recycle

        assert current_user(engine) == f"{user}@127.0.0.1"
        assert resolved.provider.fetches == 2  # the first read and exactly one refresh
        refreshed_from = "secret file" if store.kind == "file" else "Secrets Manager secret"
        assert resolved.provider.description.startswith(refreshed_from)
        assert current_user(engine) == f"{user}@127.0.0.1"
        assert resolved.provider.fetches == 2  # cached again
        engine.dispose()

        logged = output()
    assert "re-reading the secret once" in logged
    assert user in logged
    for password in PASSWORDS:
        assert password not in logged


@on_mysql
def test_a_secret_left_stale_fails_after_one_refresh_without_showing_a_password(
    store: SecretStore,
    database_url: URL,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mysql_user(database_url, FIRST) as user, watched_output(caplog, capsys) as output:
        store.put(rds_secret("mysql", database_url, user, FIRST))
        settings = store.settings(tmp_path)
        resolved = resolve_database(settings)
        assert resolved.provider is not None
        engine = make_engine(settings, resolved=resolved)
        assert current_user(engine) == f"{user}@127.0.0.1"
        run(database_url, f"ALTER USER '{user}'@'127.0.0.1' IDENTIFIED BY '{THIRD}'")
        engine.dispose()

        with pytest.raises(OperationalError) as caught:
            current_user(engine)
        assert is_auth_failure(caught.value)
        assert resolved.provider.fetches == 2  # one refresh, no loop
        engine.dispose()
        logged = output()

    shown = f"{caught.value}\n{caught.value!r}\n{logged}"
    for password in PASSWORDS:
        assert password not in shown


# --- rotation: PostgreSQL (trust auth) refuses an unknown user -----------------------------


@on_postgres
def test_a_rotated_postgres_user_is_picked_up_with_one_refresh(
    database_url: URL,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suffix = uuid.uuid4().hex[:8]
    old, new = f"dbtier_rot_{suffix}", f"dbtier_rot_{suffix}_clone"
    store = SecretStore("file", tmp_path)
    try:
        with watched_output(caplog, capsys) as output:
            run(database_url, f"CREATE ROLE {old} LOGIN PASSWORD '{FIRST}'")
            store.put(rds_secret("postgres", database_url, old, FIRST))
            settings = store.settings(tmp_path)
            resolved = resolve_database(settings)
            assert resolved.provider is not None
            engine = make_engine(settings, resolved=resolved)
            assert current_user(engine) == old

            run(database_url, f"CREATE ROLE {new} LOGIN PASSWORD '{SECOND}'")
            store.put(rds_secret("postgres", database_url, new, SECOND))
            engine.dispose()
            run(database_url, f"DROP ROLE {old}")

            assert current_user(engine) == new
            assert resolved.provider.fetches == 2
            engine.dispose()
            logged = output()
    finally:
        run(database_url, f"DROP ROLE IF EXISTS {old}", f"DROP ROLE IF EXISTS {new}")
    assert "re-reading the secret once" in logged
    for password in PASSWORDS:
        assert password not in logged


# --- what counts as an authentication failure ------------------------------------------------


@on_mysql
def test_mysql_access_denied_is_an_auth_failure(database_url: URL) -> None:
    url = database_url.set(username=f"nobody_{uuid.uuid4().hex[:6]}", password=FIRST)
    engine = create_engine(url)
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    engine.dispose()
    assert is_auth_failure(caught.value)  # wrapped by SQLAlchemy
    assert caught.value.orig is not None
    assert is_auth_failure(caught.value.orig)  # and the driver's own
    assert FIRST not in str(caught.value)


@on_postgres
def test_postgres_unknown_role_is_an_auth_failure_and_unknown_database_is_not(
    database_url: URL,
) -> None:
    no_role = create_engine(database_url.set(username=f"nobody_{uuid.uuid4().hex[:6]}"))
    no_database = create_engine(database_url.set(database=f"nothing_{uuid.uuid4().hex[:6]}"))
    with pytest.raises(OperationalError) as role:
        no_role.connect()
    with pytest.raises(OperationalError) as database:
        no_database.connect()
    no_role.dispose()
    no_database.dispose()
    assert is_auth_failure(role.value)
    assert not is_auth_failure(database.value)


def test_network_errors_are_not_auth_failures() -> None:
    engine = create_engine("mysql+pymysql://u:p@127.0.0.1:1/x", connect_args={"connect_timeout": 2})
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    engine.dispose()
    assert not is_auth_failure(caught.value)
    assert not is_auth_failure(ConnectionRefusedError(111, "Connection refused"))
    assert not is_auth_failure(ValueError("1045"))


# --- engines ---------------------------------------------------------------------------------


def test_pool_sizes_come_from_settings_and_mysql_speaks_utf8mb4(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, pool_size=7, max_overflow=3, pool_timeout=4.5)
    kwargs = engine_kwargs(make_url("mysql+pymysql://u@h/db"), settings)

    assert (kwargs["pool_size"], kwargs["max_overflow"], kwargs["pool_timeout"]) == (7, 3, 4.5)
    assert kwargs["pool_pre_ping"] is True
    assert kwargs["connect_args"] == {
        "charset": "utf8mb4",
        "connect_timeout": 3.0,
        "read_timeout": 10.0,
        "write_timeout": 10.0,
    }
    assert "pool_size" not in engine_kwargs(make_url("sqlite:///x.db"), settings)


def test_mysqlclient_gets_whole_seconds_rounded_up(tmp_path: Path) -> None:
    # mysqlclient refuses a float (TypeError); 1.5 s must not become 1 s.
    settings = Settings(data_dir=tmp_path, connect_timeout=1.5, read_timeout=0.2)
    kwargs = engine_kwargs(make_url("mariadb+mysqldb://u@h/db"), settings)
    assert kwargs["connect_args"] == {
        "charset": "utf8mb4",
        "connect_timeout": 2,
        "read_timeout": 1,
        "write_timeout": 1,
    }


def test_mysqlclient_binds_by_name_so_a_value_used_twice_is_escaped_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert engine_kwargs(make_url("mariadb+mysqldb://u@h/db"), settings)["paramstyle"] == "pyformat"
    assert engine_kwargs(make_url("mysql+mysqldb://u@h/db"), settings)["paramstyle"] == "pyformat"
    # PyMySQL and psycopg keep their dialect's own style.
    assert "paramstyle" not in engine_kwargs(make_url("mysql+pymysql://u@h/db"), settings)
    assert "paramstyle" not in engine_kwargs(make_url("postgresql+psycopg://u@h/db"), settings)


def test_every_connection_has_timeouts_and_the_service_a_statement_timeout(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, connect_timeout=1.5, read_timeout=7)
    pg = engine_kwargs(make_url("postgresql+psycopg://u@h/db"), settings)["connect_args"]
    # libpq counts whole seconds and treats less than 2 as 2.
    assert pg["connect_timeout"] == 2
    assert pg["keepalives"] == 1 and pg["tcp_user_timeout"] == 7000
    assert "options" not in pg  # no statement timeout unless asked (the job, the CLI)
    service = timeouts_from(settings, statement=4)
    pg = engine_kwargs(make_url("postgresql+psycopg://u@h/db"), settings, timeouts=service)
    assert pg["connect_args"]["options"] == "-c statement_timeout=4000"


@on_mysql
def test_mysql_connections_use_utf8mb4(database_url: URL, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url.render_as_string(False))
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT @@character_set_client")).scalar() == "utf8mb4"
        assert conn.execute(text("SELECT '今日学んだこと 🍣'")).scalar() == "今日学んだこと 🍣"
    engine.dispose()


def test_the_sqlite_default_enforces_foreign_keys_and_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(Settings(data_dir=tmp_path))
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
    assert (tmp_path / "dbtier.sqlite3").exists()


def test_describe_masks_the_password() -> None:
    url = make_url(f"mysql+pymysql://app:{FIRST.replace('!', '')}@db:3306/nippo")
    assert describe(url) == "mysql+pymysql://app:***@db:3306/nippo"
