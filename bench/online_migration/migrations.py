"""The migration set, and how each is run: naively or the way dbtier recommends.

Each migration is a pair of revisions in `revisions/` (`naive_NAME.py`,
`dbtier_NAME.py`) on top of nippo's head (`revisions.NIPPO_HEAD`). For one run the harness
writes an alembic.ini whose script location is nippo's own (its env.py) and
whose version locations are nippo's versions plus a directory holding just
that one revision, so exactly one revision is pending.

- naive: `alembic upgrade head`: no lock timeout, no statement
  timeout, the revision as a developer writes it with Alembic's ops;
- dbtier: `dbtier migrate run`: the job's lock, lock_timeout (5 s)
  with retries, statement timeout, history, and the online form of the DDL.

Between runs the revision is downgraded again (`alembic downgrade NIPPO_HEAD`),
outside the measured windows.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from bench.online_migration.revisions import NIPPO_HEAD
from nippo.migrations import SCRIPT_LOCATION

REVISIONS = Path(__file__).with_name("revisions")
NIPPO_VERSIONS = SCRIPT_LOCATION / "versions"
WAYS = ("naive", "dbtier")
FK_NAME = "fk_report_tasks_report_id_reports"


@dataclass(frozen=True)
class Migration:
    """One typical migration; `before`/`after` SQL per engine runs outside the windows."""

    name: str
    title: str
    before: dict[str, list[str]] = field(default_factory=dict)
    after: dict[str, list[str]] = field(default_factory=dict)


SET = (
    Migration("add_nullable", "add a nullable column"),
    Migration("add_default", "add a column with a default"),
    Migration("add_index", "add an index"),
    Migration("add_not_null", "add a NOT NULL column (backfilled)"),
    Migration(
        "add_fk",
        "add a foreign key",
        # nippo's schema has this key already: take it away first, put it back after.
        before={
            "mariadb": [f"ALTER TABLE report_tasks DROP FOREIGN KEY {FK_NAME}"],
            "postgres": [f"ALTER TABLE report_tasks DROP CONSTRAINT {FK_NAME}"],
        },
        after={
            "mariadb": [
                "SET SESSION foreign_key_checks = 0",
                f"ALTER TABLE report_tasks ADD CONSTRAINT {FK_NAME} FOREIGN KEY (report_id) "
                "REFERENCES reports (id) ON DELETE CASCADE, ALGORITHM=INPLACE, LOCK=NONE",
                "SET SESSION foreign_key_checks = 1",
            ],
            "postgres": [
                f"ALTER TABLE report_tasks ADD CONSTRAINT {FK_NAME} FOREIGN KEY (report_id) "
                "REFERENCES reports (id) ON DELETE CASCADE NOT VALID",
                f"ALTER TABLE report_tasks VALIDATE CONSTRAINT {FK_NAME}",
            ],
        },
    ),
    Migration("change_type", "change a column type (INTEGER to BIGINT)"),
)
BY_NAME = {m.name: m for m in SET}


def project(workdir: Path, migration: Migration, way: str, url: URL) -> Path:
    """An alembic.ini for one (migration, way) under `workdir`; returns its path."""
    home = workdir / f"{migration.name}-{way}"
    versions = home / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    shutil.copy(REVISIONS / f"{way}_{migration.name}.py", versions)
    rendered = url.render_as_string(hide_password=False).replace("%", "%%")
    ini = home / "alembic.ini"
    ini.write_text(
        "[alembic]\n"
        f"script_location = {SCRIPT_LOCATION}\n"
        f"version_locations = {NIPPO_VERSIONS}{os.pathsep}{versions}\n"
        "path_separator = os\n"
        f"sqlalchemy.url = {rendered}\n"
    )
    return ini


def upgrade_command(way: str, ini: Path, python: str) -> list[str]:
    """`alembic upgrade head` (naive) or `dbtier migrate run` (dbtier), run on cue."""
    return [python, "-m", "bench.online_migration.run_migration", way, str(ini)]


def reset(ini: Path) -> None:
    """Back to nippo's head (`alembic downgrade NIPPO_HEAD`), outside the measured windows."""
    command.downgrade(Config(str(ini)), NIPPO_HEAD)


__all__ = ["BY_NAME", "SET", "WAYS", "Migration", "project", "reset", "upgrade_command"]
