"""The service under database faults, served by a real uvicorn under steady load.

Each fault runs once per engine on a throwaway server: freeze 10 s (SIGSTOP),
stop and start, killed connections, an exhausted pool. What the clients saw
must be: no 500 and no request left without an answer; every answer (200 or
503) within the request timeout + 1 s (plus an allowance for this shared,
loaded machine); /readyz 503 while the database is down and 200 again within
2 s; the first request sent after the fault answered 200 within 2 s; no
traceback in the service's log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nippo.faultload import NO_ANSWER, TEST_SETTINGS, Run, Scenario, Target, run

pytestmark = [pytest.mark.faults, pytest.mark.slow]

REQUEST_TIMEOUT = float(TEST_SETTINGS["request_timeout"])  # type: ignore[arg-type]
# The machine the suite runs on is shared (2 cores, several suites at once); a
# thread may wait its turn this long on top of the bounds the service keeps.
LOAD_ALLOWANCE_S = 1.0
RECOVERY_S = 2.0


def _answered(result: Run) -> None:
    statuses = result.statuses
    assert statuses[500] == 0, statuses
    assert statuses[NO_ANSWER] == 0, statuses
    assert set(statuses) <= {200, 503}, statuses


def _answered_in_time(result: Run) -> None:
    _answered(result)
    bound = REQUEST_TIMEOUT + 1.0 + LOAD_ALLOWANCE_S
    assert result.max_latency <= bound, (result.max_latency, bound)


def _recovered(result: Run) -> None:
    assert result.first_200_after is not None and result.first_200_after <= RECOVERY_S, result
    assert result.ready_after is not None and result.ready_after <= RECOVERY_S, result


def _no_traceback(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]


@pytest.mark.parametrize(
    "scenario",
    [Scenario("freeze", 10.0), Scenario("stop_start", 3.0), Scenario("kill_connections", 3.0)],
    ids=lambda s: s.fault,
)
def test_fault_under_load_gives_503_not_500_and_recovers(
    target: Target, scenario: Scenario, tmp_path: Path
) -> None:
    log = tmp_path / "service.log"
    result = run(target, scenario, log)
    _answered_in_time(result)
    _recovered(result)
    _no_traceback(log)
    if scenario.fault != "kill_connections":
        assert result.statuses[503] > 0
        during = result.readyz_during
        assert during and set(during) == {503}, during


def test_pool_exhaustion_gives_503_without_tracebacks(target: Target, tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    scenario = Scenario(
        "pool_exhaustion",
        4.0,
        workers=32,
        pause=0.0,
        settings={"pool_size": 1, "max_overflow": 0},
    )
    result = run(target, scenario, log)
    # 32 client threads without a pause share this process's GIL with each other: their
    # latencies say more about the client than the service, so only the answers count here
    # (bench/faults prints the latencies).
    _answered(result)
    assert result.statuses[503] > 0 and result.statuses[200] > 0
    _no_traceback(log)
    assert '"status": 503' in log.read_text()  # one JSON line per refused request
