"""PostgreSQL: squawk reads each revision's SQL; its rules map onto dbtier's rule ids.

squawk (the `squawk-cli` wheel ships its binary) knows PostgreSQL's lock
levels and rewrites statement by statement, with the server version
(`--pg-version`: e.g. a constant default is free from 11 on). dbtier does not
rewrite those rules: it maps squawk's rule names to its own ids and
severities (`SQUAWK_RULES`), drops style rules (`None`), and reports any
other squawk rule as the warning `PG-SQUAWK`. Two corrections (`_adjust`):
drops, renames and NOT NULL columns are left to the portable rules (which,
unlike squawk, skip a table created earlier in the same revision), and
lengthening a VARCHAR is a warning, not a rewrite.

`require-lock-timeout` is left out when the SQL runs through `dbtier migrate
run`: the job sets `lock_timeout` on its session before any migration
(`timeouts.py`), which squawk cannot see in the SQL.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlglot import exp

from dbtier.errors import ConfigError
from dbtier.migrate.lint.compat import narrows
from dbtier.migrate.lint.findings import Finding, Target
from dbtier.migrate.lint.portable import PORTABLE_RULES
from dbtier.migrate.lint.schema import Schema, changes
from dbtier.migrate.lint.source import RevisionSQL, Statement

# squawk rule → dbtier rule id; None: a style preference, not a migration hazard.
SQUAWK_RULES: dict[str, str | None] = {
    "require-concurrent-index-creation": "PG-INDEX-NOT-CONCURRENT",
    "require-concurrent-index-deletion": "PG-DROP-INDEX-NOT-CONCURRENT",
    "ban-concurrent-index-creation-in-transaction": "PG-CONCURRENT-IN-TRANSACTION",
    "constraint-missing-not-valid": "PG-CONSTRAINT-NOT-VALID",
    "adding-foreign-key-constraint": "PG-FK-NOT-VALID",
    "disallowed-unique-constraint": "PG-UNIQUE-CONSTRAINT",
    "adding-not-nullable-field": "PG-SET-NOT-NULL",
    "adding-required-field": "ADD-NOT-NULL-NO-DEFAULT",
    "adding-field-with-default": "PG-VOLATILE-DEFAULT",
    "changing-column-type": "PG-TYPE-CHANGE",
    "adding-serial-primary-key-field": "PG-ADD-SERIAL-PK",
    "renaming-column": "RENAME-COLUMN",
    "renaming-table": "RENAME-TABLE",
    "ban-drop-column": "DROP-COLUMN",
    "ban-drop-table": "DROP-TABLE",
    "require-lock-timeout": "PG-LOCK-TIMEOUT",
    "require-timeout-settings": "PG-LOCK-TIMEOUT",
    "ban-drop-not-null": "PG-DROP-NOT-NULL",
    # style and robustness preferences: not about the running service
    "prefer-robust-stmts": None,
    "prefer-bigint-over-int": None,
    "prefer-bigint-over-smallint": None,
    "prefer-identity": None,
    "prefer-text-field": None,
    "prefer-timestamptz": None,
    "ban-char-field": None,
    "require-statement-timeout": None,
}
JOB_SETS = ("require-lock-timeout", "require-timeout-settings")


def squawk_binary() -> str:
    """The squawk executable: beside this Python (the wheel's), else on PATH."""
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file():
        return str(beside)
    found = shutil.which("squawk")
    if found is None:
        raise ConfigError(
            "lint: squawk is not installed; it comes with dbtier's dependency `squawk-cli` "
            "(uv sync)"
        )
    return found


def run_squawk(
    sql: str, version: tuple[int, ...], exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """squawk's raw JSON findings for `sql` (lines 0-based)."""
    args = [squawk_binary(), "--reporter", "json", "--stdin-filepath", "migration.sql"]
    args += ["--pg-version", ".".join(map(str, (*version, 0)[:2]))]
    if exclude:
        args += ["--exclude", ",".join(exclude)]
    done = subprocess.run(  # noqa: S603  (our own argument list, no shell)
        args, input=sql, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode not in (0, 1):
        raise ConfigError(f"lint: squawk failed (exit {done.returncode}): {done.stderr.strip()}")
    out = done.stdout.strip()
    return list(json.loads(out)) if out else []


_GROWABLE = {exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT}


def _widens_varchar(statement: Statement, schema: Schema) -> bool:
    """VARCHAR(n) to a longer VARCHAR or TEXT: a catalog change, no rewrite (9.2+)."""
    found = False
    for change in changes(statement.expression):
        if change.kind != "alter_type" or change.definition is None:
            continue
        old = schema.column(change.table, change.column)
        new = change.definition.type
        if old is None or old.type is None or new is None:
            return False
        if old.type.this != exp.DataType.Type.VARCHAR or new.this not in _GROWABLE:
            return False
        if new.this == exp.DataType.Type.VARCHAR and narrows(old.type, new):
            return False
        if new.this == exp.DataType.Type.VARCHAR and not new.expressions:
            return False
        found = True
    return found


def _adjust(finding: Finding, statement: Statement, schema: Schema) -> Finding | None:
    """dbtier's corrections to squawk's verdicts (each one is in the corpus)."""
    if finding.rule_id in PORTABLE_RULES and statement.expression is not None:
        return None  # the portable rules own these (and skip tables new in the revision)
    if finding.rule_id == "PG-TYPE-CHANGE" and _widens_varchar(statement, schema):
        return finding.downgraded("lengthening a VARCHAR (or to TEXT) changes only the catalog")
    return finding


def lint(
    revision: RevisionSQL, target: Target, schema: Schema, *, job_timeouts: bool = True
) -> list[Finding]:
    """dbtier findings from squawk's reading of one revision; `schema`: before it."""
    sql = revision.sql()
    starts, offset = [], 0
    for statement in revision.statements:
        starts.append(offset)
        offset += len(statement.text) + 2
    line_starts = [0]
    for index, char in enumerate(sql):
        if char == "\n":
            line_starts.append(index + 1)
    exclude = tuple(name for name, mapped in SQUAWK_RULES.items() if mapped is None)
    if job_timeouts:
        exclude += JOB_SETS
    findings = []
    for raw in run_squawk(sql, target.version, exclude):
        at = line_starts[min(int(raw["line"]), len(line_starts) - 1)] + int(raw["column"])
        index = max(i for i, start in enumerate(starts) if start <= at) if starts else 0
        statement = revision.statements[index]
        name = str(raw["rule_name"])
        rule_id = SQUAWK_RULES.get(name) or "PG-SQUAWK"
        message = f"squawk {name}: {raw['message']}"
        finding = Finding(rule_id, revision.revision, statement.text, message, line=statement.line)
        adjusted = _adjust(finding, statement, _before(revision, index, schema))
        if adjusted is not None:
            findings.append(adjusted)
    return findings


def _before(revision: RevisionSQL, index: int, schema: Schema) -> Schema:
    replay = schema.copy()
    for statement in revision.statements[:index]:
        replay.apply_all(changes(statement.expression))
    return replay


__all__ = ["JOB_SETS", "SQUAWK_RULES", "lint", "run_squawk", "squawk_binary"]
