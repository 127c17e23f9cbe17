"""`dbtier review`: one design document for the seed's database-design lifecycle.

    dbtier review [--profile P] [--database-url URL] [--template DIR|FILE]
                  [--slow-log FILE ...] [--backup-dir DIR] [--out DIR] [--name NAME]
                  [--title T] [--fail-on fail|warn|never]

Writes NAME.md and NAME.html into --out. Exit 1 when an item is at or past
--fail-on (default: fail), 2 for bad flags or inputs, 3 when the database
cannot be reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from dbtier.cli._common import DatabaseUrlOption, DataDirOption, command, settings_from
from dbtier.errors import DatabaseUnreachable, UsageError

app = typer.Typer()

FAIL_ON = ("fail", "warn", "never")


@app.callback(invoke_without_command=True)
@command
def review_command(
    profile: Annotated[Path | None, typer.Option(help="Workload profile (YAML).")] = None,
    database_url: DatabaseUrlOption = None,
    data_dir: DataDirOption = None,
    template: Annotated[
        Path | None,
        typer.Option(help="Synthesized template, or the directory `dbtier infra synth` wrote."),
    ] = None,
    slow_log: Annotated[
        list[Path] | None, typer.Option(help="Slow query / PostgreSQL log(s) to digest.")
    ] = None,
    backup_dir: Annotated[
        Path | None, typer.Option(help="Backups and their drills [default: DATA_DIR/backups].")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory to write NAME.md and NAME.html.")] = Path(),
    name: Annotated[str, typer.Option(help="File name of the document, without suffix.")] = (
        "review"
    ),
    title: Annotated[str, typer.Option(help="The document's title.")] = ("Database design review"),
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 at this status or worse: fail, warn or never.")
    ] = "fail",
) -> None:
    """Review the design end to end and write it as Markdown and HTML."""
    from dbtier.db import describe, make_engine
    from dbtier.review import build_review, gather, to_html, to_markdown
    from dbtier.schema import er

    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    for path in [p for p in (profile, template) if p is not None] + list(slow_log or []):
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    settings = settings_from(database_url, data_dir)
    use_database = (
        database_url is not None
        or data_dir is not None
        or (settings.data_dir / "dbtier.sqlite3").exists()
    )
    engine = make_engine(settings, pool_pre_ping=False) if use_database else None
    backups = backup_dir or settings.data_dir / "backups"
    try:
        evidence = gather(
            profile_path=profile,
            engine=engine,
            template_path=template,
            slow_logs=list(slow_log or []),
            backup_dir=backups if backups.exists() else None,
        )
    except OperationalError as exc:
        where = describe(engine.url) if engine is not None else "the database"
        raise DatabaseUnreachable(f"{where}: {exc.orig}") from None
    finally:
        if engine is not None:
            engine.dispose()
    review = build_review(evidence, title)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(to_markdown(review), encoding="utf-8")
    diagram = er.dot(evidence.schema.facts) if evidence.schema is not None else None
    (out / f"{name}.html").write_text(to_html(review, diagram), encoding="utf-8")
    typer.echo(
        f"{out / name}.md, .html: {review.count('fail')} fail, {review.count('warn')} warn, "
        f"{review.count('pass')} pass"
    )
    worst = {"fail": review.count("fail"), "warn": review.count("fail") + review.count("warn")}
    if fail_on != "never" and worst[fail_on]:
        raise typer.Exit(1)
