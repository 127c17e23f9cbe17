"""Compatibility with the deployed code: expand/contract made checkable.

For each pending revision's schema changes, against what the deployed code's
models use (`deployed.DeployedCode`):

- dropping or renaming a table or column the models use: COMPAT-DROPPED-*,
  COMPAT-RENAMED (blocking); the portable DROP-*/RENAME-* finding it proves
  is replaced. Dropping what the models no longer use is the contract step of
  expand/contract: the portable finding becomes a warning;
- a NOT NULL column without a server default, added to (or set on) a table
  the models insert into but do not know the column of: COMPAT-NOT-NULL-INSERT;
- a type narrower than the model's: COMPAT-NARROWED-TYPE.
"""

from __future__ import annotations

from sqlglot import exp

from dbtier.migrate.lint.deployed import DeployedCode
from dbtier.migrate.lint.findings import Finding
from dbtier.migrate.lint.schema import Change, Schema, changes, type_sql
from dbtier.migrate.lint.source import RevisionSQL

T = exp.DataType.Type
_INTEGER_RANK = {
    T.TINYINT: 1, T.UTINYINT: 1, T.SMALLINT: 2, T.USMALLINT: 2, T.MEDIUMINT: 3,
    T.UMEDIUMINT: 3, T.INT: 4, T.UINT: 4, T.SERIAL: 4, T.BIGINT: 5, T.UBIGINT: 5,
    T.BIGSERIAL: 5, T.SMALLSERIAL: 2,
}  # fmt: skip
_TEXT_LENGTH = {
    T.TINYTEXT: 255, T.TEXT: 65_535, T.MEDIUMTEXT: 16_777_215, T.LONGTEXT: 4_294_967_295,
}  # fmt: skip
_STRINGS = {T.CHAR, T.NCHAR, T.VARCHAR, T.NVARCHAR, *_TEXT_LENGTH}
_DECIMALS = {T.DECIMAL, T.DOUBLE, T.FLOAT}
_UNBOUNDED = 10**12


def _param(dtype: exp.DataType, index: int) -> int | None:
    try:
        return int(dtype.expressions[index].name)
    except (IndexError, ValueError):
        return None


def _family(dtype: exp.DataType) -> str:
    if dtype.this in _INTEGER_RANK:
        return "integer"
    if dtype.this in _STRINGS:
        return "string"
    if dtype.this in _DECIMALS:
        return "decimal"
    return str(dtype.this.name).lower()


def _length(dtype: exp.DataType) -> int:
    if dtype.this in _TEXT_LENGTH:
        return _TEXT_LENGTH[dtype.this]
    return _param(dtype, 0) or _UNBOUNDED


def narrows(old: exp.DataType | None, new: exp.DataType | None) -> bool:
    """Does `new` hold less than `old` (or a different kind of value)?"""
    if old is None or new is None:
        return False
    if _family(old) != _family(new):
        return True
    family = _family(old)
    if family == "integer":
        return _INTEGER_RANK[new.this] < _INTEGER_RANK[old.this]
    if family == "string":
        return _length(new) < _length(old)
    if family == "decimal" and old.this == new.this == T.DECIMAL:
        return (_param(new, 0) or 0) < (_param(old, 0) or 0) or (_param(new, 1) or 0) < (
            _param(old, 1) or 0
        )
    return False


def _compat(
    change: Change, code: DeployedCode, schema: Schema, engine: str
) -> tuple[str, str] | None:
    table, column = change.table, change.column
    at = f"the deployed code (revision {code.revision})"
    if change.kind == "drop_table" and code.uses(table):
        return "COMPAT-DROPPED-TABLE", f"drops table {table}, which {at} maps"
    if change.kind == "drop_column" and code.uses(table, column):
        return "COMPAT-DROPPED-COLUMN", f"drops {table}.{column}, which {at} reads"
    if change.kind in ("rename_table", "rename_column") and code.uses(table, column):
        what = f"{table}.{column}" if column else table
        return "COMPAT-RENAMED", f"renames {what} to {change.new_name}; {at} uses the old name"
    if change.kind == "add_column" and change.definition and code.uses(table):
        d = change.definition
        if (
            not d.nullable
            and not d.has_default
            and not d.generated
            and not code.uses(table, column)
        ):
            return "COMPAT-NOT-NULL-INSERT", (
                f"adds {table}.{column} NOT NULL without a server default; {at} inserts into "
                f"{table} without it"
            )
    if change.kind == "set_not_null" and code.uses(table) and not code.uses(table, column):
        current = schema.column(table, column)
        if current is None or not current.has_default:
            return "COMPAT-NOT-NULL-INSERT", (
                f"makes {table}.{column} NOT NULL; {at} inserts into {table} without it"
            )
    if change.kind == "alter_type" and change.definition and code.uses(table, column):
        old = code.tables[table][column or ""].type
        if narrows(old, change.definition.type):
            return "COMPAT-NARROWED-TYPE", (
                f"changes {table}.{column} from {type_sql(old, engine)} to "
                f"{type_sql(change.definition.type, engine)}, narrower than {at}'s model"
            )
    return None


_PROVES = {"DROP-TABLE", "DROP-COLUMN", "RENAME-TABLE", "RENAME-COLUMN"}


def check(
    revision: RevisionSQL, findings: list[Finding], code: DeployedCode, schema: Schema, engine: str
) -> list[Finding]:
    """The revision's findings with the deployed code taken into account.

    `schema` is the schema before the revision; it is not changed.
    """
    replay = schema.copy()
    added: list[Finding] = []
    proven: set[tuple[int, str, str | None]] = set()
    for statement in revision.statements:
        for change in changes(statement.expression):
            hit = _compat(change, code, replay, engine)
            replay.apply(change)
            if hit is None:
                continue
            rule_id, message = hit
            added.append(
                Finding(rule_id, revision.revision, statement.text, message, line=statement.line)
            )
            proven.add((statement.line, change.table, change.column))
    out: list[Finding] = []
    for finding in findings:
        subject = finding.change
        if finding.rule_id in _PROVES and subject is not None:
            if (finding.line, subject.table, subject.column) in proven:
                continue
            finding = finding.downgraded(
                f"the deployed code (revision {code.revision}, {code.source}) does not use it"
            )
        out.append(finding)
    return out + added


__all__ = ["check", "narrows"]
