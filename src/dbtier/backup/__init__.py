"""Backups with a tested restore: the seed's "backups" made checkable.

    take_backup(url, directory)      -> (Manifest, path)    dump + manifest
    restore_backup(path, url)                               load into an empty database
    restore_drill(url, directory)    -> DrillResult         restore the latest backup into a
                                                            scratch database and verify it

A drill passes when the restored database has the manifest's Alembic revision,
the manifest's row count in every table, and the service's own `/readyz`
answers 200 on it. Every drill is appended to `drills.jsonl` in the backup
directory, where `dbtier review` finds the last one. On AWS, automated backups
and point-in-time restore are RDS's: `dbtier.backup.aws`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from dbtier.backup.engines import BackupFailed, count_rows, read_revision, strategy_for
from dbtier.backup.manifest import (
    Manifest,
    backup_name,
    last_drill,
    latest,
    read_manifest,
    record_drill,
    sha256_of,
)
from dbtier.logs import get_logger

_log = get_logger("backup")


def take_backup(url: URL, directory: Path, *, timeout: float = 3600.0) -> tuple[Manifest, Path]:
    """Dump `url` into `directory`; the manifest is written once the file is complete."""
    strategy = strategy_for(url, timeout)
    directory.mkdir(parents=True, exist_ok=True)
    name = backup_name(strategy.engine, Path(url.database or "db").stem)
    final = directory / f"{name}.{strategy.extension}"
    partial = directory / f".{name}.{strategy.extension}.partial"
    started = time.monotonic()
    try:
        result = strategy.dump(url, partial)
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        engine=strategy.engine,
        database=url.render_as_string(hide_password=True),
        file=final.name,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        revision=result.revision,
        row_counts=result.row_counts,
        bytes=final.stat().st_size,
        sha256=sha256_of(final),
        tool=result.tool,
        counts_exact=result.counts_exact,
    )
    path = manifest.write(directory)
    _log.info(
        "backup written",
        file=str(final),
        bytes=manifest.bytes,
        tables=len(manifest.row_counts),
        revision=manifest.revision,
        seconds=round(time.monotonic() - started, 2),
    )
    return manifest, path


def restore_backup(
    backup: Path, url: URL, *, create: bool = False, timeout: float = 3600.0
) -> Manifest:
    """Load `backup` into the empty database `url` (created first with `create`)."""
    manifest = read_manifest(backup)
    file = manifest.path(backup.parent)
    if sha256_of(file) != manifest.sha256:
        raise BackupFailed(f"{file}: its SHA-256 differs from the manifest's; the file is damaged")
    strategy = strategy_for(url, timeout)
    if strategy.engine != manifest.engine:
        raise BackupFailed(
            f"{file} is a {manifest.engine} backup; {url.get_backend_name()} cannot load it"
        )
    if create:
        strategy.create_database(url)
    strategy.restore(file, url)
    _log.info("backup restored", file=str(file), target=url.render_as_string(hide_password=True))
    return manifest


@dataclass
class DrillResult:
    passed: bool
    backup: str
    scratch: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "backup": self.backup,
            "scratch": self.scratch,
            "checks": self.checks,
            "seconds": self.seconds,
            "at": self.at,
        }


def restore_drill(
    url: URL,
    directory: Path,
    *,
    backup: Path | None = None,
    keep: bool = False,
    check_service: bool = True,
    timeout: float = 3600.0,
) -> DrillResult:
    """Restore the latest backup (or `backup`) into a scratch database and verify it."""
    started = time.monotonic()
    if backup is None:
        manifest, manifest_path = latest(directory)
    else:
        manifest, manifest_path = read_manifest(backup), backup
    strategy = strategy_for(url, timeout)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    scratch = strategy.scratch_url(url, f"{Path(url.database or 'db').stem}_drill_{stamp}")
    shown = scratch.render_as_string(hide_password=True)
    result = DrillResult(
        False, manifest.file, shown, at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    try:
        restore_backup(manifest_path, scratch, create=True, timeout=timeout)
        result.checks = _verify(scratch, manifest, check_service)
        result.passed = all(c["passed"] for c in result.checks)
    except BackupFailed as exc:
        result.checks.append({"check": "restore", "passed": False, "detail": str(exc)})
    finally:
        if not keep:
            strategy.drop_database(scratch)
    result.seconds = round(time.monotonic() - started, 2)
    record_drill(manifest_path.parent, result.as_dict())
    _log.info("restore drill", passed=result.passed, backup=manifest.file, seconds=result.seconds)
    return result


def _verify(url: URL, manifest: Manifest, check_service: bool) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            revision, counts = read_revision(conn), count_rows(conn)
    finally:
        engine.dispose()
    checks: list[dict[str, Any]] = [
        {
            "check": "alembic revision",
            "passed": revision == manifest.revision,
            "detail": f"restored {revision}, backup {manifest.revision}",
        }
    ]
    differing = {
        table: {"backup": manifest.row_counts.get(table), "restored": counts.get(table)}
        for table in sorted(set(counts) | set(manifest.row_counts))
        if counts.get(table) != manifest.row_counts.get(table)
    }
    checks.append(
        {
            "check": "row counts",
            "passed": not differing,
            "detail": f"{len(counts)} tables, {sum(counts.values())} rows"
            + (f"; differ: {differing}" if differing else ""),
        }
    )
    if check_service:
        checks.append(_service_ready(url))
    return checks


def _service_ready(url: URL) -> dict[str, Any]:
    """The nippo service's own /readyz on the restored database."""
    from dbtier.backup.asgi import get
    from dbtier.config import Settings
    from dbtier.db import make_engine
    from nippo.app import create_app

    engine = make_engine(Settings(database_url=url.render_as_string(hide_password=False)))
    try:
        status, body = get(create_app(engine=engine), "/readyz")
    finally:
        engine.dispose()
    return {"check": "service /readyz", "passed": status == 200, "detail": f"{status} {body}"}


__all__ = [
    "BackupFailed",
    "DrillResult",
    "Manifest",
    "last_drill",
    "latest",
    "read_manifest",
    "restore_backup",
    "restore_drill",
    "take_backup",
]
