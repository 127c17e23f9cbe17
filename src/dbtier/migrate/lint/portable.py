"""Rules every engine shares: drops, renames, and NOT NULL columns the running code cannot fill.

They read the schema changes of each statement (`schema.changes`). A table
created earlier in the same revision is new and empty: nothing runs against
it yet, so changes to it are not findings.
"""

from __future__ import annotations

from dbtier.migrate.lint.findings import Finding
from dbtier.migrate.lint.schema import Change, changes
from dbtier.migrate.lint.source import RevisionSQL, Statement

PORTABLE_RULES = frozenset(
    {"DROP-TABLE", "DROP-COLUMN", "RENAME-TABLE", "RENAME-COLUMN", "ADD-NOT-NULL-NO-DEFAULT"}
)


def _finding(change: Change) -> tuple[str, str] | None:
    where = f"{change.table}.{change.column}" if change.column else change.table
    if change.kind == "drop_table":
        return "DROP-TABLE", f"drops table {change.table}"
    if change.kind == "drop_column":
        return "DROP-COLUMN", f"drops column {where}"
    if change.kind == "rename_table":
        return "RENAME-TABLE", f"renames table {change.table} to {change.new_name}"
    if change.kind == "rename_column":
        return "RENAME-COLUMN", f"renames column {where} to {change.new_name}"
    column = change.definition
    if (
        change.kind == "add_column"
        and column is not None
        and not (column.nullable or column.has_default or column.generated)
    ):
        return "ADD-NOT-NULL-NO-DEFAULT", f"adds {where} NOT NULL without a server default"
    return None


def lint(revision: RevisionSQL) -> list[Finding]:
    """Portable findings of one revision."""
    created: set[str] = set()
    findings: list[Finding] = []
    for statement in revision.statements:
        findings += _statement(revision.revision, statement, created)
    return findings


def _statement(revision: str, statement: Statement, created: set[str]) -> list[Finding]:
    found: list[Finding] = []
    for change in changes(statement.expression):
        if change.kind == "create_table":
            created.add(change.table)
            continue
        if change.table in created:
            if change.kind == "rename_table" and change.new_name:
                created.add(change.new_name)
            continue
        hit = _finding(change)
        if hit is not None:
            rule_id, message = hit
            found.append(
                Finding(
                    rule_id, revision, statement.text, message, line=statement.line, change=change
                )
            )
    return found


__all__ = ["PORTABLE_RULES", "lint"]
