"""Verified TLS (`DBTIER_DB_TLS=verify-full`) through dbtier's own engine, on throwaway
MariaDB and PostgreSQL servers whose certificate a CA of the test's own signed for the
address 127.0.0.1 only: the right CA connects over TLS; another CA, the RDS bundle (which
never signed this server) and a host name the certificate does not name are refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from tls_certs import TlsServer

from dbtier.config import Settings
from dbtier.db import make_engine

# What proves the session is encrypted, per engine.
IN_TLS = {
    "mysql": "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
    "WHERE VARIABLE_NAME = 'Ssl_cipher'",
    "postgres": "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
}
# The driver's words for a certificate no trusted CA signed, and for a name it does not carry.
UNTRUSTED = ("certificate verify failed",)
MISMATCH = ("hostname mismatch", "does not match host name", "doesn't match")
# MariaDB Connector/C's words (under mysqlclient) for a certificate no trusted CA signed.
MYSQLCLIENT_UNTRUSTED = (
    "self-signed certificate in certificate chain",
    "unable to get local issuer",
)


def url(server: TlsServer, host: str = "127.0.0.1") -> URL:
    driver = "mysql+pymysql" if server.backend == "mysql" else "postgresql+psycopg"
    base: URL = server.server.url(driver)
    return base.set(host=host, query={})


def cipher(server: TlsServer, database_url: URL, ca: Path | None) -> str:
    """Connect with dbtier's engine under verify-full; the session's TLS evidence."""
    settings = Settings(
        database_url=database_url.render_as_string(hide_password=False),
        db_tls="verify-full",
        db_tls_ca=ca,
    )
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text(IN_TLS[server.backend])).scalar_one())
    finally:
        engine.dispose()


def refused(server: TlsServer, database_url: URL, ca: Path | None, words: tuple[str, ...]) -> str:
    with pytest.raises(OperationalError) as caught:
        cipher(server, database_url, ca)
    message = str(caught.value.orig).lower()
    assert any(w in message for w in words), message
    return message


def test_the_right_ca_connects_over_verified_tls(tls_server: TlsServer) -> None:
    evidence = cipher(tls_server, url(tls_server), tls_server.files.ca)
    assert evidence not in ("", "false"), evidence  # a cipher name / ssl = true


def test_a_wrong_ca_is_refused(tls_server: TlsServer) -> None:
    refused(tls_server, url(tls_server), tls_server.files.wrong_ca, UNTRUSTED)


def test_the_shipped_rds_bundle_does_not_trust_another_ca(tls_server: TlsServer) -> None:
    # No DBTIER_DB_TLS_CA: the packaged RDS bundle is used, and it never signed this server.
    refused(tls_server, url(tls_server), None, UNTRUSTED)


def test_a_host_name_the_certificate_does_not_name_is_refused(tls_server: TlsServer) -> None:
    # `localhost` reaches the same server, but the certificate names only 127.0.0.1.
    refused(tls_server, url(tls_server, host="localhost"), tls_server.files.ca, MISMATCH)


def test_mysqlclient_connects_over_verified_tls_and_refuses_another_ca(
    tls_server: TlsServer,
) -> None:
    # mysqlclient (MariaDB Connector/C) gets ssl_mode=VERIFY_IDENTITY (dbtier.tls). The
    # host-name refusal is not shown here: to the C library "localhost" is the Unix socket,
    # and this server answers on 127.0.0.1 only.
    if tls_server.backend != "mysql":
        pytest.skip("mysqlclient is a MySQL/MariaDB driver")
    mysqlclient = url(tls_server).set(drivername="mysql+mysqldb")
    assert cipher(tls_server, mysqlclient, tls_server.files.ca)
    refused(tls_server, mysqlclient, tls_server.files.wrong_ca, MYSQLCLIENT_UNTRUSTED)
