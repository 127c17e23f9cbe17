"""`dbtier running-total`: find and repair nippo's study-time running totals that drifted.

    dbtier running-total check  [--database-url URL] [--batch-size N] [--pace X] [--json]
    dbtier running-total repair [--database-url URL] [--batch-size N] [--pace X] [--json]

Reports written by code older than migration 0003 while 0003 had already run (the
deploy window) carry stale `reports.minutes_through`; run `repair` once after the
deploy (docs/service.md). Results go to stdout; progress to stderr (a rich bar on a
terminal, JSON log lines otherwise).

Exit codes: 0 consistent (check) / repaired and checked clean (repair); 1 the check
found drift, or learners still drift after the repair (code older than 0003 still
writing?); 2 usage errors (bad flag, schema before 0003); 3 the database cannot be reached.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.errors import DatabaseUnreachable, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from dbtier.config import Settings
    from nippo.service.running_total_repair import Check, Drift, Progress

FORMATS = ("text", "json")
app = typer.Typer(
    no_args_is_help=True,
    help="Check and repair nippo's study-time running totals (reports.minutes_through).",
)

BatchOption = Annotated[
    int,
    typer.Option("--batch-size", min=1, max=10_000, help="Users per statement (one keyset page)."),
]
PaceOption = Annotated[
    float,
    typer.Option(
        "--pace",
        min=0,
        max=100,
        help="Pause after each batch (or learner) this many times as long as it took; 0: no pause.",
    ),
]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="text or json (the result on stdout).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Same as --format json.")]


def _format(fmt: str, as_json: bool) -> str:
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def _engine(settings: Settings) -> Engine:
    """An engine whose statements may run as long as the migration job's, checked to reach
    a schema that has the running total."""
    from sqlalchemy.exc import OperationalError

    from dbtier.db import describe, make_engine
    from dbtier.db_timeouts import Timeouts
    from dbtier.secrets import resolve_database
    from nippo.service.running_total_repair import has_running_total

    resolved = resolve_database(settings)
    long = settings.statement_timeout
    timeouts = Timeouts(connect=settings.connect_timeout, read=long, statement=long)
    engine = make_engine(settings, resolved=resolved, timeouts=timeouts)
    try:
        with engine.connect() as connection:
            ready = has_running_total(connection)
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseUnreachable(f"{describe(resolved.url)}: {exc.orig}") from None
    if not ready:
        engine.dispose()
        raise UsageError(
            f"{describe(resolved.url)} has no reports.minutes_through: the running total "
            "comes with nippo's migration 0003; run `dbtier migrate run` first"
        )
    return engine


def _check(engine: Engine, batch_size: int, pace: float) -> Check:
    """`find_drift` with its progress on stderr."""
    from dbtier.progress import Reporter
    from nippo.service.running_total_repair import find_drift

    def on_batch(progress: Progress) -> None:
        reporter.update(completed=progress.users_checked, total=progress.users_total)
        reporter.log(
            "batch checked",
            completed=progress.users_checked,
            total=progress.users_total,
            drifted=progress.drifted,
            batches=progress.batches,
            seconds=round(progress.seconds, 3),
        )

    with Reporter("check", unit="users", component="running-total", command="check") as reporter:
        return find_drift(engine, batch_size=batch_size, pace=pace, on_batch=on_batch)


def _drift_line(drift: Drift) -> str:
    since = f" since {drift.first_wrong.isoformat()}" if drift.first_wrong else ""
    return (
        f"learner {drift.learner_id}: difference {drift.difference:+d} min "
        f"(stored total {drift.stored_total}, SUM {drift.sum_total}); "
        f"{drift.wrong} of {drift.reports} reports wrong{since}"
    )


@app.command("check")
@command
def check_command(
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    batch_size: BatchOption = 200,
    pace: PaceOption = 1.0,
    fmt: FormatOption = "text",
    as_json: JsonOption = False,
) -> None:
    """Which learners' stored running totals disagree with the plain SUM (reads only).

    Exit 0 when every learner is consistent, 1 when some drifted (each printed
    with the difference of their all-time total), 2 usage, 3 unreachable.
    """
    fmt = _format(fmt, as_json)
    engine = _engine(settings_from(database_url, data_dir))
    try:
        result = _check(engine, batch_size, pace)
    finally:
        engine.dispose()
    if fmt == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for drift in result.drifted:
            typer.echo(_drift_line(drift))
        verdict = (
            "consistent"
            if result.consistent
            else f"{len(result.drifted)} learner(s) drifted: run `dbtier running-total repair`"
        )
        typer.echo(
            f"running totals: {result.users_checked} user(s) checked in "
            f"{result.seconds:.1f} s; {verdict}",
            err=True,
        )
    if not result.consistent:
        raise typer.Exit(1)


@app.command("repair")
@command
def repair_command(
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    batch_size: BatchOption = 200,
    pace: PaceOption = 1.0,
    fmt: FormatOption = "text",
    as_json: JsonOption = False,
) -> None:
    """Rebuild exactly the learners the check finds, then check them again.

    Each learner is rebuilt under the learner lock the service's writes take and
    committed on its own: safe while the service writes; running it again does nothing.
    Exit 0 when the repaired learners check clean, 1 when some still drift (code older
    than migration 0003 still writing?), 2 usage, 3 unreachable.
    """
    from dbtier.progress import Reporter
    from nippo.service.running_total_repair import repair

    fmt = _format(fmt, as_json)
    engine = _engine(settings_from(database_url, data_dir))
    try:
        found = _check(engine, batch_size, pace)
        ids = [d.learner_id for d in found.drifted]
        fixer = Reporter(
            "repair", total=len(ids), unit="learners", component="running-total", command="repair"
        )

        def on_learner(learner_id: int, changed: int) -> None:
            fixer.advance()
            fixer.log(
                "learner rebuilt",
                completed=fixer.completed,
                total=len(ids),
                learner_id=learner_id,
                reports=changed,
            )

        with fixer:
            result = repair(engine, ids, pace=pace, batch_size=batch_size, on_learner=on_learner)
    finally:
        engine.dispose()
    if fmt == "json":
        typer.echo(json.dumps({"check": found.as_dict(), "repair": result.as_dict()}, indent=2))
    else:
        before = {d.learner_id: d for d in found.drifted}
        for learner_id, changed in result.changed.items():
            typer.echo(
                f"learner {learner_id}: {changed} report(s) rewritten "
                f"(total was off by {before[learner_id].difference:+d} min)"
            )
        for drift in result.still_drifted:
            typer.echo(f"still drifting: {_drift_line(drift)}")
        typer.echo(
            f"running totals: {found.users_checked} user(s) checked, "
            f"{len(result.changed)} learner(s) repaired, "
            f"{sum(result.changed.values())} report(s) rewritten; "
            + ("consistent" if result.repaired else f"{len(result.still_drifted)} still drift"),
            err=True,
        )
    if not result.repaired:
        raise typer.Exit(1)


__all__ = ["app"]
