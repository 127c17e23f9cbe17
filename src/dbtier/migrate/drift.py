"""Drift: does the live schema still match the head models?

A manual `ALTER TABLE` (a hot fix, an index added by hand during an
incident) leaves `alembic_version` at head while the schema is something no
migration produced. The comparison is Alembic's own autogenerate comparison
(`alembic.autogenerate.compare_metadata`), run through the project's
`env.py` exactly as `alembic check` does, so the project's `target_metadata`,
`include_name` / `include_object` hooks and type comparison apply. dbtier
adds `compare_server_default` where the engine reports defaults reliably
(`SERVER_DEFAULTS_COMPARED`), `dont_mutate` (a check never creates
`alembic_version`), and always leaves out its own run-history table.

What it sees: tables, columns (type, nullability, server default), indexes,
unique constraints and foreign keys. What Alembic's comparison does not see
(and so neither does this): CHECK constraints, triggers, views, sequences,
partitioning, and engine options such as a table's charset.

Each difference is read the way an operator needs it: "in the database, not
in the models" (someone added it by hand) or "in the models, not in the
database" (someone dropped it, or a migration is missing).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Dialect

from dbtier.errors import ConfigError
from dbtier.migrate.history import TABLE_NAME as RUN_HISTORY_TABLE

# Alembic compares server defaults by asking the database (PostgreSQL) or by
# normalizing the reflected text (MySQL, MariaDB, SQLite); all four are
# reliable for literal defaults, so all are on. A dialect missing here is not compared.
SERVER_DEFAULTS_COMPARED = {"postgresql": True, "mysql": True, "mariadb": True, "sqlite": True}

_IN_DB = "in the database, not in the models"
_IN_MODELS = "in the models, not in the database"


@dataclass(frozen=True)
class Difference:
    """One way the live schema differs from the head models."""

    kind: str  # Alembic's operation name: add_column, remove_index, modify_type, ...
    table: str
    name: str | None  # the column, index or constraint (None for a whole table)
    detail: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.name}" if self.name else self.table
        return f"{where}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _columns(item: Any) -> str:
    names = [getattr(c, "name", str(c)) for c in getattr(item, "columns", ())]
    return ", ".join(names) or ", ".join(str(e) for e in getattr(item, "expressions", ()))


def _type(type_: Any, dialect: Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot render: its Python repr is still useful
        return repr(type_)


def _default(value: Any) -> str:
    if value is None:
        return "none"
    arg = getattr(value, "arg", value)
    return str(getattr(arg, "text", arg))


def _fk_text(fk: Any) -> str:
    targets = ", ".join(element.target_fullname for element in fk.elements)
    return f"({', '.join(fk.column_keys)}) → {targets}"


def _table_level(diff: tuple[Any, ...]) -> Difference:
    op, obj = diff[0], diff[1]
    side = _IN_MODELS if op.startswith("add_") else _IN_DB
    if op in ("add_table", "remove_table"):
        return Difference(op, obj.name, None, f"table {side}")
    if op in ("add_column", "remove_column"):
        column = diff[3]
        return Difference(op, diff[2], column.name, f"column {side}")
    if op in ("add_index", "remove_index"):
        unique = "unique index" if obj.unique else "index"
        return Difference(op, obj.table.name, obj.name, f"{unique} on ({_columns(obj)}) {side}")
    if op in ("add_constraint", "remove_constraint"):
        return Difference(op, obj.table.name, obj.name, f"unique on ({_columns(obj)}) {side}")
    if op in ("add_fk", "remove_fk"):
        return Difference(op, obj.parent.name, obj.name, f"foreign key {_fk_text(obj)} {side}")
    table = getattr(obj, "name", None) or str(diff[2] if len(diff) > 2 else obj)
    return Difference(op, str(table), None, f"{op.replace('_', ' ')} ({side})")


def _column_level(diff: tuple[Any, ...], dialect: Dialect) -> Difference:
    op, _schema, table, column, _kw, in_db, in_models = diff
    if op == "modify_type":
        detail = (
            f"type {_type(in_db, dialect)} in the database, "
            f"{_type(in_models, dialect)} in the models"
        )
    elif op == "modify_nullable":
        words = {True: "NULL", False: "NOT NULL"}
        detail = f"{words[bool(in_db)]} in the database, {words[bool(in_models)]} in the models"
    elif op == "modify_default":
        detail = (
            f"server default {_default(in_db)} in the database, {_default(in_models)} in the models"
        )
    else:
        detail = f"{op.replace('_', ' ')}: {in_db!r} in the database, {in_models!r} in the models"
    return Difference(op, table, column, detail)


def describe(diffs: Sequence[Any], dialect: Dialect) -> list[Difference]:
    """Alembic's diff tuples as Differences, the run-history table left out."""
    found: list[Difference] = []
    for diff in diffs:
        # A column's modifications come as a list of tuples; everything else as one tuple.
        items = diff if isinstance(diff, list) else [diff]
        for item in items:
            difference = (
                _column_level(item, dialect)
                if item[0].startswith("modify_") and len(item) == 7
                else _table_level(item)
            )
            if difference.table != RUN_HISTORY_TABLE:
                found.append(difference)
    return found


def compare(config: Config, script: ScriptDirectory, connection: Connection) -> list[Difference]:
    """The differences between the live schema and the project's `target_metadata`.

    Runs the project's env.py on `connection` the way `alembic check` does;
    raises ConfigError when env.py gives no `target_metadata` to compare with.
    """
    raw: list[Any] = []
    missing: list[bool] = []

    def capture(_rev: Any, context: MigrationContext) -> list[Any]:
        metadata = context.opts.get("target_metadata")
        if metadata is None:
            missing.append(True)
            return []
        raw.extend(compare_metadata(context, metadata))
        return []

    dialect = connection.dialect
    config.attributes["connection"] = connection
    config.attributes["configure_kwargs"] = {
        "dont_mutate": True,
        "compare_type": True,
        "compare_server_default": SERVER_DEFAULTS_COMPARED.get(dialect.name, False),
    }
    try:
        with EnvironmentContext(config, script, fn=capture, as_sql=False):
            script.run_env()
    finally:
        config.attributes.pop("connection", None)
        config.attributes.pop("configure_kwargs", None)
        connection.commit()
    if missing:
        raise ConfigError(
            "drift: the project's env.py passes no target_metadata to context.configure(), "
            "so there are no models to compare the database with"
        )
    return describe(raw, dialect)


def to_column(differences: Sequence[Difference]) -> str:
    """The history's `drift` column: a JSON list of the differences (`[]` when none)."""
    return json.dumps([d.to_json() for d in differences], ensure_ascii=False)


def from_column(value: str | None) -> list[Difference] | None:
    """The differences a run recorded; None when that run did not check."""
    if value is None:
        return None
    return [Difference(**item) for item in json.loads(value)]


__all__ = [
    "SERVER_DEFAULTS_COMPARED",
    "Difference",
    "compare",
    "describe",
    "from_column",
    "to_column",
]
