"""What a failed migration tells the operator: where it stopped and how to recover.

PostgreSQL rolls a failed revision back whole (DDL is transactional), so the
database is at the last applied revision and the fix is to correct the
migration and run again. MySQL/MariaDB commit each DDL statement implicitly
(and pysqlite runs DDL outside a transaction), so the statements of the
failed revision that had completed stay applied while `alembic_version`
still names the revision before: the message lists them and the two ways
out, undo them or finish the revision by hand and `dbtier migrate stamp`.
Such a run leaves the database *dirty* (`dbtier.migrate.dirty`): later runs
refuse until a stamp or `dbtier migrate repair` resolves it, and the message
says so.
"""

from __future__ import annotations

from alembic.script import Script

from dbtier.migrate.recorder import StatementRecorder
from dbtier.migrate.timeouts import EngineFacts, error_code


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    if orig is None:
        return f"{type(exc).__name__}: {exc}"
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first}"


def _timeout_hint(facts: EngineFacts, exc: BaseException, lock_timeout: float) -> str:
    code = error_code(exc)
    if code in facts.lock_timeout_codes:
        return (
            f"\n  It gave up waiting {lock_timeout:g}s for a lock another session held "
            "(DBTIER_LOCK_TIMEOUT); run again when the table is less busy."
        )
    if code in facts.statement_timeout_codes:
        return (
            "\n  It ran longer than the statement timeout (DBTIER_STATEMENT_TIMEOUT); raise it "
            "for this run or make the migration cheaper."
        )
    return ""


def describe_failure(
    facts: EngineFacts,
    recorder: StatementRecorder,
    exc: BaseException,
    *,
    database_at: str,
    lock_timeout: float,
    downgrade: bool = False,
) -> str:
    """The message of a failed run: revision, statements, state, recovery."""
    running = recorder.running
    revision = running.revision if running is not None else "?"
    title = (running.doc or "").strip().splitlines()[0] if running and running.doc else ""
    verb = "downgrade of" if downgrade else "migration"
    lines = [
        f"{verb} {revision}{f' ({title})' if title else ''} failed on {facts.name}: {_reason(exc)}"
    ]
    if recorder.failed_statement:
        lines.append(f"  failing statement: {recorder.failed_statement}")
    hint = _timeout_hint(facts, exc, lock_timeout)
    if facts.transactional_ddl:
        lines.append(
            f"  Its transaction was rolled back; the database is at {database_at}.{hint}\n"
            "  To recover: fix the migration and run `dbtier migrate run` again."
        )
        return "\n".join(lines)
    if not recorder.completed:
        lines.append(
            f"  No statement of {revision} had completed, so nothing of it is applied; "
            f"the database is at {database_at}.{hint}\n"
            "  To recover: fix the migration (or wait for the lock) and run again."
        )
        return "\n".join(lines)
    lines.append(
        f"  {facts.name} commits DDL implicitly, so these statements of {revision} had already "
        f"run and stay applied, while alembic_version still says {database_at}:"
    )
    lines.extend(f"    {n}. {statement}" for n, statement in enumerate(recorder.completed, 1))
    if downgrade:
        below = _below(running)
        lines.append(
            "  To recover: inspect the schema (e.g. SHOW CREATE TABLE); then either redo what "
            f"the statements above undid and run `dbtier migrate stamp {revision}`, or finish "
            f"undoing {revision} by hand and run `dbtier migrate stamp {below}`.{hint}"
        )
    else:
        lines.append(
            "  To recover: inspect the schema (e.g. SHOW CREATE TABLE); then either undo the "
            "statements above, fix the migration and run again, or finish "
            f"{revision} by hand and run `dbtier migrate stamp {revision}` "
            f"(or `dbtier migrate repair`, which checks the schema first).{hint}"
        )
    lines.append(
        "  The database is now dirty: later runs are refused until a stamp or a repair resolves it."
    )
    return "\n".join(lines)


def _below(script: Script | None) -> str:
    down = script.down_revision if script is not None else None
    if down is None:
        return "base"
    return down if isinstance(down, str) else ",".join(down)


__all__ = ["describe_failure"]
