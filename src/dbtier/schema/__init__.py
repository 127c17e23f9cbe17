"""`dbtier schema review`: the seed's physical design, checked against a live database.

    facts = read_schema(engine)           # dbtier.schema.facts: what the database says
    report = review_schema(engine, ...)   # checks + capacity + ER diagram
    render_report(report, "markdown")     # table | markdown | json

The checks are in `dbtier.schema.checks`, the growth projection in
`dbtier.schema.capacity`, the diagram in `dbtier.schema.er`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from dbtier.schema import capacity as capacity_module
from dbtier.schema import er
from dbtier.schema.capacity import Capacity
from dbtier.schema.checks import Finding, review
from dbtier.schema.facts import SchemaFacts, read_schema

FORMATS = ("table", "markdown", "json")


@dataclass
class SchemaReport:
    facts: SchemaFacts
    findings: list[Finding]
    capacity: Capacity
    mermaid: str

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.facts.engine,
            "server_version": self.facts.server_version,
            "database": self.facts.database,
            "tables": [
                {
                    "table": t.name,
                    "rows": t.rows,
                    "rows_estimated": t.rows_estimated,
                    "data_bytes": t.data_bytes,
                    "index_bytes": t.index_bytes,
                    "primary_key": list(t.primary_key),
                    "indexes": [
                        {
                            "name": i.name,
                            "columns": list(i.columns),
                            "unique": i.unique,
                            "scans": i.scans,
                        }
                        for i in t.indexes
                    ],
                }
                for t in self.facts.tables
            ],
            "findings": [f.as_dict() for f in self.findings],
            "capacity": self.capacity.as_dict(),
            "er_mermaid": self.mermaid,
        }


def review_schema(
    engine: Engine, *, models: MetaData | None = None, storage_gib: float | None = None
) -> SchemaReport:
    """Read the live schema behind `engine` and review it."""
    facts = read_schema(engine)
    capacity = capacity_module.estimate(facts, storage_gib)
    findings = review(facts, models) + capacity_module.findings(capacity)
    order = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: order[f.level])
    return SchemaReport(facts, findings, capacity, er.mermaid(facts))


def render_report(report: SchemaReport, fmt: str) -> str:
    """The report as `table` (rich, for a terminal), `markdown` or `json`."""
    if fmt == "json":
        return json.dumps(report.as_dict(), indent=2, default=str) + "\n"
    if fmt == "markdown":
        return markdown(report)
    return _rich(report)


def markdown(report: SchemaReport, *, heading: str = "##") -> str:
    """Findings, sizes, capacity and the ER diagram as Markdown."""
    f = report.facts
    out = [
        f"{heading} Schema review: {f.database} ({f.engine} {f.server_version})",
        "",
        f"{len(report.errors)} errors, "
        f"{sum(1 for x in report.findings if x.level == 'warning')} warnings, "
        f"{sum(1 for x in report.findings if x.level == 'info')} notes.",
        "",
        "| level | rule | table | finding |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {x.level} | `{x.rule}` | {x.table or '—'} | {x.message.replace('|', '/')} |"
        for x in report.findings
    ] or ["| pass | — | — | no findings |"]
    out += ["", f"{heading}# Tables and growth", "", growth_markdown(report), ""]
    out += [
        f"{heading}# Entity-relationship diagram",
        "",
        "```mermaid",
        report.mermaid.rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(out)


def growth_markdown(report: SchemaReport) -> str:
    """Rows, size, growth and the 1- and 3-year projection per table, as a Markdown table."""
    out = [
        "| table | rows | data + index | rows/day | basis | in 1 year | in 3 years |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for t in report.capacity.tables:
        out.append(
            f"| {t.table} | {t.rows:,} | {_size(t.bytes)} | "
            f"{'—' if t.rows_per_day is None else f'{t.rows_per_day:,.1f}'} | {t.basis} | "
            f"{_size(t.projected_bytes(1))} | {_size(t.projected_bytes(3))} |"
        )
    cap = report.capacity
    storage = "not given" if cap.storage_gib is None else f"{cap.storage_gib:g} GiB"
    out += [
        "",
        f"Total {_size(cap.total())} now, {_size(cap.total(1))} in a year, "
        f"{_size(cap.total(3))} in three; allocated storage {storage}.",
    ]
    return "\n".join(out)


def _rich(report: SchemaReport) -> str:
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console(record=True, width=120, file=io.StringIO())
    findings = RichTable(title=f"schema review: {report.facts.database} ({report.facts.engine})")
    for col in ("level", "rule", "table", "finding"):
        findings.add_column(col, overflow="fold")
    for x in report.findings:
        style = {"error": "red", "warning": "yellow", "info": "dim"}[x.level]
        findings.add_row(f"[{style}]{x.level}[/]", x.rule, x.table, x.message)
    console.print(findings)
    sizes = RichTable(title="tables and growth")
    for col in ("table", "rows", "size", "rows/day", "1 year", "3 years"):
        sizes.add_column(col, justify="right" if col != "table" else "left")
    for t in report.capacity.tables:
        sizes.add_row(
            t.table,
            f"{t.rows:,}",
            _size(t.bytes),
            "—" if t.rows_per_day is None else f"{t.rows_per_day:,.1f}",
            _size(t.projected_bytes(1)),
            _size(t.projected_bytes(3)),
        )
    console.print(sizes)
    cap = report.capacity
    storage = "not given (--profile)" if cap.storage_gib is None else f"{cap.storage_gib:g} GiB"
    console.print(
        f"total {_size(cap.total())} now, {_size(cap.total(1))} in a year, "
        f"{_size(cap.total(3))} in three; allocated storage {storage}"
    )
    return console.export_text()


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024:
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return f"{amount:,.1f} TiB"


__all__ = [
    "FORMATS",
    "SchemaReport",
    "growth_markdown",
    "markdown",
    "read_schema",
    "render_report",
    "review_schema",
]
