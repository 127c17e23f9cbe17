"""`dbtier migrate lint`: read the pending revisions' SQL before it runs, per engine.

rules.py        the rules: id, engines, severity, why, safe alternative
findings.py     a finding, the report, the target (engine + version)
source.py       Alembic offline SQL, cut per revision and statement (sqlglot)
schema.py       schema changes of a statement; the schema they add up to
portable.py     drops, renames, NOT NULL without default (every engine)
postgres.py     squawk, mapped onto dbtier's rule ids
mysql.py        MySQL/MariaDB online-DDL table per version
deployed.py     the deployed code: an image's manifest, or a revision
compat.py       pending changes against the deployed code
allowances.py   `# dbtier: allow RULE-ID because <reason>`
run.py          the steps in order
"""

from __future__ import annotations

from dbtier.migrate.lint.deployed import DeployedCode, load_manifest, manifest_of
from dbtier.migrate.lint.findings import Finding, LintReport, Target
from dbtier.migrate.lint.rules import RULES, Rule
from dbtier.migrate.lint.run import (
    DEFAULT_VERSIONS,
    DeployedSpec,
    lint_project,
    lint_revisions,
    lint_sql,
    offline_config,
    target_for,
)

__all__ = [
    "DEFAULT_VERSIONS",
    "RULES",
    "DeployedCode",
    "DeployedSpec",
    "Finding",
    "LintReport",
    "Rule",
    "Target",
    "lint_project",
    "lint_revisions",
    "lint_sql",
    "load_manifest",
    "manifest_of",
    "offline_config",
    "target_for",
]
