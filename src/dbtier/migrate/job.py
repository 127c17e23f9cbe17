"""The migration job: `dbtier migrate run` (the container's command) and `downgrade`.

Steps, each logged as one JSON line (`step=...`), then one EMF metric line:

1. connect, with bounded retries and backoff (exit 3 when it never answers);
2. take the session-level migration lock (`dbtier.migrate.lock`), waiting at
   most `lock_wait` seconds; a runner that does not get it records `skipped`
   and exits 0;
3. with the lock held, set the engine's lock and statement timeouts;
4. record the run as `running` (and close runs of runners that died);
5. a dirty database (a revision left half-applied, `dbtier.migrate.dirty`):
   record `refused`, exit 1 with the recovery steps;
6. nothing pending: record `noop`; before an upgrade, lint the pending
   revisions (`dbtier.migrate.lint`, for this engine and server version,
   against the deployed code when settings name it) and record `refused`
   (exit 1, the findings in the log) when a blocking finding has no reviewed
   allowance; otherwise upgrade to head (or downgrade to
   the target), one transaction per migration (env.py's
   `transaction_per_migration`), retrying a migration that gave up on a lock
   timeout a bounded number of times when nothing of it is applied yet;
7. at head, compare the live schema with the models (`dbtier.migrate.drift`)
   and record what differs;
8. after `succeeded` or `noop`, keep the application user and its DML-only
   grants (`dbtier.migrate.app_user`; skipped without `DBTIER_APP_USERNAME`);
9. record `succeeded` or `failed` (with the revision, the statements that had
   run, how to recover, and `dirty_revision` when part of it stays applied),
   release the lock.

Throughout, a watchdog (`dbtier.migrate.deadline`) bounds the run: past
`max_runtime`, still connecting past the connect budget, or on SIGTERM it logs
what the job was waiting for, records `failed` when it still can and exits
(3 without a connection, 1 otherwise).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from dbtier.config import Settings
from dbtier.db import describe, make_engine
from dbtier.db_timeouts import Timeouts
from dbtier.errors import ConfigError, DatabaseUnreachable, DbtierError, MigrationFailed
from dbtier.logs import get_logger
from dbtier.migrate import dirty, drift, emf, history, project
from dbtier.migrate.app_user import keep_app_user
from dbtier.migrate.connect import connect_with_retries
from dbtier.migrate.deadline import RECORD_BUDGET_S, Deadline, Expiry, connect_budget
from dbtier.migrate.drift import Difference
from dbtier.migrate.failure import describe_failure
from dbtier.migrate.lint import DeployedSpec, LintReport, Target, lint_project
from dbtier.migrate.lock import MigrationLock, lock_for
from dbtier.migrate.recorder import StatementRecorder
from dbtier.migrate.timeouts import EngineFacts, apply_timeouts, facts_for, is_lock_timeout
from dbtier.secrets import ResolvedDatabase, resolve_database

DEFAULT_CONNECT_RETRIES = 5
DEFAULT_LOCK_RETRIES = 3
EXIT_CODES = {"succeeded": 0, "noop": 0, "skipped": 0, "failed": 1, "refused": 1}


@dataclass(frozen=True)
class JobResult:
    """How a run ended; `exit_code` is what `dbtier migrate run` exits with."""

    status: str
    run_id: str
    from_rev: str | None = None
    to_rev: str | None = None
    applied: tuple[str, ...] = ()
    error: str | None = None
    duration_ms: float = 0.0
    lock_retries: int = 0
    trigger_id: str | None = None
    scheduled_time: dt.datetime | None = None
    kind: str = "upgrade"
    drift: tuple[Difference, ...] | None = None
    dirty_revision: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the result."""
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "run_id": self.run_id,
            "from_rev": self.from_rev,
            "to_rev": self.to_rev,
            "applied": list(self.applied),
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
            "lock_retries": self.lock_retries,
            "trigger_id": self.trigger_id,
            "scheduled_time": self.scheduled_time.isoformat() if self.scheduled_time else None,
            "kind": self.kind,
            "drift": None if self.drift is None else [d.to_json() for d in self.drift],
            "dirty_revision": self.dirty_revision,
        }


