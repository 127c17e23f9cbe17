"""`dbtier.secrets`: where the database credentials come from, validated, cached, never shown.

Secrets Manager is moto's, in ap-northeast-1 (the seed's Tokyo region).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dbtier.config import Settings
from dbtier.errors import ConfigError, UsageError
from dbtier.secrets import (
    CredentialsProvider,
    DatabaseCredentials,
    EnvSource,
    FileSource,
    SecretsManagerSource,
    resolve_database,
)

REGION = "ap-northeast-1"
PASSWORD = "Pw-9f3kQz!unmistakable"  # recognisable: no message may contain it
SECRET = {
    "engine": "mysql",
    "host": "db.example.internal",
    "port": 3306,
    "username": "nippo_app",
    "password": PASSWORD,
    "dbname": "nippo",
}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DBTIER_ setting or real AWS credential from the machine leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith(("DBTIER_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def secretsmanager() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def secret_with(**changes: Any) -> dict[str, Any]:
    return {**SECRET, **changes}


def write_secret(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def count_fetches(client: Any) -> list[str]:
    """GetSecretValue calls made through a boto3 client, as they happen."""
    calls: list[str] = []
    client.meta.events.register(
        "before-parameter-build.secretsmanager.GetSecretValue",
        lambda params, **_: calls.append(params["SecretId"]),
    )
    return calls


# --- resolution order -------------------------------------------------------------


def test_an_explicit_url_wins_over_every_secret(tmp_path: Path, secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(SECRET))
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://u@127.0.0.1:5432/explicit",
        db_secret_json=json.dumps(SECRET),
        db_secret_id="nippo/db",
        db_secret_file=write_secret(tmp_path / "s.json", SECRET),
    )
    resolved = resolve_database(settings, secrets_client=secretsmanager)

    assert resolved.url.database == "explicit"
    assert resolved.provider is None


def test_injected_json_wins_over_secrets_manager_and_the_file(
    tmp_path: Path, secretsmanager: Any
) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(secret_with(host="sm")))
    calls = count_fetches(secretsmanager)
    settings = Settings(
        data_dir=tmp_path,
        db_secret_json=json.dumps(secret_with(host="env")),
        db_secret_id="nippo/db",
        db_secret_file=write_secret(tmp_path / "s.json", secret_with(host="file")),
    )
    resolved = resolve_database(settings, secrets_client=secretsmanager)

    assert resolved.url.host == "env"
    assert calls == []  # the injected copy is used as is: no call to AWS at start


def test_secrets_manager_wins_over_the_file(tmp_path: Path, secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(secret_with(host="sm")))
    settings = Settings(
        data_dir=tmp_path,
        db_secret_id="nippo/db",
        db_secret_file=write_secret(tmp_path / "s.json", secret_with(host="file")),
    )
    assert resolve_database(settings, secrets_client=secretsmanager).url.host == "sm"


def test_the_file_is_used_when_it_is_the_only_secret(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, db_secret_file=write_secret(tmp_path / "s.json", SECRET))
    resolved = resolve_database(settings)

    url = resolved.url
    assert (url.drivername, url.username, url.password, url.host, url.port, url.database) == (
        "mysql+mysqldb",
        "nippo_app",
        PASSWORD,
        "db.example.internal",
        3306,
        "nippo",
    )
    assert resolved.provider is not None


def test_sqlite_under_the_data_dir_is_the_default(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / ".dbtier"
    resolved = resolve_database(Settings(data_dir=data_dir))

    assert resolved.url.get_backend_name() == "sqlite"
    assert resolved.url.database == str((data_dir / "dbtier.sqlite3").resolve())
    assert data_dir.is_dir()
    assert resolved.provider is None


def test_settings_come_from_dbtier_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBTIER_DB_SECRET_JSON", json.dumps(secret_with(host="from-env")))
    monkeypatch.setenv("DBTIER_DATA_DIR", str(tmp_path))
    assert resolve_database(Settings()).url.host == "from-env"


# --- Secrets Manager ---------------------------------------------------------------


def test_a_secret_is_found_by_name_and_by_arn(secretsmanager: Any) -> None:
    arn = secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(SECRET))["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:{REGION}:")

    for secret_id in ("nippo/db", arn):
        creds = CredentialsProvider(
            SecretsManagerSource(secret_id, region=REGION, client=secretsmanager)
        ).get()
        assert (creds.host, creds.username, creds.password) == (
            "db.example.internal",
            "nippo_app",
            PASSWORD,
        )


def test_the_source_makes_its_own_client_in_the_region(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(SECRET))
    source = SecretsManagerSource("nippo/db", region=REGION)
    assert source.fetch() == SECRET


def test_a_missing_secret_names_the_secret_and_the_region(secretsmanager: Any) -> None:
    source = SecretsManagerSource("nippo/missing", region=REGION, client=secretsmanager)
    with pytest.raises(ConfigError) as caught:
        CredentialsProvider(source).get()
    message = str(caught.value)
    assert "'nippo/missing'" in message
    assert REGION in message
    assert "ResourceNotFoundException" in message
    assert caught.value.exit_code == 2


def test_a_binary_secret_is_refused_clearly(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/bin", SecretBinary=b"\x00\x01")
    source = SecretsManagerSource("nippo/bin", region=REGION, client=secretsmanager)
    with pytest.raises(ConfigError, match="holds no SecretString"):
        source.fetch()


# --- the RDS secret shape -------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "drivername", "port"),
    [
        ("mysql", "mysql+mysqldb", 3306),
        ("mariadb", "mysql+mysqldb", 3306),
        ("aurora-mysql", "mysql+mysqldb", 3306),
        ("postgres", "postgresql+psycopg", 5432),
        ("aurora-postgresql", "postgresql+psycopg", 5432),
        ("MySQL", "mysql+mysqldb", 3306),
    ],
)
def test_rds_engines_map_to_drivers_and_default_ports(
    engine: str, drivername: str, port: int
) -> None:
    data = {k: v for k, v in secret_with(engine=engine).items() if k != "port"}
    url = DatabaseCredentials.from_secret(data, where="test").url()
    assert (url.drivername, url.port) == (drivername, port)


def test_dbname_may_be_absent_and_given_by_settings(tmp_path: Path) -> None:
    data = {k: v for k, v in SECRET.items() if k != "dbname"}
    assert DatabaseCredentials.from_secret(data, where="test").url().database is None
    settings = Settings(
        data_dir=tmp_path, db_secret_file=write_secret(tmp_path / "s.json", data), db_name="x"
    )
    assert resolve_database(settings).url.database == "x"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (["not", "an", "object"], "must be a JSON object in the RDS shape"),
        ({"engine": "mysql", "host": "h"}, "lacks username, password"),
        (secret_with(password=""), "lacks password"),
        (secret_with(engine="oracle-ee"), "engine 'oracle-ee' is not one of"),
        (secret_with(port="three"), "port must be an integer"),
        (secret_with(port=70000), "port 70000 is not between 1 and 65535"),
    ],
)
def test_a_malformed_secret_is_refused_naming_the_source_and_the_field(
    data: Any, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        DatabaseCredentials.from_secret(data, where="secret file /etc/db.json")
    message = str(caught.value)
    assert message.startswith("secret file /etc/db.json: ")
    assert problem in message
    assert PASSWORD not in message
    assert isinstance(caught.value, UsageError)


def test_a_secret_file_that_is_not_json_names_the_position_not_the_text(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"engine": "mysql", "password": "' + PASSWORD + '" oops}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        FileSource(path).fetch()
    assert str(caught.value).startswith(f"secret file {path}: not valid JSON (line 1, column")
    assert PASSWORD not in str(caught.value)


def test_a_missing_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"secret file .*nope\.json: No such file"):
        FileSource(tmp_path / "nope.json").fetch()


def test_injected_json_that_does_not_parse_names_the_variable() -> None:
    source = EnvSource("DBTIER_DB_SECRET_JSON", '{"password": "' + PASSWORD + '"')
    with pytest.raises(ConfigError) as caught:
        source.fetch()
    assert "$DBTIER_DB_SECRET_JSON" in str(caught.value)
    assert PASSWORD not in str(caught.value)


# --- caching and refresh ----------------------------------------------------------------


def test_credentials_are_fetched_once_for_many_calls(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(SECRET))
    calls = count_fetches(secretsmanager)
    provider = CredentialsProvider(
        SecretsManagerSource("nippo/db", region=REGION, client=secretsmanager)
    )
    urls = {provider.url().render_as_string(hide_password=False) for _ in range(50)}

    assert len(urls) == 1
    assert calls == ["nippo/db"]
    assert provider.fetches == 1


def test_refresh_reads_a_rotated_secret(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(SECRET))
    provider = CredentialsProvider(
        SecretsManagerSource("nippo/db", region=REGION, client=secretsmanager)
    )
    before = provider.get()
    secretsmanager.put_secret_value(
        SecretId="nippo/db", SecretString=json.dumps(secret_with(password="rotated"))
    )

    assert provider.get() is before  # cached until told otherwise
    assert provider.refresh(stale=before).password == "rotated"
    assert provider.get().password == "rotated"
    assert provider.fetches == 2


def test_threads_refused_together_share_one_refresh(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name="nippo/db", SecretString=json.dumps(SECRET))
    calls = count_fetches(secretsmanager)
    provider = CredentialsProvider(
        SecretsManagerSource("nippo/db", region=REGION, client=secretsmanager)
    )
    stale = provider.get()
    secretsmanager.put_secret_value(
        SecretId="nippo/db", SecretString=json.dumps(secret_with(password="rotated"))
    )
    results: list[DatabaseCredentials] = []
    threads = [
        threading.Thread(target=lambda: results.append(provider.refresh(stale=stale)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {r.password for r in results} == {"rotated"}
    assert len(calls) == 2  # the first read, and one refresh for all eight
    assert provider.refresh().password == "rotated"  # without `stale`, always re-reads
    assert len(calls) == 3


def test_a_refresh_after_an_injected_secret_reads_secrets_manager(
    tmp_path: Path, secretsmanager: Any
) -> None:
    """ECS injects the secret once at task start; after a rotation the task asks AWS itself."""
    secretsmanager.create_secret(
        Name="nippo/db", SecretString=json.dumps(secret_with(password="rotated"))
    )
    settings = Settings(
        data_dir=tmp_path, db_secret_json=json.dumps(SECRET), db_secret_id="nippo/db"
    )
    provider = resolve_database(settings, secrets_client=secretsmanager).provider
    assert provider is not None
    assert provider.get().password == PASSWORD
    assert provider.description == "secret injected in $DBTIER_DB_SECRET_JSON"

    assert provider.refresh(stale=provider.get()).password == "rotated"
    assert provider.description == f"Secrets Manager secret 'nippo/db' in {REGION}"


def test_a_refresh_of_a_file_secret_rereads_the_file(tmp_path: Path) -> None:
    path = write_secret(tmp_path / "s.json", SECRET)
    provider = CredentialsProvider(FileSource(path))
    stale = provider.get()
    write_secret(path, secret_with(password="rotated"))
    assert provider.refresh(stale=stale).password == "rotated"


# --- the password stays hidden ------------------------------------------------------------


def test_the_password_appears_in_no_repr_str_or_url_text(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        db_secret_json=json.dumps(SECRET),
    )
    resolved = resolve_database(settings)
    creds = DatabaseCredentials.from_secret(SECRET, where="test")
    shown = [
        repr(creds),
        str(creds),
        str(creds.url()),
        repr(creds.url()),
        repr(resolved),
        str(resolved.url),
        repr(settings),
        str(settings),
    ]
    for text in shown:
        assert PASSWORD not in text, text
    assert "***" in str(resolved.url)
    assert resolved.url.password == PASSWORD  # still there for the driver


def test_an_invalid_explicit_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"not a url :{PASSWORD}@")
    with pytest.raises(ConfigError) as caught:
        resolve_database(settings)
    assert "--database-url" in str(caught.value)
    assert PASSWORD not in str(caught.value)
