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

ENGINES: dict[str, type[ThrowawayServer]] = {
    "mariadb": ThrowawayMariaDB,
    "postgres": ThrowawayPostgres,
}


# One xdist group per engine: an engine's tests share its server on one worker.
ENGINE_PARAMS = [pytest.param(e, marks=pytest.mark.xdist_group(f"faults-{e}")) for e in ENGINES]


@pytest.fixture(scope="module", params=ENGINE_PARAMS, ids=list(ENGINES))
def server(request: pytest.FixtureRequest) -> Iterator[ThrowawayServer]:
    """A throwaway server of each engine, for the module's tests."""
    cls = ENGINES[request.param]
    require_available(cls)
    with cls() as started:
        yield started


@pytest.fixture(scope="module")
def target(server: ThrowawayServer) -> Target:
    """nippo's database, migrated, with a learner, on the throwaway server."""
    return prepare(server)


@pytest.fixture(autouse=True)
def _json_logs() -> None:
    configure_logging(json=True)
