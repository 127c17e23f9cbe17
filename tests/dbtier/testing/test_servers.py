"""Throwaway servers (dbtier.testing.servers): start, query, freeze/thaw, stop, kill, clean up."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from dbtier.testing.servers import (
    ServerError,
    ThrowawayMariaDB,
    ThrowawayPostgres,
    ThrowawayServer,
    free_port,
    require_available,
)

pytestmark = pytest.mark.slow

ENGINES: dict[str, type[ThrowawayServer]] = {
    "mariadb": ThrowawayMariaDB,
    "postgres": ThrowawayPostgres,
}
EXTRA = {"mariadb": ["max_connections=37"], "postgres": ["max_connections = 37"]}
# pymysql's connect_timeout does not cover the handshake read; read_timeout does.
PROBE_ARGS: dict[str, dict[str, int]] = {
    "mariadb": {"connect_timeout": 1, "read_timeout": 1},
    "postgres": {"connect_timeout": 1},
}
SHOW_MAX = {"mariadb": "SELECT @@max_connections", "postgres": "SHOW max_connections"}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_lifecycle_start_query_freeze_thaw_stop_kill(engine: str) -> None:
    cls = ENGINES[engine]
    require_available(cls)
    with cls(config=EXTRA[engine]) as server:
        assert server.port != 3306 and server.port != 5432
        assert server.pid is not None
        # Extra configuration lines are applied; the superuser answers over TCP and the socket.
        assert int(server.execute(SHOW_MAX[engine])[0][0]) == 37
        db = create_engine(server.url(), connect_args=PROBE_ARGS[engine])
        with db.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        db.dispose()

        # Frozen: TCP accepts, nothing answers (a connect with a 1 s timeout fails).
        probe = create_engine(server.url(), connect_args=PROBE_ARGS[engine])
        server.freeze()
        try:
            begun = time.monotonic()
            with pytest.raises(Exception), probe.connect():  # noqa: B017 - driver-specific
                pass
            assert time.monotonic() - begun < 10
        finally:
            server.thaw()
        probe.dispose()
        assert server.execute("SELECT 2") == [(2,)]

        # Stop, then start again on the same port and data; kill (a crash) and recover.
        port = server.port
        server.stop()
        assert not server.running
        server.start()
        assert server.port == port and server.execute("SELECT 3") == [(3,)]
        server.kill()
        assert server.pid is None
        server.start()
        assert server.execute("SELECT 4") == [(4,)]
        base, log = server.base, server.log_path
        assert log.exists()
    assert not base.exists()


def test_each_mariadb_has_a_tmpdir_of_its_own() -> None:
    # MariaDB deletes every `#sql*` file in its tmpdir when it starts: with /tmp shared, one
    # server's start removed another's temporary tables mid-bootstrap (seen in CI beside a
    # benchmark: "Error on delete of '/tmp/#sql-temptable-...MAI'").
    require_available(ThrowawayMariaDB)
    with ThrowawayMariaDB() as one, ThrowawayMariaDB() as two:
        dirs = {str(server.execute("SELECT @@tmpdir")[0][0]) for server in (one, two)}
        assert dirs == {str(one.tmpdir), str(two.tmpdir)}
        assert one.tmpdir.parent == one.base


def test_freeze_needs_a_running_server() -> None:
    require_available(ThrowawayPostgres)
    server = ThrowawayPostgres()
    try:
        with pytest.raises(ServerError, match="not running"):
            server.freeze()
    finally:
        server.destroy()
    assert not server.base.exists()


def test_free_port_is_not_a_shared_servers_port() -> None:
    assert free_port() not in (3306, 5432)
