"""`dbtier schedule`: next fire times of an expression, and the local scheduler loop."""

from __future__ import annotations

import json
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Annotated

import typer

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.errors import UsageError

app = typer.Typer(no_args_is_help=True)

TimezoneOption = Annotated[
    str,
    typer.Option(
        "--timezone",
        "--tz",
        envvar="DBTIER_SCHEDULE_TIMEZONE",
        help="IANA time zone the expression is evaluated in.",
    ),
]


def _parse_after(text: str | None) -> datetime:
    from dbtier.schedule.schedule import now_utc

    if text is None:
        return now_utc()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--after '{text}' is not an ISO 8601 date-time; write e.g. 2026-03-08T01:00 "
            "(read in --timezone) or 2026-03-08T01:00:00+09:00"
        ) from None


@app.command("next")
@command
def next_times(
    expression: Annotated[
        str, typer.Argument(help="cron(...), rate(...) or at(...), as EventBridge Scheduler takes.")
    ],
    timezone: TimezoneOption = "Asia/Tokyo",
    after: Annotated[
        str | None,
        typer.Option(
            help="ISO 8601 start; without an offset it is read in --timezone [default: now]"
        ),
    ] = None,
    count: Annotated[int, typer.Option("-n", "--count", min=1, max=10000, help="How many.")] = 5,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Print the next fire times, ISO 8601 with the zone's offset; exit 2 if invalid."""
    from dbtier.schedule import Schedule

    schedule = Schedule(expression, timezone)
    times = [t.isoformat() for t in schedule.next_fire_times(_parse_after(after), count)]
    if json_output:
        typer.echo(json.dumps(times))
        return
    for text in times:
        typer.echo(text)
    if len(times) < count:
        typer.echo(f"({len(times)} of {count}: the schedule has no more fire times)", err=True)


@app.command("run")
@command
def run(
    schedule_expression: Annotated[
        str,
        typer.Option(
            "--schedule",
            envvar="DBTIER_MIGRATION_SCHEDULE",
            help="Expression to fire on: cron(...), rate(...) or at(...).",
        ),
    ] = "rate(5 minutes)",
    timezone: TimezoneOption = "Asia/Tokyo",
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    schedule_name: Annotated[
        str, typer.Option(help="Name the launcher derives its idempotency token from.")
    ] = "dbtier-migrations",
    fire_immediately: Annotated[
        bool, typer.Option(help="Fire once at start, then on the schedule.")
    ] = False,
    max_fires: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many fires [default: never].")
    ] = None,
) -> None:
    """Run the scheduler loop here: at each fire time, launch the migration job locally."""
    from dbtier.schedule import Schedule, run_scheduler

    schedule = Schedule(schedule_expression, timezone)
    settings = settings_from(database_url, data_dir)
    # Imported here: the launcher pulls in the job runner, which `schedule next` never needs.
    from dbtier.launch.local import launch_locally
    from dbtier.logs import get_logger

    log = get_logger("scheduler")
    stop = threading.Event()
    fired = 0

    def fire(scheduled_time: datetime) -> None:
        nonlocal fired
        try:
            outcome = launch_locally(
                schedule_name=schedule_name,
                scheduled_time=scheduled_time,
                execution_id=str(uuid.uuid4()),
                settings=settings,
            )
            log.info(
                "scheduler.fired",
                scheduled_time=scheduled_time.isoformat(),
                status=outcome.status,
                exit_code=outcome.exit_code,
                trigger_id=outcome.trigger_id,
                execution_id=outcome.execution_id,
            )
        finally:
            fired += 1
            if max_fires is not None and fired >= max_fires:
                stop.set()

    with _stop_on_signals(stop):
        run_scheduler(schedule, fire, stop=stop, fire_immediately=fire_immediately)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (the running job finishes first); handlers restored after."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["app"]
