"""The deployed code: which tables and columns the running service's models use.

Two sources, most exact first:

1. a manifest the image records at build time (`dbtier migrate manifest`,
   run in the Dockerfile): the Alembic head the image was built at and every
   table and column its SQLAlchemy models map. Expand/contract is visible
   here: code that stopped reading a column no longer lists it.
2. a revision alone (`--deployed-rev`, `DBTIER_DEPLOYED_REV`): the schema as
   of that revision, replayed offline from the migrations. It assumes the
   code used every column its schema had, so it can prove a drop unsafe but
   only proves it safe once the deployed revision no longer has the column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from dbtier.errors import ConfigError
from dbtier.migrate.lint.schema import Column, Schema

if TYPE_CHECKING:
    from sqlalchemy import MetaData

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class DeployedCode:
    """What the running code maps, and how dbtier knows it."""

    revision: str
    tables: dict[str, dict[str, Column]]
    source: str

    def uses(self, table: str, column: str | None = None) -> bool:
        if table not in self.tables:
            return False
        return column is None or column in self.tables[table]


def _type_text(column: Any) -> str | None:
    try:
        return str(column.type)
    except Exception:
        return None


def manifest_of(metadata: MetaData, revision: str) -> dict[str, Any]:
    """The manifest JSON for models (`metadata`) built at `revision`."""
    tables = {
        table.name: {
            column.name: {
                "type": _type_text(column),
                "nullable": bool(column.nullable),
                "server_default": column.server_default is not None,
            }
            for column in table.columns
        }
        for table in metadata.sorted_tables
    }
    return {"manifest_version": MANIFEST_VERSION, "revision": revision, "tables": tables}


def _data_type(text: str | None) -> exp.DataType | None:
    if not text:
        return None
    try:
        return exp.DataType.build(text)
    except (SqlglotError, ValueError):
        return None


def load_manifest(path: Path) -> DeployedCode:
    """Read a manifest file; a missing or malformed one is a configuration error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        revision = str(data["revision"])
        tables = {
            str(table): {
                str(name): Column(
                    str(name),
                    _data_type(facts.get("type")),
                    bool(facts.get("nullable", True)),
                    bool(facts.get("server_default", False)),
                )
                for name, facts in columns.items()
            }
            for table, columns in data["tables"].items()
        }
    except FileNotFoundError:
        raise ConfigError(f"deployed manifest {path}: no such file") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"deployed manifest {path}: not a dbtier manifest ({type(exc).__name__}: {exc}); "
            "write it with `dbtier migrate manifest`"
        ) from None
    return DeployedCode(revision, tables, f"manifest {path} (built at {revision})")


def from_schema(schema: Schema, revision: str) -> DeployedCode:
    """The deployed code assumed to use the whole schema as of `revision`."""
    tables = {name: dict(cols) for name, cols in schema.tables.items()}
    return DeployedCode(revision, tables, f"schema as of revision {revision}")


__all__ = ["MANIFEST_VERSION", "DeployedCode", "from_schema", "load_manifest", "manifest_of"]
