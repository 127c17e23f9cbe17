"""`DBTIER_DB_TLS` and the shipped RDS CA bundle, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy.engine import make_url

from dbtier.config import Settings
from dbtier.db import engine_kwargs
from dbtier.errors import ConfigError
from dbtier.tls import RDS_CA_BUNDLE, tls_connect_args

MYSQL = make_url("mysql+pymysql://app@db.example.internal/nippo")
POSTGRES = make_url("postgresql+psycopg://app@db.example.internal/nippo")


def test_off_is_the_default_and_adds_nothing() -> None:
    settings = Settings()
    assert settings.db_tls == "off"
    mysql = engine_kwargs(MYSQL, settings)["connect_args"]
    postgres = engine_kwargs(POSTGRES, settings)["connect_args"]
    assert "ssl" not in mysql
    assert mysql["charset"] == "utf8mb4"
    assert not {"sslmode", "sslrootcert"} & set(postgres)


def test_verify_full_checks_the_ca_and_the_host_name_on_each_driver() -> None:
    settings = Settings(db_tls="verify-full")
    mysql = engine_kwargs(MYSQL, settings)["connect_args"]
    postgres = engine_kwargs(POSTGRES, settings)["connect_args"]
    assert mysql["ssl"] == {"ca": str(RDS_CA_BUNDLE), "check_hostname": True}
    assert mysql["charset"] == "utf8mb4"
    assert (postgres["sslmode"], postgres["sslrootcert"]) == ("verify-full", str(RDS_CA_BUNDLE))


def test_verify_full_under_mysqlclient_asks_the_c_library_to_verify_the_identity() -> None:
    settings = Settings(db_tls="verify-full")
    mysql = engine_kwargs(MYSQL.set(drivername="mysql+mysqldb"), settings)["connect_args"]
    assert mysql["ssl"] == {"ca": str(RDS_CA_BUNDLE)}
    assert mysql["ssl_mode"] == "VERIFY_IDENTITY"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBTIER_DB_TLS", "verify-full")
    monkeypatch.setenv("DBTIER_DB_TLS_CA", "/etc/ssl/rds.pem")
    settings = Settings()
    assert (settings.db_tls, settings.db_tls_ca) == ("verify-full", Path("/etc/ssl/rds.pem"))


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBTIER_DB_TLS", "require")
    with pytest.raises(ValueError, match="db_tls"):
        Settings()


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"DBTIER_DB_TLS_CA: .*nope\.pem"):
        tls_connect_args("postgresql", "verify-full", tmp_path / "nope.pem")


def test_sqlite_has_no_tls() -> None:
    with pytest.raises(ConfigError, match="sqlite"):
        tls_connect_args("sqlite", "verify-full")


def test_the_rds_bundle_ships_with_the_package_and_holds_the_stacks_ca() -> None:
    certificates = x509.load_pem_x509_certificates(RDS_CA_BUNDLE.read_bytes())
    names = {
        c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value for c in certificates
    }
    # The stack pins rds-ca-rsa2048-g1 (CaCertificate.RDS_CA_RSA2048_G1) in ap-northeast-1.
    for kind in ("RSA2048", "RSA4096", "ECC384"):
        assert f"Amazon RDS ap-northeast-1 Root CA {kind} G1" in names
    roots = [c for c in certificates if c.subject == c.issuer]
    assert len(roots) >= 3 * 25  # three G1 roots in every region
