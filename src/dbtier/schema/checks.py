"""The physical-design checks of `dbtier schema review`, as pure functions of `SchemaFacts`.

Each check yields `Finding`s with a rule id, a level and the evidence it
stands on. Levels: `error` (the review exits 1: a table without a primary key,
a foreign key no index leads, a column the models declare NOT NULL or UNIQUE
that the database does not enforce, a non-utf8mb4 table or column on MySQL, a
`timestamp without time zone` on PostgreSQL, an integer key past 85 % of its
type), `warning` (a key past 50 %, duplicate or redundant indexes), `info`
(unused indexes, and what could not be checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import MetaData, UniqueConstraint

from dbtier.schema.facts import TOOL_TABLES, SchemaFacts, Table, integer_max

Level = Literal["error", "warning", "info"]
KEY_WARNING_SHARE = 0.50
KEY_ERROR_SHARE = 0.85


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    table: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "table": self.table,
            "message": self.message,
            "evidence": self.evidence,
        }


def review(facts: SchemaFacts, models: MetaData | None = None) -> list[Finding]:
    """Every finding on `facts`, errors first; `models` adds the declared-vs-live checks."""
    findings: list[Finding] = []
    for table in facts.tables:
        findings += primary_key(table)
        findings += foreign_keys_indexed(table)
        findings += duplicate_indexes(table)
        findings += unused_indexes(table, facts)
        findings += integer_keys(table, facts)
        if facts.engine in ("mysql", "mariadb"):
            findings += utf8mb4(table)
        if facts.engine == "postgresql":
            findings += timestamps_with_time_zone(table)
    if facts.engine in ("mysql", "mariadb") and facts.database_charset not in (None, "utf8mb4"):
        findings.append(
            Finding(
                "database-charset",
                "warning",
                "",
                f"the database's default character set is {facts.database_charset}: new tables "
                "inherit it; ALTER DATABASE ... CHARACTER SET utf8mb4",
                {"default_character_set": facts.database_charset},
            )
        )
    if facts.index_stats_note:
        findings.append(Finding("index-usage-unknown", "info", "", facts.index_stats_note))
    if models is not None:
        findings += declared_constraints(facts, models)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.level], f.table, f.rule))


def primary_key(table: Table) -> Iterator[Finding]:
    if not table.primary_key:
        yield Finding(
            "primary-key",
            "error",
            table.name,
            f"{table.name} has no primary key: rows cannot be addressed, replication and "
            "online schema changes need one; add a surrogate key",
            {"columns": [c.name for c in table.columns]},
        )


def foreign_keys_indexed(table: Table) -> Iterator[Finding]:
    for fk in table.foreign_keys:
        wanted = set(fk.columns)
        if any(set(ix.columns[: len(fk.columns)]) == wanted for ix in table.indexes):
            continue
        cols = ", ".join(fk.columns)
        yield Finding(
            "foreign-key-index",
            "error",
            table.name,
            f"foreign key {table.name}({cols}) → {fk.referred_table} has no index leading with "
            f"({cols}): a delete or key update on {fk.referred_table} scans {table.name}, and "
            f"joins from {fk.referred_table} cannot seek; CREATE INDEX ON {table.name} ({cols})",
            {"foreign_key": fk.name, "columns": list(fk.columns), "indexes": _index_list(table)},
        )


def duplicate_indexes(table: Table) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for a in table.indexes:
        for b in table.indexes:
            if a is b or (b.name, a.name) in seen:
                continue
            if a.columns == b.columns and not (a.primary and b.primary):
                seen.add((a.name, b.name))
                drop = b if b.primary or (b.unique and not a.unique) else a
                keep = a if drop is b else b
                if drop.primary:
                    drop, keep = keep, drop
                yield Finding(
                    "duplicate-index",
                    "warning",
                    table.name,
                    f"indexes {a.name} and {b.name} cover the same columns "
                    f"({', '.join(a.columns)}): every write maintains both; drop {drop.name}",
                    {"indexes": [a.name, b.name], "columns": list(a.columns)},
                )
            elif (
                len(a.columns) < len(b.columns)
                and b.columns[: len(a.columns)] == a.columns
                and not a.unique
            ):
                seen.add((a.name, b.name))
                yield Finding(
                    "redundant-index",
                    "warning",
                    table.name,
                    f"index {a.name} ({', '.join(a.columns)}) is a left prefix of {b.name} "
                    f"({', '.join(b.columns)}), which serves the same lookups; drop {a.name} "
                    "unless a foreign key on MySQL needs it alone",
                    {"index": a.name, "covered_by": b.name},
                )


def unused_indexes(table: Table, facts: SchemaFacts) -> Iterator[Finding]:
    for ix in table.indexes:
        if ix.scans == 0 and not ix.unique and not ix.primary and table.rows > 0:
            yield Finding(
                "unused-index",
                "info",
                table.name,
                f"index {ix.name} ({', '.join(ix.columns)}) has not been used since "
                f"{facts.index_stats_since}: confirm over a full business cycle before dropping",
                {"index": ix.name, "scans": 0, "since": facts.index_stats_since},
            )


def integer_keys(table: Table, facts: SchemaFacts) -> Iterator[Finding]:
    dialect = "sqlite" if facts.engine == "sqlite" else facts.engine
    for name, current in table.key_max.items():
        column = table.column(name)
        top = integer_max(column, dialect) if column else None
        if top is None or current <= 0:
            continue
        share = current / top
        if share < KEY_WARNING_SHARE:
            continue
        level: Level = "error" if share >= KEY_ERROR_SHARE else "warning"
        yield Finding(
            "integer-key-capacity",
            level,
            table.name,
            f"{table.name}.{name} ({column.type if column else '?'}) is at {current:,} of "
            f"{top:,} ({share:.0%}): widen it to BIGINT before it runs out",
            {"column": name, "current": current, "type_max": top, "share": round(share, 4)},
        )


def utf8mb4(table: Table) -> Iterator[Finding]:
    if table.charset and table.charset != "utf8mb4":
        yield Finding(
            "utf8mb4",
            "error",
            table.name,
            f"{table.name} defaults to {table.charset}, not utf8mb4: Japanese and emoji "
            "outside its repertoire are refused or mangled; ALTER TABLE ... CONVERT TO "
            "CHARACTER SET utf8mb4",
            {"table_charset": table.charset},
        )
    for column in table.columns:
        if column.charset and column.charset != "utf8mb4":
            yield Finding(
                "utf8mb4",
                "error",
                table.name,
                f"{table.name}.{column.name} is {column.charset}, not utf8mb4",
                {"column": column.name, "charset": column.charset},
            )


def timestamps_with_time_zone(table: Table) -> Iterator[Finding]:
    for column in table.columns:
        if column.tz_naive_timestamp:
            yield Finding(
                "timestamp-time-zone",
                "error",
                table.name,
                f"{table.name}.{column.name} is timestamp without time zone: the instant "
                "depends on each session's TimeZone; use timestamptz",
                {"column": column.name, "type": column.type},
            )


def declared_constraints(facts: SchemaFacts, models: MetaData) -> Iterator[Finding]:
    """Columns the models declare NOT NULL or UNIQUE are so in the database."""
    for model in models.sorted_tables:
        if model.name in TOOL_TABLES:
            continue
        table = facts.table(model.name)
        if table is None:
            yield Finding(
                "model-table-missing",
                "error",
                model.name,
                f"the models declare {model.name}, which the database lacks: "
                "run the migrations (dbtier migrate run) or check `dbtier migrate status`",
            )
            continue
        for col in model.columns:
            live = table.column(col.name)
            if live is not None and not col.nullable and live.nullable:
                yield Finding(
                    "declared-not-null",
                    "error",
                    model.name,
                    f"{model.name}.{col.name} is NOT NULL in the models but nullable in the "
                    "database: rows written by other clients may hold NULL",
                    {"column": col.name},
                )
        live_unique = {frozenset(ix.columns) for ix in table.indexes if ix.unique}
        for cols in _declared_unique(model):
            if frozenset(cols) not in live_unique:
                yield Finding(
                    "declared-unique",
                    "error",
                    model.name,
                    f"({', '.join(cols)}) is UNIQUE in the models but not in the database: "
                    "duplicates can be written",
                    {"columns": list(cols)},
                )


def _declared_unique(model: Any) -> list[tuple[str, ...]]:
    sets: list[tuple[str, ...]] = [(c.name,) for c in model.columns if c.unique]
    for constraint in model.constraints:
        if isinstance(constraint, UniqueConstraint):
            sets.append(tuple(c.name for c in constraint.columns))
    for index in model.indexes:
        if index.unique:
            sets.append(tuple(c.name for c in index.columns))
    return sets


def _index_list(table: Table) -> list[str]:
    return [f"{ix.name}({', '.join(ix.columns)})" for ix in table.indexes]


__all__ = ["KEY_ERROR_SHARE", "KEY_WARNING_SHARE", "Finding", "Level", "review"]
