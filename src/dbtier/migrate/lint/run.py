"""Lint one project (or one SQL text) for one target: the steps in order.

1. render every revision's SQL offline for the target's dialect (`source`);
2. replay the revisions up to the database's revision into a schema (`schema`);
3. for each pending revision: the portable rules, then the engine's rules
   (squawk on PostgreSQL, the online-DDL table on MySQL/MariaDB), then the
   deployed-code check when the deployed code is known, then the revision's
   allowances.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import make_url

from dbtier.errors import ConfigError, UsageError
from dbtier.migrate import project
from dbtier.migrate.lint import allowances, compat, mysql, portable, postgres
from dbtier.migrate.lint.deployed import DeployedCode, from_schema, load_manifest
from dbtier.migrate.lint.findings import Finding, LintReport, Target
from dbtier.migrate.lint.schema import Schema, changes
from dbtier.migrate.lint.source import (
    OFFLINE_URL,
    RevisionSQL,
    render_each,
    statements_of,
)

ENGINES = ("postgresql", "mysql", "mariadb", "sqlite")
# What RDS runs by default (design.md) and what MariaDB's current LTS is.
DEFAULT_VERSIONS: dict[str, tuple[int, ...]] = {
    "postgresql": (17, 0),
    "mysql": (8, 4, 0),
    "mariadb": (10, 11, 0),
    "sqlite": (3, 40, 0),
}


def parse_version(text: str | None, engine: str) -> tuple[int, ...]:
    """`--server-version 8.0.28` → (8, 0, 28); the engine's default when absent."""
    if text is None:
        return DEFAULT_VERSIONS[engine]
    try:
        parts = tuple(int(p) for p in text.strip().split("."))
    except ValueError:
        raise UsageError(
            f"--server-version {text!r} is not a version; write e.g. 8.0.28 or 16"
        ) from None
    if not parts or len(parts) > 3:
        raise UsageError(f"--server-version {text!r}: give one to three numbers, e.g. 10.11")
    return parts


def target_for(
    engine: str, version: str | None = None, table_rows: dict[str, int] | None = None
) -> Target:
    if engine not in ENGINES:
        raise UsageError(f"--dialect {engine!r}: choose one of {', '.join(ENGINES)}")
    return Target(engine, parse_version(version, engine), table_rows)


@dataclass(frozen=True)
class DeployedSpec:
    """How the deployed code is named: a manifest file, a revision, or neither."""

    manifest: Path | None = None
    revision: str | None = None


def _dedupe(findings: list[Finding]) -> list[Finding]:
    # squawk and the portable rules both find drops and renames: keep one per statement.
    portable_hits = {(f.rule_id, f.line) for f in findings if f.change is not None}
    out, seen = [], set()
    for f in findings:
        key = (f.rule_id, f.line, f.message if f.change is None else "")
        if f.change is None and (f.rule_id, f.line) in portable_hits:
            continue
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _lint_revision(
    revision: RevisionSQL,
    target: Target,
    schema: Schema,
    *,
    job_timeouts: bool,
    code: DeployedCode | None,
    path: Path | None,
) -> list[Finding]:
    allowed, errors = allowances.read(path, revision.revision)
    if revision.error is not None:
        unreadable = Finding("LINT-UNREADABLE", revision.revision, "", revision.error)
        return allowances.apply([unreadable], allowed, revision.revision) + errors
    found = portable.lint(revision)
    if target.engine == "postgresql":
        found += postgres.lint(revision, target, schema, job_timeouts=job_timeouts)
    elif target.engine in ("mysql", "mariadb"):
        found += mysql.lint(revision, target, schema.copy())
    found = _dedupe(found)
    if code is not None:
        found = compat.check(revision, found, code, schema, target.engine)
    return allowances.apply(found, allowed, revision.revision) + errors


def lint_revisions(
    revisions: list[RevisionSQL],
    target: Target,
    *,
    pending: set[str] | None = None,
    deployed: DeployedSpec | None = None,
    job_timeouts: bool = True,
    paths: dict[str, Path] | None = None,
) -> LintReport:
    """Lint the `pending` revisions (all when None) of an ordered list of revisions."""
    deployed = deployed or DeployedSpec()
    code = load_manifest(deployed.manifest) if deployed.manifest else None
    known = {r.revision for r in revisions}
    if code is None and deployed.revision is not None and deployed.revision not in known:
        raise ConfigError(
            f"--deployed-rev {deployed.revision}: not a revision of this project "
            f"(known: {', '.join(sorted(known)) or 'none'})"
        )
    schema = Schema()
    linted: list[str] = []
    findings: list[Finding] = []
    for revision in revisions:
        if pending is None or revision.revision in pending:
            linted.append(revision.revision)
            findings += _lint_revision(
                revision,
                target,
                schema,
                job_timeouts=job_timeouts,
                code=code,
                path=(paths or {}).get(revision.revision),
            )
        for statement in revision.statements:
            schema.apply_all(changes(statement.expression))
        if code is None and revision.revision == deployed.revision:
            code = from_schema(schema, revision.revision)
    return LintReport(target, tuple(linted), tuple(findings), code.source if code else None)


def lint_sql(
    sql: str,
    target: Target,
    *,
    setup: str = "",
    deployed: DeployedCode | None = None,
    job_timeouts: bool = True,
) -> LintReport:
    """Lint one SQL text as one revision; `setup` builds the schema before it (not linted)."""
    schema = Schema()
    for statement in statements_of(setup, target.engine).statements if setup else ():
        schema.apply_all(changes(statement.expression))
    revision = statements_of(sql, target.engine)
    found = _lint_revision(
        revision, target, schema, job_timeouts=job_timeouts, code=deployed, path=None
    )
    return LintReport(
        target, (revision.revision,), tuple(found), deployed.source if deployed else None
    )


def offline_config(config: Config, engine: str) -> Config:
    """The project's Config pointed at a URL of the engine's dialect (nothing connects)."""
    url = make_url(OFFLINE_URL[engine]).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url)
    return config


def lint_project(
    config: Config,
    target: Target,
    *,
    current: tuple[str, ...] = (),
    deployed: DeployedSpec | None = None,
    job_timeouts: bool = True,
) -> LintReport:
    """Lint the revisions an upgrade from `current` (empty: base) to head would run.

    `config`'s `sqlalchemy.url` decides the dialect the SQL is rendered in.
    """
    script = project.script_directory(config)
    todo = project.pending(script, current)
    revisions = render_each(config, target.engine)
    paths = {rev.revision: Path(rev.path) for rev in todo if rev.path}
    return lint_revisions(
        revisions,
        target,
        pending={rev.revision for rev in todo},
        deployed=deployed,
        job_timeouts=job_timeouts,
        paths=paths,
    )


__all__ = [
    "DEFAULT_VERSIONS",
    "ENGINES",
    "DeployedSpec",
    "lint_project",
    "lint_revisions",
    "lint_sql",
    "offline_config",
    "parse_version",
    "target_for",
]
