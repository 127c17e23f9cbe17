"""`uv run python -m bench.faults [--engines mariadb,postgres] [--freeze S]`.

Starts a throwaway server per engine (`dbtier.testing.servers`, free ports,
never the shared 3306/5432), serves nippo on a real uvicorn under steady load
(`nippo.faultload`) and injects each fault once: none (the baseline, same
run), a freeze (SIGSTOP/SIGCONT), a stop and start, killed connections, an
exhausted pool. It prints, per engine and fault: statuses counted, the
slowest answer and its ratio to the bound (request timeout + 1 s), /readyz
statuses while the database was down, and how long after the fault /readyz
and the first request answered 200 again. Service logs go under a temporary
directory (printed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dbtier.logs import configure_logging
from dbtier.testing.servers import ThrowawayMariaDB, ThrowawayPostgres, ThrowawayServer
from nippo.faultload import NO_ANSWER, TEST_SETTINGS, Run, Scenario, run, throwaway

ENGINES: dict[str, type[ThrowawayServer]] = {
    "mariadb": ThrowawayMariaDB,
    "postgres": ThrowawayPostgres,
}


def scenarios(freeze_s: float) -> list[Scenario]:
    """The faults, in order (the baseline first)."""
    return [
        Scenario("baseline", 5.0),
        Scenario("freeze", freeze_s),
        Scenario("stop_start", 3.0),
        Scenario("kill_connections", 3.0),
        Scenario(
            "pool_exhaustion",
            5.0,
            workers=32,
            pause=0.0,
            settings={"pool_size": 1, "max_overflow": 0},
        ),
    ]


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _statuses(result: Run) -> str:
    names = {NO_ANSWER: "no answer"}
    return ", ".join(
        f"{names.get(status, status)}×{count}" for status, count in sorted(result.statuses.items())
    )


def table(results: list[Run]) -> Table:
    """The figures table: one row per engine and fault."""
    bound = float(TEST_SETTINGS["request_timeout"]) + 1.0  # type: ignore[arg-type]
    out = Table(title=f"nippo under database faults (bound: request timeout + 1 s = {bound:g}s)")
    for column in (
        "engine",
        "fault",
        "statuses",
        "max latency s",
        "÷ bound",
        "/readyz while down",
        "/readyz 200 after s",
        "first 200 after s",
    ):
        out.add_column(column)
    for result in results:
        during = ", ".join(f"{k}×{v}" for k, v in sorted(result.readyz_during.items())) or "—"
        out.add_row(
            result.engine,
            result.fault,
            _statuses(result),
            f"{result.max_latency:.2f}",
            f"{result.max_latency / bound:.2f}",
            during,
            _seconds(result.ready_after),
            _seconds(result.first_200_after),
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--engines", default="mariadb,postgres")
    parser.add_argument("--freeze", type=float, default=10.0, help="Seconds frozen [10].")
    options = parser.parse_args(argv)
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    # Piped into a file or a CI log, the table keeps every column whole.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    logs = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    configure_logging("ERROR", json=True)
    results: list[Run] = []
    for engine in engines:
        problem = ENGINES[engine].available()
        if problem:
            console.print(f"[yellow]skipping {engine}: {problem}")
            continue
        with throwaway(ENGINES[engine]()) as target:
            for scenario in scenarios(options.freeze):
                with console.status(f"{engine}: {scenario.fault}"):
                    result = run(target, scenario, logs / f"{engine}-{scenario.fault}.log")
                results.append(result)
                console.print(f"{engine}: {scenario.fault} done")
    console.print(table(results))
    console.print(f"service logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
