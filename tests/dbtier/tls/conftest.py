"""Throwaway MariaDB and PostgreSQL servers with TLS and a CA of the test's own (never the
shared servers): one of each per session, ended by PID when the session ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tls_certs import ServerTls, TlsServer, server_files

from dbtier.testing.servers import (
    ThrowawayMariaDB,
    ThrowawayPostgres,
    ThrowawayServer,
    require_available,
)


def _config(backend: str, files: ServerTls) -> list[str]:
    if backend == "mysql":
        return [f"ssl_cert={files.cert}", f"ssl_key={files.key}", f"ssl_ca={files.ca}"]
    return ["ssl = on", f"ssl_cert_file = '{files.cert}'", f"ssl_key_file = '{files.key}'"]


@pytest.fixture(scope="session", params=["mysql", "postgres"])
def tls_server(request: pytest.FixtureRequest) -> Iterator[TlsServer]:
    backend: str = request.param
    kind: type[ThrowawayServer] = ThrowawayMariaDB if backend == "mysql" else ThrowawayPostgres
    require_available(kind)
    server = kind()
    try:
        server.initialize()
        files = server_files(server.base / "tls", server.system_user)
        server.start(config=_config(backend, files))
        yield TlsServer(backend, server, files)
    finally:
        server.destroy()