@dataclass(frozen=True)
class JobOptions:
    """Knobs of one run (settings give the timeouts)."""

    lock_wait: float
    trigger_id: str | None = None
    scheduled_time: dt.datetime | None = None
    connect_retries: int = DEFAULT_CONNECT_RETRIES
    lock_retries: int = DEFAULT_LOCK_RETRIES
    retry_delay: float = 1.0
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # None: upgrade to head; a revision ('base', '-1', ...): downgrade to it.
    downgrade_to: str | None = None
    check_drift: bool = True
    # Called with the pending revisions, under the lock, before an upgrade runs
    # (a snapshot or a backup); when it raises, nothing is migrated.
    before_upgrade: Callable[[list[str]], str] | None = None

    @property
    def kind(self) -> str:
        return "upgrade" if self.downgrade_to is None else "downgrade"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _heads(revisions: tuple[str, ...] | list[str]) -> str | None:
    return ",".join(revisions) or None


class MigrationJob:
    """One run of the job; `run()` returns its result."""

    def __init__(self, settings: Settings, project_ref: project.ProjectRef, options: JobOptions):
        self.settings = settings
        self.project_ref = project_ref
        self.options = options
        self.started_at = _now()
        self._clock = time.monotonic()
        self.log = get_logger("migrate").bind(run_id=options.run_id, trigger_id=options.trigger_id)
        self.deadline = Deadline(
            settings.max_runtime,
            connect_budget(settings.connect_timeout, options.connect_retries),
            self._on_deadline,
        )
        self._resolved: ResolvedDatabase | None = None
        self._run_recorded = False
        self._recorder: StatementRecorder | None = None

    # -- the steps ---------------------------------------------------------------

    def run(self) -> JobResult:
        self.deadline.start()
        try:
            return self._run()
        finally:
            self.deadline.cancel()

    def _run(self) -> JobResult:
        resolved = self._resolved = resolve_database(self.settings)
        config = project.load_config(self.project_ref, resolved.url)
        script = project.script_directory(config)
        if self.options.downgrade_to is not None:
            project.check_downgrade_target(script, self.options.downgrade_to)
        # Reads may last as long as the run may (a long DDL); the deadline bounds the rest.
        timeouts = Timeouts(connect=self.settings.connect_timeout, read=self.settings.max_runtime)
        engine = make_engine(self.settings, resolved=resolved, timeouts=timeouts)
        try:
            self.deadline.step("connect", f"{describe(engine.url)} to accept and answer")
            try:
                connection = connect_with_retries(engine, retries=self.options.connect_retries)
            except DatabaseUnreachable as exc:
                self._finish_metrics("unreachable", error=str(exc))
                raise
            self.log.info("connected", step="connect", database=engine.url.database)
            with connection:
                try:
                    result = self._with_connection(engine, connection, config, script)
                except DBAPIError as exc:
                    raise self._database_error(engine, exc) from None
        finally:
            engine.dispose()
        self._finish_metrics(result.status, from_rev=result.from_rev, to_rev=result.to_rev)
        return result

    def _database_error(self, engine: Engine, exc: DBAPIError) -> DbtierError:
        """A database error outside a migration: the connection dropped, or the job lacks rights."""
        first = (str(exc.orig).strip().splitlines() or [""])[0]
        reason = f"{type(exc.orig).__name__}: {first}"
        where = describe(engine.url)
        if exc.connection_invalidated:
            self._finish_metrics("unreachable", error=reason)
            return DatabaseUnreachable(
                f"{where}: the connection dropped during the run ({reason}); its session lock "
                "went with it. Check `dbtier migrate status`, then run again."
            )
        self._finish_metrics("failed", error=reason)
        return MigrationFailed(
            f"{where}: the job's own bookkeeping failed ({reason}); the database user needs "
            "rights to take the lock and to create and write dbtier_migration_runs."
        )

    def _with_connection(
        self, engine: Engine, conn: Connection, config: Config, script: ScriptDirectory
    ) -> JobResult:
        facts = facts_for(conn)
        for statement in facts.on_connect(conn):
            conn.execute(text(statement))
        conn.commit()
        lock = lock_for(conn)
        self.deadline.step("lock", f"the migration lock ({lock.description})")
        begun = time.monotonic()
        held = lock.acquire(self.options.lock_wait)
        waited_ms = round((time.monotonic() - begun) * 1000, 1)
        self.log.info(
            "lock", step="lock", lock=lock.description, acquired=held, waited_ms=waited_ms
        )
        if not held:
            return self._skipped(conn, lock)
        try:
            return self._locked(engine, conn, facts, config, script)
        finally:
            self._release(lock)

    def _skipped(self, conn: Connection, lock: MigrationLock) -> JobResult:
        reason = (
            f"another runner holds {lock.description}; waited {self.options.lock_wait:g}s "
            "(--lock-wait) and stepped aside"
        )
        history.ensure_table(conn)
        history.insert(conn, self._record("skipped", ended_at=_now(), error=reason))
        self.log.info("skipped", step="record", status="skipped", reason=reason)
        return self._result("skipped", error=None)

    def _locked(
        self,
        engine: Engine,
        conn: Connection,
        facts: EngineFacts,
        config: Config,
        script: ScriptDirectory,
    ) -> JobResult:
        self.deadline.step("migrate", "the database to answer the job's bookkeeping")
        statements = apply_timeouts(
            conn, self.settings.lock_timeout, self.settings.statement_timeout
        )
        self.log.info("timeouts set", step="timeouts", statements=statements)
        history.ensure_table(conn)
        closed = history.close_abandoned(conn, by_run=self.options.run_id, now=_now())
        current = project.current_heads(conn)
        history.insert(conn, self._record("running", from_revision=_heads(current)))
        self._run_recorded = True
        left = history.unresolved_dirty(conn)
        if left is not None:
            error = dirty.refusal(left, _heads(current) or "base")
            self.log.error("dirty database; refused", step="pending", error=error)
            return self._end(engine, conn, "refused", current, current, error=error)
        todo = self._path(script, current)
        self.log.info(
            "pending revisions",
            step="pending",
            kind=self.options.kind,
            current=_heads(current),
            pending=[rev.revision for rev in todo],
            abandoned_runs_closed=closed,
        )
        if not todo:
            return self._end(
                engine,
                conn,
                "noop",
                current,
                current,
                schema_drift=self._drift(conn, config, script),
            )
        if self.options.downgrade_to is None:
            report = self._lint(conn, facts, config, current)
            if report.blocking:
                return self._refuse(engine, conn, current, report)
        if self.options.before_upgrade is not None and self.options.kind == "upgrade":
            pending = [rev.revision for rev in todo]
            try:
                taken = self.options.before_upgrade(pending)
            except Exception as exc:  # a failed snapshot stops the run: nothing is migrated
                error = f"the snapshot before migrating to {pending[-1]} failed: {exc}"
                self.log.error("snapshot failed; nothing migrated", step="snapshot", error=error)
                return self._end(engine, conn, "failed", current, current, error=error)
            self.log.info("snapshot taken", step="snapshot", snapshot=taken, pending=pending)
        return self._migrate(engine, conn, facts, config, script, current)

    def _lint(
        self, conn: Connection, facts: EngineFacts, config: Config, current: tuple[str, ...]
    ) -> LintReport:
        info = conn.dialect.server_version_info or ()
        version = tuple(p for p in info if isinstance(p, int))
        target = Target(facts.name, version, table_rows=_table_rows(conn, facts))
        deployed = DeployedSpec(self.settings.deployed_manifest, self.settings.deployed_rev)
        report = lint_project(config, target, current=current, deployed=deployed)
        self.log.info(
            "lint",
            step="lint",
            target=target.label,
            deployed=report.deployed,
            blocking=len(report.blocking),
            findings=[finding.to_json() for finding in report.findings],
        )
        return report

    def _refuse(
        self, engine: Engine, conn: Connection, current: tuple[str, ...], report: LintReport
    ) -> JobResult:
        error = (
            f"refused: {len(report.blocking)} blocking lint finding(s) without a reviewed "
            f"allowance: {report.summary()}. Fix the migration, or add "
            "`# dbtier: allow RULE-ID because <reason>` to the revision after review; "
            "`dbtier migrate lint` shows the findings."
        )
        self.log.error("refused", step="lint", error=error)
        return self._end(engine, conn, "refused", current, current, error=error)

    def _path(self, script: ScriptDirectory, current: tuple[str, ...]) -> list[Any]:
        if self.options.downgrade_to is None:
            return project.pending(script, current)
        return project.to_undo(script, current, self.options.downgrade_to)

    def _step(self, config: Config, conn: Connection, recorder: StatementRecorder) -> None:
        on_apply = self._on_apply(recorder)
        if self.options.downgrade_to is None:
            project.upgrade(config, conn, on_version_apply=on_apply)
        else:
            project.downgrade(config, conn, self.options.downgrade_to, on_version_apply=on_apply)

    def _drift(
        self, conn: Connection, config: Config, script: ScriptDirectory
    ) -> tuple[Difference, ...] | None:
        """Differences between the schema at head and the models; None when not checked."""
        if not self.options.check_drift or self.options.downgrade_to is not None:
            return None
        try:
            found = tuple(drift.compare(config, script, conn))
        except DbtierError as exc:  # no target_metadata: nothing to compare with
            self.log.info("drift not checked", step="drift", reason=str(exc))
            return None
        except Exception as exc:  # a reflection problem must not turn a migration into a failure
            _rollback_quietly(conn)
            self.log.warning("drift check failed", step="drift", error=repr(exc))
            return None
        if found:
            self.log.warning("schema drift", step="drift", differences=[str(d) for d in found])
        else:
            self.log.info("no schema drift", step="drift")
        return found

    def _migrate(
        self,
        engine: Engine,
        conn: Connection,
        facts: EngineFacts,
        config: Config,
        script: ScriptDirectory,
        start: tuple[str, ...],
    ) -> JobResult:
        applied: list[str] = []
        for attempt in range(self.options.lock_retries + 1):
            current = project.current_heads(conn)
            recorder = self._recorder = StatementRecorder(self._path(script, current))
            try:
                with recorder.listening(conn):
                    self._step(config, conn, recorder)
            except Exception as exc:  # a migration may raise anything; all of it is a failure
                applied += recorder.applied
                _rollback_quietly(conn)
                if self._may_retry(facts, recorder, exc, attempt):
                    continue
                at = project.current_heads(conn)
                error = describe_failure(
                    facts,
                    recorder,
                    exc,
                    database_at=_heads(at) or "base (no revision)",
                    lock_timeout=self.settings.lock_timeout,
                    downgrade=self.options.downgrade_to is not None,
                )
                left = dirty.left_dirty(facts, recorder)
                self.log.error("migration failed", step="migration", error=error, dirty=left)
                return self._end(
                    engine,
                    conn,
                    "failed",
                    start,
                    at,
                    applied,
                    error,
                    attempt,
                    dirty_revision=left,
                )
            applied += recorder.applied
            return self._end(
                engine,
                conn,
                "succeeded",
                start,
                project.current_heads(conn),
                applied,
                None,
                attempt,
                schema_drift=self._drift(conn, config, script),
            )
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns

    def _may_retry(
        self, facts: EngineFacts, recorder: StatementRecorder, exc: BaseException, attempt: int
    ) -> bool:
        if not isinstance(exc, DBAPIError) or not is_lock_timeout(facts, exc):
            return False
        # Without transactional DDL a retry would re-run statements that stay applied.
        nothing_applied = facts.transactional_ddl or not recorder.completed
        if not nothing_applied or attempt >= self.options.lock_retries:
            return False
        delay = self.options.retry_delay * (attempt + 1)
        running = recorder.running
        self.log.warning(
            "lock timeout; retrying",
            step="migration",
            revision=running.revision if running else None,
            attempt=attempt + 1,
            retry_in_s=round(delay, 3),
            lock_timeout_s=self.settings.lock_timeout,
        )
        time.sleep(delay)
        return True

    def _on_apply(self, recorder: StatementRecorder) -> Any:
        clock = [time.monotonic()]

        def on_version_apply(**kwargs: Any) -> None:
            recorder.on_version_apply(**kwargs)
            now = time.monotonic()
            self.log.info(
                "revision applied",
                step="migration",
                revision=recorder.applied[-1],
                duration_ms=round((now - clock[0]) * 1000, 1),
            )
            clock[0] = now

        return on_version_apply

    # -- the deadline --------------------------------------------------------------

    def _on_deadline(self, expiry: Expiry) -> None:
        """The watchdog fired: say what the job waited for, record `failed` if possible."""
        recorder = self._recorder
        if expiry.step == "migrate" and recorder is not None and recorder.failed_statement:
            running = recorder.running
            revision = running.revision if running is not None else "?"
            expiry.waiting_for = f"revision {revision}: {recorder.failed_statement}"
        message = expiry.message(self.settings.max_runtime)
        self.log.error(
            "deadline exceeded",
            step="deadline",
            reason=expiry.reason,
            during=expiry.step,
            waiting_for=expiry.waiting_for,
            elapsed_s=round(expiry.elapsed_s, 1),
            max_runtime_s=self.settings.max_runtime,
            exit_code=expiry.exit_code,
        )
        recorded = self._run_recorded and self._record_failed(message)
        if self._run_recorded:
            self.log.info(
                "recorded" if recorded else "could not record", step="record", status="failed"
            )
        status = "unreachable" if expiry.exit_code == 3 else "failed"
        self._finish_metrics(status, error=message)

    def _record_failed(self, message: str) -> bool:
        """`failed` on a fresh connection with short timeouts; False when that did not work."""
        done = threading.Event()

        def record() -> None:
            quick = Timeouts(connect=2.0, read=RECORD_BUDGET_S / 2, statement=RECORD_BUDGET_S / 2)
            engine = make_engine(self.settings, resolved=self._resolved, timeouts=quick)
            try:
                with engine.connect() as conn:
                    history.finish(
                        conn, self.options.run_id, status="failed", ended_at=_now(), error=message
                    )
                done.set()
            except Exception as exc:  # the database is still gone: the next run closes it
                self.log.warning("could not record failed", step="record", error=type(exc).__name__)
            finally:
                engine.dispose()

        threading.Thread(target=record, name="migrate-record-failed", daemon=True).start()
        return done.wait(RECORD_BUDGET_S)

    def _grants(self, conn: Connection, status: str, error: str | None) -> tuple[str, str | None]:
        """The application user's grants (`dbtier.migrate.app_user`); a failure fails the run."""
        try:
            report = keep_app_user(conn, self.settings)
        except ConfigError as exc:
            _rollback_quietly(conn)
            self.log.error("application user not kept", step="grants", error=str(exc))
            return "failed", str(exc)
        if report is not None:
            self.log.info(
                "application user kept",
                step="grants",
                user=report.user,
                created=report.created,
                clone=report.clone,
                tables=len(report.tables),
                statements=len(report.statements),
            )
        return status, error

    # -- recording ---------------------------------------------------------------

    def _end(
        self,
        engine: Engine,
        conn: Connection,
        status: str,
        start: tuple[str, ...],
        end: tuple[str, ...],
        applied: list[str] | None = None,
        error: str | None = None,
        retries: int = 0,
        *,
        schema_drift: tuple[Difference, ...] | None = None,
        dirty_revision: str | None = None,
    ) -> JobResult:
        if status in ("succeeded", "noop"):
            status, error = self._grants(conn, status, error)
        values = {
            "status": status,
            "ended_at": _now(),
            "to_revision": _heads(end),
            "error": error,
            "drift": None if schema_drift is None else drift.to_column(schema_drift),
            "dirty_revision": dirty_revision,
        }
        try:
            history.finish(conn, self.options.run_id, **values)
        except DBAPIError:  # the job's connection died with the migration: use a fresh one
            with engine.connect() as fresh:
                history.finish(fresh, self.options.run_id, **values)
        self.log.info("recorded", step="record", status=status, to_rev=_heads(end))
        return self._result(
            status,
            from_rev=_heads(start),
            to_rev=_heads(end),
            applied=tuple(applied or ()),
            error=error,
            lock_retries=retries,
            drift=schema_drift,
            dirty_revision=dirty_revision,
        )

    def _record(self, status: str, **values: Any) -> history.RunRecord:
        return history.RunRecord(
            run_id=self.options.run_id,
            status=status,
            started_at=self.started_at,
            trigger_id=self.options.trigger_id,
            scheduled_time=self.options.scheduled_time,
            runner=f"{socket.gethostname()}:{os.getpid()}",
            kind=self.options.kind,
            **values,
        )

    def _result(self, status: str, **values: Any) -> JobResult:
        return JobResult(
            status=status,
            run_id=self.options.run_id,
            duration_ms=(time.monotonic() - self._clock) * 1000,
            trigger_id=self.options.trigger_id,
            scheduled_time=self.options.scheduled_time,
            kind=self.options.kind,
            **values,
        )

    def _release(self, lock: MigrationLock) -> None:
        try:
            lock.release()
        except DBAPIError:  # the connection is gone, and the session lock with it
            self.log.warning("lock release failed; the lock went with the connection", step="lock")

    def _finish_metrics(self, status: str, **properties: Any) -> None:
        duration_ms = (time.monotonic() - self._clock) * 1000
        self.log.info("done", step="done", status=status, duration_ms=round(duration_ms, 1))
        emf.emit(
            emf.emf_record(
                status,
                duration_ms,
                run_id=self.options.run_id,
                trigger_id=self.options.trigger_id,
                **properties,
            )
        )


