"""Throwaway servers for the fault-injection suite: one per engine per worker, migrated.

The shared servers on 3306/5432 are never frozen or stopped: each engine gets
its own server (`dbtier.testing.servers`) on a free port, started once for all
of that engine's fault tests (they run in one xdist group, one after another).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dbtier.logs import configure_logging
from dbtier.testing.servers import (
    ThrowawayMariaDB,
    ThrowawayPostgres,
    ThrowawayServer,
    require_available,
)
from nippo.faultload import Target, prepare

# Each case: the server and the SQLAlchemy driver (None: the server's default, PyMySQL for
# MariaDB). mysqlclient runs the same faults: its timeouts must hold as PyMySQL's do.
ENGINES: dict[str, tuple[type[ThrowawayServer], str | None]] = {
    "mariadb": (ThrowawayMariaDB, None),
    "mariadb-mysqlclient": (ThrowawayMariaDB, "mariadb+mysqldb"),
    "postgres": (ThrowawayPostgres, None),
}


# One xdist group per case: a case's tests share its server on one worker.
ENGINE_PARAMS = [pytest.param(e, marks=pytest.mark.xdist_group(f"faults-{e}")) for e in ENGINES]


@pytest.fixture(scope="module", params=ENGINE_PARAMS, ids=list(ENGINES))
def case(request: pytest.FixtureRequest) -> str:
    """The engine case's name."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def server(case: str) -> Iterator[ThrowawayServer]:
    """A throwaway server of each engine, for the module's tests."""
    cls, _ = ENGINES[case]
    require_available(cls)
    with cls() as started:
        yield started


@pytest.fixture(scope="module")
def driver(case: str) -> str | None:
    """The case's SQLAlchemy driver (None: the server's default)."""
    return ENGINES[case][1]


@pytest.fixture(scope="module")
def target(server: ThrowawayServer, driver: str | None) -> Target:
    """nippo's database, migrated, with a learner, on the throwaway server."""
    return prepare(server, driver)


@pytest.fixture(autouse=True)
def _json_logs() -> None:
    configure_logging(json=True)
