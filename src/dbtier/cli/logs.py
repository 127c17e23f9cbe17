"""`dbtier logs`: read the database's own logs.

    dbtier logs digest [FILE ...] [--rds-instance ID [--rds-log-file NAME ...]]
                       [--cloudwatch-log-group GROUP] [--since T] [--until T]
                       [--top N] [--sort total|count|avg|p95] [--format table|markdown|json]
                       [--jobs N]

Files may be plain or gzip, MySQL/MariaDB slow logs or PostgreSQL logs
(stderr, RDS prefix, csvlog), several at once. A large plain file is parsed by
one process per CPU (--jobs 1: one process). Bad flags exit 2; malformed
entries are counted and reported, never fatal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from dbtier.cli._common import command
from dbtier.errors import UsageError

app = typer.Typer(no_args_is_help=True)

_RELATIVE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SORTS = ("total", "count", "avg", "p95")


def parse_moment(option: str, value: str | None, now: datetime | None = None) -> float | None:
    """--since/--until: ISO 8601 (no zone means UTC) or an age like 90m, 6h, 2d; epoch seconds."""
    if value is None:
        return None
    relative = _RELATIVE.fullmatch(value.strip())
    if relative:
        age = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return ((now or datetime.now(UTC)) - age).timestamp()
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option}: {value!r} is neither an ISO 8601 time (2026-11-30T02:00:00Z) "
            "nor an age (90m, 6h, 2d)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _ms(epoch: float | None) -> int | None:
    return None if epoch is None else int(epoch * 1000)


@app.command("digest")
@command
def digest_command(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Slow logs or PostgreSQL logs (plain or gzip).")
    ] = None,
    rds_instance: Annotated[
        str | None, typer.Option("--rds-instance", help="Read this RDS instance's log files.")
    ] = None,
    rds_log_files: Annotated[
        list[str] | None,
        typer.Option("--rds-log-file", help="RDS log file name (repeatable; default: listed)."),
    ] = None,
    rds_log_filter: Annotated[
        str,
        typer.Option(
            "--rds-log-filter",
            help="Part of the RDS log file names to list: slowquery (MySQL/MariaDB) "
            "or postgresql.log (PostgreSQL).",
        ),
    ] = "slowquery",
    cloudwatch_log_group: Annotated[
        str | None,
        typer.Option(
            "--cloudwatch-log-group",
            help="Exported log group, e.g. /aws/rds/instance/ID/slowquery.",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this time (ISO 8601 or an age: 6h).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Before this time (ISO 8601 or an age).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Show the first N classes (0: all).")] = 20,
    sort: Annotated[str, typer.Option("--sort", help="total, count, avg or p95.")] = "total",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, markdown or json.")] = "table",
    input_format: Annotated[
        str,
        typer.Option("--input-format", help="auto, mysql-slow, postgres or postgres-csv."),
    ] = "auto",
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            help="Processes for one large plain file (0: one per CPU; 1: this one only).",
        ),
    ] = 0,
) -> None:
    """Group the statements of slow logs into query classes and rank them."""
    from dbtier.observe import sources as src
    from dbtier.observe.digest import top_classes
    from dbtier.observe.render import FORMATS, render
    from dbtier.observe.run import INPUT_FORMATS, digest_sources

    if sort not in SORTS:
        raise UsageError(f"--sort: {sort!r} is not one of {', '.join(SORTS)}")
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if input_format not in INPUT_FORMATS:
        raise UsageError(
            f"--input-format: {input_format!r} is not one of {', '.join(INPUT_FORMATS)}"
        )
    if top < 0:
        raise UsageError(f"--top: {top} is negative; give 0 for all classes")
    if jobs < 0:
        raise UsageError(f"--jobs: {jobs} is negative; give 0 for one process per CPU")
    start, end = parse_moment("--since", since), parse_moment("--until", until)
    if start is not None and end is not None and start >= end:
        raise UsageError(f"--since {since} is not before --until {until}")
    if rds_log_files and not rds_instance:
        raise UsageError("--rds-log-file needs --rds-instance")
    log_sources = [src.local_file(path) for path in files or []]
    if rds_instance or cloudwatch_log_group:
        from dbtier.config import load_settings

        region = load_settings().aws_region
        if rds_instance:
            client = src.aws_client("rds", region)
            log_sources += src.rds_sources(
                client, rds_instance, list(rds_log_files or []), rds_log_filter, _ms(start)
            )
        if cloudwatch_log_group:
            client = src.aws_client("logs", region)
            log_sources.append(
                src.cloudwatch_source(client, cloudwatch_log_group, _ms(start), _ms(end))
            )
    if not log_sources:
        raise UsageError("give log files, --rds-instance or --cloudwatch-log-group")
    digest = digest_sources(
        log_sources, input_format=input_format, since=start, until=end, jobs=jobs or None
    )
    text, summary = render(digest, top_classes(digest, sort, top or None), fmt)
    typer.echo(text, nl=False)
    for line in summary:
        typer.echo(line, err=True)


__all__ = ["app", "parse_moment"]