def _table_rows(conn: Connection, facts: EngineFacts) -> dict[str, int] | None:
    """InnoDB's row estimates (MySQL/MariaDB), for the lint rules that depend on size."""
    if facts.name not in ("mysql", "mariadb"):
        return None
    rows = conn.execute(
        text(
            "SELECT table_name, table_rows FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_rows IS NOT NULL"
        )
    ).all()
    conn.commit()
    return {str(name): int(count) for name, count in rows}


def _rollback_quietly(conn: Connection) -> None:
    # An invalidated connection raises SQLAlchemy's own error here, not the driver's.
    with contextlib.suppress(SQLAlchemyError):
        conn.rollback()


def run_job(
    settings: Settings,
    *,
    config: project.ProjectRef = None,
    lock_wait: float | None = None,
    trigger_id: str | None = None,
    scheduled_time: dt.datetime | None = None,
    connect_retries: int = DEFAULT_CONNECT_RETRIES,
    lock_retries: int = DEFAULT_LOCK_RETRIES,
    retry_delay: float = 1.0,
    downgrade_to: str | None = None,
    check_drift: bool = True,
    before_upgrade: Callable[[list[str]], str] | None = None,
) -> JobResult:
    """Run the migration job once; `config` is an Alembic Config or an alembic.ini path.

    Upgrades to head, or downgrades to `downgrade_to` ('base', a revision, '-N')
    under the same lock, timeouts and history. Returns the result for succeeded /
    noop / skipped / failed / refused; raises `DatabaseUnreachable` (exit 3) or a
    `UsageError` (exit 2).
    """
    options = JobOptions(
        lock_wait=settings.lock_wait if lock_wait is None else lock_wait,
        trigger_id=trigger_id,
        scheduled_time=scheduled_time,
        connect_retries=connect_retries,
        lock_retries=lock_retries,
        retry_delay=retry_delay,
        downgrade_to=downgrade_to,
        check_drift=check_drift,
        before_upgrade=before_upgrade,
    )
    return MigrationJob(settings, config, options).run()


__all__ = ["DEFAULT_CONNECT_RETRIES", "JobOptions", "JobResult", "MigrationJob", "run_job"]
