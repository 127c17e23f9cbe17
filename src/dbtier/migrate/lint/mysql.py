"""MySQL and MariaDB: which algorithm each ALTER gets on the server's version.

Each ALTER action is classified into an operation; `OPERATIONS` says, per
engine, from which version it runs INSTANT and what it falls back to before
(MySQL 8.0 manual "Online DDL Operations"; MariaDB KB "InnoDB Online DDL
Operations with the INSTANT/INPLACE Alter Algorithm"). A statement gets the
worst algorithm of its actions:

    INSTANT  metadata only                           clean
    INPLACE  no copy, LOCK=NONE                       clean
    REBUILD  INPLACE with LOCK=NONE, rebuilds rows    warning  MY-TABLE-REBUILD
    SHARED   INPLACE but LOCK=SHARED (writes wait)    blocking (the operation's rule)
    COPY     ALGORITHM=COPY (writes wait)             blocking (the operation's rule)

A VARCHAR can be lengthened in place only while its length prefix keeps its
size (255 bytes); dbtier counts 4 bytes a character (utf8mb4, nippo's
charset). A foreign key added to an existing table blocks unless the job
knows from the live database that the table is small (fewer than
`LARGE_TABLE_ROWS` rows, InnoDB's estimate): then it warns. An explicit
`ALGORITHM=`/`LOCK=` clause is checked against the
table too (MY-LOCKING-CLAUSE). Tables created earlier in the same revision
are empty and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlglot import exp

from dbtier.migrate.lint.findings import Finding, Target
from dbtier.migrate.lint.schema import Column, Schema, changes, column_of, type_sql
from dbtier.migrate.lint.source import RevisionSQL, Statement

ORDER = ("INSTANT", "INPLACE", "REBUILD", "SHARED", "COPY", "UNKNOWN")
Version = tuple[int, ...]


@dataclass(frozen=True)
class Availability:
    """INSTANT (or `then`) from `since` on; `before` on older servers."""

    then: str
    since: Version | None = None
    before: str = ""

    def on(self, version: Version) -> str:
        if self.since is None or version >= self.since:
            return self.then
        return self.before


@dataclass(frozen=True)
class Operation:
    """One kind of ALTER action and how each engine runs it."""

    label: str
    mysql: Availability
    mariadb: Availability
    rule_id: str | None = None  # the rule when it blocks (SHARED / COPY)


def _same(algorithm: str, rule_id: str | None = None, label: str = "") -> Operation:
    return Operation(label, Availability(algorithm), Availability(algorithm), rule_id)


OPERATIONS: dict[str, Operation] = {
    "add_column": Operation(
        "add a column (last)",
        Availability("INSTANT", (8, 0, 12), "REBUILD"),
        Availability("INSTANT", (10, 3, 2), "REBUILD"),
    ),
    "add_column_positioned": Operation(
        "add a column with FIRST/AFTER",
        Availability("INSTANT", (8, 0, 29), "REBUILD"),
        Availability("INSTANT", (10, 4), "REBUILD"),
    ),
    "add_auto_increment": _same("SHARED", "MY-AUTO-INCREMENT-ADD", "add an AUTO_INCREMENT column"),
    "add_stored_generated": _same("COPY", "MY-TYPE-CHANGE", "add a STORED generated column"),
    "drop_column": Operation(
        "drop a column",
        Availability("INSTANT", (8, 0, 29), "REBUILD"),
        Availability("INSTANT", (10, 4), "REBUILD"),
    ),
    "rename_column": Operation(
        "rename a column",
        Availability("INSTANT", (8, 0, 28), "INPLACE"),
        Availability("INSTANT", (10, 3), "INPLACE"),
    ),
    "reorder_column": Operation(
        "reorder a column",
        Availability("REBUILD"),
        Availability("INSTANT", (10, 4), "REBUILD"),
    ),
    "set_default": _same("INSTANT", label="set or drop a default"),
    "change_type": _same("COPY", "MY-TYPE-CHANGE", "change a column's type"),
    "extend_varchar": Operation(
        "lengthen a VARCHAR",
        Availability("INPLACE"),
        Availability("INSTANT", (10, 4), "INPLACE"),
    ),
    "set_not_null": _same("REBUILD", label="make a column NOT NULL"),
    "drop_not_null": _same("REBUILD", label="make a column NULL"),
    "charset": _same("COPY", "MY-CHARSET-CHANGE", "convert a character set"),
    "add_index": _same("INPLACE", label="add an index"),
    "add_locking_index": _same("SHARED", "MY-LOCKING-INDEX", "add a FULLTEXT/SPATIAL index"),
    "drop_index": _same("INPLACE", label="drop an index"),
    "add_fk": _same("COPY", "MY-FK-ADD", "add a foreign key (foreign_key_checks=1)"),
    "drop_constraint": _same("INPLACE", label="drop a constraint"),
    "add_pk": _same("REBUILD", label="add a primary key"),
    "drop_pk": _same("COPY", "MY-PK-CHANGE", "drop the primary key"),
    "replace_pk": _same("REBUILD", label="drop and add the primary key together"),
    "add_check": _same("COPY", "MY-CHECK-ADD", "add a CHECK constraint"),
    "rename_table": _same("INSTANT", label="rename a table"),
    "rebuild": _same("REBUILD", label="rebuild the table (ENGINE=, FORCE, OPTIMIZE)"),
    "unknown": _same("UNKNOWN", "MY-UNKNOWN-ALTER", "an ALTER dbtier cannot classify"),
}

_LOCKING_KINDS = ("FULLTEXT", "SPATIAL")


def _varchar_length(dtype: exp.DataType | None) -> int | None:
    if dtype is None or dtype.this not in (exp.DataType.Type.VARCHAR, exp.DataType.Type.VARBINARY):
        return None
    params = dtype.expressions
    try:
        return int(params[0].name) if params else None
    except ValueError:
        return None


def _type_change(old: Column, new: Column) -> str | None:
    if old.type is None or new.type is None:
        return "unknown"
    if old.type.sql("mysql") == new.type.sql("mysql"):
        return None
    old_len, new_len = _varchar_length(old.type), _varchar_length(new.type)
    if old_len is not None and new_len is not None and old.type.this == new.type.this:
        same_prefix = (old_len * 4 > 255) == (new_len * 4 > 255)
        if new_len >= old_len and same_prefix:
            return "extend_varchar"
    return "change_type"


def _modify(action: exp.ModifyColumn, table: str, schema: Schema) -> list[str]:
    new = column_of(action.this)
    source = action.args.get("rename_from")
    old = schema.column(table, source.name if source is not None else new.name)
    kinds: list[str] = []
    if any(isinstance(c.kind, exp.CharacterSetColumnConstraint) for c in action.this.constraints):
        kinds.append("charset")
    if old is None:
        return [*kinds, "unknown"]
    type_kind = _type_change(old, new)
    if type_kind:
        kinds.append(type_kind)
    if old.nullable != new.nullable:
        kinds.append("drop_not_null" if new.nullable else "set_not_null")
    if action.this.args.get("position") is not None:
        kinds.append("reorder_column")
    if source is not None and source.name != new.name:
        kinds.append("rename_column")
    return kinds or ["set_default"]


def _add_constraint(action: exp.AddConstraint) -> list[str]:
    kinds = []
    for item in action.expressions:
        inner = item.expressions if isinstance(item, exp.Constraint) else [item]
        for node in inner:
            if isinstance(node, exp.ForeignKey | exp.Reference):
                kinds.append("add_fk")
            elif isinstance(node, exp.PrimaryKey | exp.PrimaryKeyColumnConstraint):
                kinds.append("add_pk")
            elif isinstance(node, exp.CheckColumnConstraint):
                kinds.append("add_check")
            elif isinstance(node, exp.IndexColumnConstraint):
                spec = str(node.args.get("kind") or "").upper()
                kinds.append("add_locking_index" if spec in _LOCKING_KINDS else "add_index")
            elif isinstance(node, exp.UniqueColumnConstraint):
                kinds.append("add_index")
            else:
                kinds.append("unknown")
    return kinds


def _column_def(action: exp.ColumnDef) -> str:
    column = column_of(action)
    if any(isinstance(c.kind, exp.AutoIncrementColumnConstraint) for c in action.constraints):
        return "add_auto_increment"
    if column.generated and "STORED" in action.sql("mysql").upper():
        return "add_stored_generated"
    return "add_column_positioned" if action.args.get("position") is not None else "add_column"


def _drop(action: exp.Drop) -> str:
    kind = str(action.args.get("kind") or "").upper()
    return {
        "COLUMN": "drop_column",
        "INDEX": "drop_index",
        "KEY": "drop_index",
        "FOREIGN KEY": "drop_constraint",
        "CONSTRAINT": "drop_constraint",
        "CHECK": "drop_constraint",
    }.get(kind, "unknown")


def _action(action: exp.Expression, table: str, schema: Schema) -> list[str]:
    if isinstance(action, exp.ColumnDef):
        return [_column_def(action)]
    if isinstance(action, exp.Drop):
        return [_drop(action)]
    if isinstance(action, exp.DropPrimaryKey):
        return ["drop_pk"]
    if isinstance(action, exp.RenameColumn):
        return ["rename_column"]
    if isinstance(action, exp.AlterRename):
        return ["rename_table"]
    if isinstance(action, exp.AlterColumn):
        return ["set_default"]
    if isinstance(action, exp.ModifyColumn):
        return _modify(action, table, schema)
    if isinstance(action, exp.AddConstraint):
        return _add_constraint(action)
    if isinstance(action, exp.ForceProperty):
        return ["rebuild"]
    return ["unknown"]


def _command(expression: exp.Command) -> list[str]:
    verb = str(expression.this).upper()
    rest = expression.expression
    text = rest.name if isinstance(rest, exp.Expression) else str(rest or "")
    words = text.upper().split()
    if verb == "RENAME":
        return ["rename_table"]
    if verb == "OPTIMIZE":
        return ["rebuild"]
    if verb == "CREATE" and words[:1] and words[0] in _LOCKING_KINDS:
        return ["add_locking_index"]
    if verb == "ALTER" and "CONVERT" in words:
        return ["charset"]
    if verb == "ALTER":
        return ["unknown"]
    return []


def classify(expression: exp.Expression | None, schema: Schema) -> tuple[str, list[str]]:
    """(table, operation kinds) of one statement; no kinds for non-DDL."""
    if isinstance(expression, exp.Alter):
        table = expression.this.name if isinstance(expression.this, exp.Table) else ""
        actions = expression.args.get("actions") or []
        kinds = [k for a in actions for k in _action(a, table, schema)]
        if "drop_pk" in kinds and "add_pk" in kinds:  # one ALTER: INPLACE, not a copy
            kinds = [k for k in kinds if k not in ("drop_pk", "add_pk")] + ["replace_pk"]
        options = [o for o in expression.args.get("options") or [] if not _is_clause(o)]
        if options and not actions:
            kinds.append("rebuild")
        return table, kinds
    if isinstance(expression, exp.Create) and str(expression.args.get("kind")).upper() == "INDEX":
        table_node = expression.this.args.get("table") if expression.this else None
        return (table_node.name if table_node is not None else ""), ["add_index"]
    if isinstance(expression, exp.Drop) and str(expression.args.get("kind")).upper() == "INDEX":
        return "", ["drop_index"]
    if isinstance(expression, exp.Command):
        return "", _command(expression)
    return "", []


def _is_clause(option: exp.Expression) -> bool:
    return isinstance(option, exp.AlgorithmProperty | exp.LockProperty)


def _clauses(expression: exp.Expression | None) -> tuple[str | None, str | None]:
    algorithm = lock = None
    if isinstance(expression, exp.Alter):
        for option in expression.args.get("options") or []:
            if isinstance(option, exp.AlgorithmProperty):
                algorithm = option.name.upper()
            elif isinstance(option, exp.LockProperty):
                lock = option.name.upper()
    return algorithm, lock


def _worst(algorithms: list[str]) -> str:
    return max(algorithms, key=ORDER.index) if algorithms else "INSTANT"


def _clause_problem(algorithm: str | None, lock: str | None, worst: str) -> str | None:
    if algorithm == "COPY" or lock in ("SHARED", "EXCLUSIVE"):
        return f"asks for ALGORITHM={algorithm or 'DEFAULT'}, LOCK={lock or 'DEFAULT'}"
    if worst == "UNKNOWN":
        return None
    if algorithm == "INSTANT" and worst != "INSTANT":
        return f"asks for ALGORITHM=INSTANT but the server needs {worst}: it fails at once"
    if algorithm in ("INPLACE", "NOCOPY") and worst == "COPY":
        return f"asks for ALGORITHM={algorithm} but the server must copy the table: it fails"
    if lock == "NONE" and worst in ("SHARED", "COPY"):
        return "asks for LOCK=NONE, which this operation cannot have: it fails at once"
    return None


# A copy of a table below this many rows (InnoDB's estimate) is short: a warning.
LARGE_TABLE_ROWS = 100_000


def _sized(finding: Finding, table: str, target: Target) -> Finding:
    """A foreign key on a table the live database says is small only warns."""
    rows = (target.table_rows or {}).get(table)
    if rows is None:
        return finding
    if rows < LARGE_TABLE_ROWS:
        return finding.downgraded(f"{table} has about {rows} rows: the copy is short")
    return replace(finding, message=f"{finding.message}; {table} has about {rows} rows")


def _instant_since(operation: Operation, engine: str) -> str:
    since = getattr(operation, engine).since
    return f"INSTANT from {engine} {'.'.join(map(str, since))}" if since else ""


def _statement(
    revision: str, statement: Statement, target: Target, schema: Schema, created: set[str]
) -> list[Finding]:
    table, kinds = classify(statement.expression, schema)
    if not kinds or table in created:
        return []
    engine = "mariadb" if target.engine == "mariadb" else "mysql"
    per_kind = {k: getattr(OPERATIONS[k], engine).on(target.version) for k in kinds}
    worst = _worst(list(per_kind.values()))
    findings: list[Finding] = []

    def add(rule_id: str, message: str) -> None:
        findings.append(Finding(rule_id, revision, statement.text, message, line=statement.line))

    algorithm, lock = _clauses(statement.expression)
    problem = _clause_problem(algorithm, lock, worst)
    if problem:
        add("MY-LOCKING-CLAUSE", problem)
    for kind, algo in per_kind.items():
        operation = OPERATIONS[kind]
        if algo in ("COPY", "SHARED", "UNKNOWN") and operation.rule_id:
            how = "ALGORITHM=COPY" if algo == "COPY" else "LOCK=SHARED"
            text = f"{operation.label} on {target.label}"
            add(operation.rule_id, text if algo == "UNKNOWN" else f"{text}: {how}")
            if kind == "add_fk":
                findings[-1] = _sized(findings[-1], table, target)
    if worst == "REBUILD" and not findings:
        rebuilds = [k for k, a in per_kind.items() if a == "REBUILD"]
        later = [_instant_since(OPERATIONS[k], engine) for k in rebuilds]
        later = [text for text in later if text]
        labels = ", ".join(OPERATIONS[k].label for k in rebuilds)
        add(
            "MY-TABLE-REBUILD",
            f"{labels} rebuilds {table or 'the table'} on {target.label}"
            + (f" ({'; '.join(later)})" if later else ""),
        )
    return findings


def lint(revision: RevisionSQL, target: Target, schema: Schema) -> list[Finding]:
    """MySQL/MariaDB findings of one revision; `schema` is the schema before it (updated)."""
    created: set[str] = set()
    findings: list[Finding] = []
    for statement in revision.statements:
        findings += _statement(revision.revision, statement, target, schema, created)
        for change in changes(statement.expression):
            if change.kind == "create_table":
                created.add(change.table)
            schema.apply(change)
    return findings


__all__ = ["OPERATIONS", "Availability", "Operation", "classify", "lint", "type_sql"]
