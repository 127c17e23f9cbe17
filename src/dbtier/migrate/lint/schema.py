"""Schema changes read from parsed statements, and the schema they add up to.

`changes(statement)` turns one parsed statement into engine-neutral changes
(drop/rename a table or column, add a column, change a type or nullability).
The portable rules, the deployed-code check and the MySQL rules read them;
`Schema` replays them from base, so the schema before any revision (and at
the deployed revision) is known without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlglot import exp

from dbtier.migrate.lint.source import SQLGLOT_DIALECT


@dataclass(frozen=True)
class Column:
    """What the checks need to know about a column."""

    name: str
    type: exp.DataType | None
    nullable: bool = True
    has_default: bool = False
    generated: bool = False  # identity, serial, AUTO_INCREMENT or computed: fills itself


@dataclass(frozen=True)
class Change:
    """One schema change a statement makes."""

    kind: str  # create_table | drop_table | rename_table | add_column | drop_column |
    #            rename_column | alter_type | set_not_null | drop_not_null
    table: str
    column: str | None = None
    new_name: str | None = None
    definition: Column | None = None  # add_column, alter_type (its new type)


_SERIAL = {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}


def column_of(definition: exp.ColumnDef) -> Column:
    """The facts of a column definition (ADD COLUMN, CREATE TABLE, MODIFY, CHANGE)."""
    nullable, has_default, generated = True, False, False
    for constraint in definition.constraints:
        kind = constraint.kind
        if isinstance(kind, exp.NotNullColumnConstraint):
            nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            nullable = False
        elif isinstance(kind, exp.DefaultColumnConstraint):
            has_default = True
        elif isinstance(
            kind,
            exp.AutoIncrementColumnConstraint
            | exp.GeneratedAsIdentityColumnConstraint
            | exp.ComputedColumnConstraint
            | exp.GeneratedAsRowColumnConstraint,
        ):
            generated = True
    dtype = definition.args.get("kind")
    dtype = dtype if isinstance(dtype, exp.DataType) else None
    if dtype is not None and dtype.this in _SERIAL:
        generated = True
    return Column(definition.name, dtype, nullable, has_default, generated)


def _table(expression: exp.Expression) -> str:
    table = expression.this if isinstance(expression.this, exp.Table) else None
    return table.name if table is not None else ""


def _create(statement: exp.Create) -> list[Change]:
    if str(statement.args.get("kind", "")).upper() != "TABLE":
        return []
    schema = statement.this
    table = schema.this.name if isinstance(schema, exp.Schema) else _table(statement)
    changes = [Change("create_table", table)]
    if isinstance(schema, exp.Schema):
        for item in schema.expressions:
            if isinstance(item, exp.ColumnDef):
                changes.append(Change("add_column", table, item.name, definition=column_of(item)))
    return changes


def _drop(statement: exp.Drop) -> list[Change]:
    if str(statement.args.get("kind", "")).upper() != "TABLE":
        return []
    return [Change("drop_table", t.name) for t in statement.find_all(exp.Table)]


def _alter_action(table: str, action: exp.Expression) -> list[Change]:
    if isinstance(action, exp.ColumnDef):
        return [Change("add_column", table, action.name, definition=column_of(action))]
    if isinstance(action, exp.Drop) and str(action.args.get("kind", "")).upper() == "COLUMN":
        return [Change("drop_column", table, c.name) for c in action.find_all(exp.Column)]
    if isinstance(action, exp.RenameColumn):
        return [Change("rename_column", table, action.this.name, action.args["to"].name)]
    if isinstance(action, exp.AlterRename):
        return [Change("rename_table", table, new_name=action.this.name)]
    if isinstance(action, exp.ModifyColumn):
        return _modify(table, action)
    if isinstance(action, exp.AlterColumn):
        return _alter_column(table, action)
    return []


def _modify(table: str, action: exp.ModifyColumn) -> list[Change]:
    # MySQL MODIFY / CHANGE restate the whole column: type and nullability.
    definition = column_of(action.this)
    old = action.args.get("rename_from")
    name = old.name if old is not None else definition.name
    changes = [Change("alter_type", table, name, definition=definition)]
    changes.append(
        Change("set_not_null" if not definition.nullable else "drop_not_null", table, name)
    )
    if old is not None and old.name != definition.name:
        changes.append(Change("rename_column", table, old.name, definition.name))
    return changes


def _alter_column(table: str, action: exp.AlterColumn) -> list[Change]:
    name = action.this.name
    dtype = action.args.get("dtype")
    if isinstance(dtype, exp.DataType):
        return [Change("alter_type", table, name, definition=Column(name, dtype))]
    allow_null = action.args.get("allow_null")
    if allow_null is False:
        return [Change("set_not_null", table, name)]
    if action.args.get("drop") and allow_null is None and action.args.get("default") is None:
        return [Change("drop_not_null", table, name)]
    return []


def _rename_command(statement: exp.Command) -> list[Change]:
    # MySQL's `RENAME TABLE a TO b[, c TO d]`: sqlglot keeps it as a Command.
    if str(statement.this).upper() != "RENAME":
        return []
    rest = statement.expression
    text = rest.name if isinstance(rest, exp.Expression) else str(rest or "")
    words = text.replace(",", " , ").split()
    if not words or words[0].upper() != "TABLE":
        return []
    pairs = " ".join(words[1:]).split(" , ")
    changes = []
    for pair in pairs:
        parts = pair.split()
        if len(parts) == 3 and parts[1].upper() == "TO":
            changes.append(
                Change("rename_table", parts[0].strip('`"'), new_name=parts[2].strip('`"'))
            )
    return changes


def changes(expression: exp.Expression | None) -> list[Change]:
    """The schema changes one parsed statement makes (none for DML and the unknown)."""
    if isinstance(expression, exp.Create):
        return _create(expression)
    if isinstance(expression, exp.Drop):
        return _drop(expression)
    if (
        isinstance(expression, exp.Alter)
        and str(expression.args.get("kind", "")).upper() == "TABLE"
    ):
        table = _table(expression)
        return [
            c
            for action in expression.args.get("actions") or []
            for c in _alter_action(table, action)
        ]
    if isinstance(expression, exp.Command):
        return _rename_command(expression)
    return []


@dataclass
class Schema:
    """Tables and their columns, replayed from the changes of every revision so far."""

    tables: dict[str, dict[str, Column]] = field(default_factory=dict)

    def column(self, table: str, column: str | None) -> Column | None:
        return self.tables.get(table, {}).get(column or "")

    def copy(self) -> Schema:
        return Schema({name: dict(cols) for name, cols in self.tables.items()})

    def apply(self, change: Change) -> None:
        cols = self.tables.setdefault(change.table, {}) if change.kind != "drop_table" else {}
        if change.kind == "drop_table":
            self.tables.pop(change.table, None)
        elif change.kind == "rename_table" and change.new_name:
            self.tables[change.new_name] = self.tables.pop(change.table, {})
        elif change.kind == "add_column" and change.definition and change.column:
            cols[change.column] = change.definition
        elif change.kind == "drop_column":
            cols.pop(change.column or "", None)
        elif change.kind == "rename_column" and change.column in cols and change.new_name:
            cols[change.new_name] = replace(cols.pop(change.column), name=change.new_name)
        elif change.kind == "alter_type" and change.column in cols and change.definition:
            cols[change.column] = replace(cols[change.column], type=change.definition.type)
        elif change.kind in ("set_not_null", "drop_not_null") and change.column in cols:
            nullable = change.kind == "drop_not_null"
            cols[change.column] = replace(cols[change.column], nullable=nullable)

    def apply_all(self, statements_changes: list[Change]) -> None:
        for change in statements_changes:
            self.apply(change)


def type_sql(dtype: exp.DataType | None, engine: str) -> str:
    """A type as the engine spells it ('?' when unknown)."""
    return dtype.sql(dialect=SQLGLOT_DIALECT[engine]) if dtype is not None else "?"


__all__ = ["Change", "Column", "Schema", "changes", "column_of", "type_sql"]
