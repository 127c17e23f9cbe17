"""`dbtier cost`: an offline monthly estimate, and Cost Explorer reports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dbtier.cli._common import command

app = typer.Typer(no_args_is_help=True)


@app.command("estimate")
@command
def estimate(
    template_dir: Annotated[
        Path,
        typer.Option(help="Directory of synthesized templates (`dbtier infra synth --out DIR`)."),
    ] = Path("cdk.out"),
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Monthly estimate per resource and in total, from the template and the price table."""
    import json

    from dbtier.cost import estimate_templates, load_price_table

    prices = load_price_table()
    result = estimate_templates(template_dir, prices)
    if json_output:
        items = [item.__dict__ for item in result.items]
        typer.echo(
            json.dumps(
                {
                    "region": result.region,
                    "items": items,
                    "total": result.total,
                    "notes": result.notes,
                }
            )
        )
        return
    table = Table(title=f"Monthly estimate, {result.region} (USD, on-demand)")
    table.add_column("resource")
    table.add_column("type")
    table.add_column("basis")
    table.add_column("USD/month", justify="right")
    for item in result.items:
        cost = f"{item.monthly_usd:,.2f}"
        table.add_row(item.logical_id, item.resource_type, item.basis, cost)
    table.add_section()
    table.add_row("total", "", "", f"{result.total:,.2f}")
    console = Console(width=160)
    console.print(table)
    for note in result.notes:
        console.print(note[:1].upper() + note[1:], highlight=False)
    console.print(f"RDS prices: {prices.rds_price.source} ({prices.rds_price.date}).")
    console.print("Every price's source and date: dbtier/cost/prices_ap_northeast_1.yaml.")


def _month_start(day: date) -> date:
    return day.replace(day=1)


@app.command("report")
@command
def report(
    granularity: Annotated[
        str, typer.Option(help="daily or monthly.", case_sensitive=False)
    ] = "monthly",
    group_by: Annotated[str, typer.Option(help="service or tag:KEY.")] = "service",
    start: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD [default: month start]")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Day after the last, YYYY-MM-DD [default: tomorrow]")
    ] = None,
) -> None:
    """Cost Explorer GetCostAndUsage as a table (global endpoint; every page)."""
    from dbtier.cost.report import get_cost_and_usage
    from dbtier.errors import UsageError

    if granularity.lower() not in ("daily", "monthly"):
        raise UsageError(f"--granularity {granularity!r}: use daily or monthly")
    today = date.today()
    first = _parse_day(start, "--start") if start else _month_start(today)
    last = _parse_day(end, "--end") if end else today + timedelta(days=1)
    rows = get_cost_and_usage(
        start=first,
        end=last,
        granularity="daily" if granularity.lower() == "daily" else "monthly",
        group_by=group_by,
    )
    table = Table(title=f"Cost Explorer, {first} to {last} (end exclusive), by {group_by}")
    for name in ("start", "end", "group"):
        table.add_column(name)
    table.add_column("amount", justify="right")
    table.add_column("unit")
    for row in rows:
        mark = " (estimated)" if row.estimated else ""
        table.add_row(row.start, row.end, row.group, f"{row.amount:,.2f}{mark}", row.unit)
    total = sum(row.amount for row in rows)
    table.add_section()
    table.add_row("", "", "total", f"{total:,.2f}", rows[0].unit if rows else "USD")
    Console(width=160).print(table)


def _parse_day(text: str, flag: str) -> date:
    from dbtier.errors import UsageError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a date as YYYY-MM-DD") from None
