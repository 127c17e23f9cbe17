"""Capacity: how fast each table grows, from the data's own timestamps, and where it leads.

A table with a creation timestamp (or a report date) grows by its rows over
the days its timestamps span. A table without one (tasks, sections) grows as
the parent it references does, in proportion to its rows per parent row. Bytes
per row are the table's data + index bytes over its rows, so the projection
carries the index overhead too. The projection is linear, which is honest for
a service whose users write at a steady pace and says so when it is not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbtier.schema.checks import Finding
from dbtier.schema.facts import TOOL_TABLES, SchemaFacts, Table

GIB = 1024**3
DAYS_PER_YEAR = 365.25
ONE_YEAR_ERROR_SHARE = 0.90  # of allocated storage
THREE_YEAR_WARNING_SHARE = 0.80


# Below this many rows a table's size is mostly empty pages, so a row's size comes from
# its column types instead (a rough width per type, documented in docs/lifecycle.md).
MIN_ROWS_TO_MEASURE = 100
_TYPE_WIDTH = {"int": 4, "integer": 4, "bigint": 8, "smallint": 2, "date": 4, "json": 256}


def declared_row_bytes(table: Table) -> int:
    """A row's size from its column types: fixed types by width, text by a typical fill."""
    total = 24  # row header
    for column in table.columns:
        base = column.type.split("(")[0].strip()
        if base in _TYPE_WIDTH:
            total += _TYPE_WIDTH[base]
        elif base.startswith(("timestamp", "datetime")):
            total += 8
        elif "(" in column.type and base in ("varchar", "char", "character varying"):
            total += max(1, int(column.type.split("(")[1].split(")")[0]) // 4)
        else:
            total += 256  # text, mediumtext, blobs: a typical fill, not the limit
    return total


@dataclass(frozen=True)
class TableGrowth:
    table: str
    rows: int
    bytes: int | None
    rows_per_day: float | None
    basis: str  # how rows_per_day was found
    declared_row_bytes: int = 0

    @property
    def bytes_per_row(self) -> float | None:
        if self.bytes is None:
            return None
        if self.rows < MIN_ROWS_TO_MEASURE:
            return float(self.declared_row_bytes) * 2  # with its share of index entries
        return self.bytes / self.rows

    def projected_bytes(self, years: float) -> int | None:
        if self.bytes is None:
            return None
        if self.rows_per_day is None or self.bytes_per_row is None:
            return self.bytes
        return int(self.bytes + self.rows_per_day * DAYS_PER_YEAR * years * self.bytes_per_row)


@dataclass(frozen=True)
class Capacity:
    tables: list[TableGrowth]
    storage_gib: float | None  # allocated, from the workload profile

    def total(self, years: float = 0) -> int | None:
        sizes = [t.projected_bytes(years) if years else t.bytes for t in self.tables]
        known = [s for s in sizes if s is not None]
        return sum(known) if known else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "storage_gib": self.storage_gib,
            "total_bytes": self.total(),
            "projected_bytes_1y": self.total(1),
            "projected_bytes_3y": self.total(3),
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "bytes": t.bytes,
                    "rows_per_day": None if t.rows_per_day is None else round(t.rows_per_day, 3),
                    "basis": t.basis,
                    "projected_bytes_1y": t.projected_bytes(1),
                    "projected_bytes_3y": t.projected_bytes(3),
                }
                for t in self.tables
            ],
        }


def estimate(facts: SchemaFacts, storage_gib: float | None) -> Capacity:
    """Growth per table and the 1- and 3-year projection against `storage_gib`."""
    growth: dict[str, TableGrowth] = {}
    tables = [t for t in facts.tables if t.name not in TOOL_TABLES]
    for table in tables:
        own = _own_rate(table)
        if own is not None:
            growth[table.name] = TableGrowth(
                table.name, table.rows, table.total_bytes, *own, declared_row_bytes(table)
            )
    for table in tables:
        if table.name not in growth:
            growth[table.name] = _via_parent(table, facts, growth)
    return Capacity([growth[t.name] for t in tables], storage_gib)


def findings(capacity: Capacity) -> list[Finding]:
    """Error when a year's growth fills 90 % of the storage; warning when three years fill 80 %."""
    if capacity.storage_gib is None:
        return []
    allocated = capacity.storage_gib * GIB
    one, three = capacity.total(1), capacity.total(3)
    evidence = {
        "storage_gib": capacity.storage_gib,
        "projected_bytes_1y": one,
        "projected_bytes_3y": three,
    }
    if one is not None and one >= allocated * ONE_YEAR_ERROR_SHARE:
        return [
            Finding(
                "capacity",
                "error",
                "",
                f"the data reaches {one / GIB:.2f} GiB within a year, {one / allocated:.0%} of the "
                f"{capacity.storage_gib:g} GiB allocated: raise storage.size_gib (and RDS "
                "MaxAllocatedStorage)",
                evidence,
            )
        ]
    if three is not None and three >= allocated * THREE_YEAR_WARNING_SHARE:
        return [
            Finding(
                "capacity",
                "warning",
                "",
                f"the data reaches {three / GIB:.2f} GiB within three years, "
                f"{three / allocated:.0%} of the {capacity.storage_gib:g} GiB allocated",
                evidence,
            )
        ]
    return []


def _own_rate(table: Table) -> tuple[float, str] | None:
    if table.first_seen is None or table.last_seen is None or table.rows == 0:
        return None
    days = max((table.last_seen - table.first_seen).total_seconds() / 86400, 1.0)
    return table.rows / days, (
        f"{table.rows} rows over {days:.1f} days of {table.timestamp_column}"
    )


def _via_parent(table: Table, facts: SchemaFacts, growth: dict[str, TableGrowth]) -> TableGrowth:
    for fk in table.foreign_keys:
        parent = growth.get(fk.referred_table)
        parent_table = facts.table(fk.referred_table)
        if (
            parent is None
            or parent.rows_per_day is None
            or not parent_table
            or not parent_table.rows
        ):
            continue
        per_parent = table.rows / parent_table.rows
        return TableGrowth(
            table.name,
            table.rows,
            table.total_bytes,
            parent.rows_per_day * per_parent,
            f"{per_parent:.2f} rows per {fk.referred_table} row",
            declared_row_bytes(table),
        )
    return TableGrowth(table.name, table.rows, table.total_bytes, None, "no timestamp to date rows")


__all__ = ["Capacity", "TableGrowth", "estimate", "findings"]
